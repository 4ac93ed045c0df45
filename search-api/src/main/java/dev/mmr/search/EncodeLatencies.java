package dev.mmr.search;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The encode latency of each submodel on this machine, in milliseconds per query image: the median of the last
 * {@value #WINDOW} queries encoded alone (from the start of the request to its embedding), seeded with the start-up
 * measurements. A median moves only when most recent queries agree, so one slow or fast query does not swing it.
 * {@code budget_ms} is answered from it, and the search page shows it.
 */
final class EncodeLatencies {
    /** Samples the median is taken over. */
    static final int WINDOW = 31;
    private final Map<String, ArrayDeque<Double>> recentBySubmodel = new ConcurrentHashMap<>();

    /** Seeds a submodel's window with its start-up measurements. */
    void calibrate(String submodel, double... millis) {
        for (double m : millis) {
            record(submodel, m);
        }
    }

    /** Adds one real encode of a query image encoded alone. */
    void record(String submodel, double millis) {
        ArrayDeque<Double> recent = recentBySubmodel.computeIfAbsent(submodel, s -> new ArrayDeque<>());
        synchronized (recent) {
            recent.addLast(millis);
            if (recent.size() > WINDOW) {
                recent.removeFirst();
            }
        }
    }

    /** The median of the submodel's window; empty before any measurement. */
    OptionalDouble estimate(String submodel) {
        ArrayDeque<Double> recent = recentBySubmodel.get(submodel);
        if (recent == null) {
            return OptionalDouble.empty();
        }
        double[] sorted;
        synchronized (recent) {
            sorted = recent.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        }
        if (sorted.length == 0) {
            return OptionalDouble.empty();
        }
        int mid = sorted.length / 2;
        return OptionalDouble.of(sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
    }

    /**
     * The most expensive of {@code candidates} (by {@code cost}) whose estimated latency fits {@code budgetMs};
     * empty when none fits.
     */
    <T> Optional<T> widestWithin(double budgetMs, List<T> candidates, Function<T, String> name, ToDoubleFunction<T> cost) {
        return candidates.stream()
                .filter(c -> estimate(name.apply(c)).orElse(Double.POSITIVE_INFINITY) <= budgetMs)
                .max(Comparator.comparingDouble(cost));
    }
}
