package dev.mmr.search;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The encode latency of each submodel on this machine, in milliseconds per query image: measured at start-up,
 * then kept current by an exponential moving average of the real encodes. {@code budget_ms} is answered from it.
 */
final class EncodeLatencies {
    /** Weight of the newest encode in the moving average. */
    static final double SMOOTHING = 0.1;
    private final Map<String, Double> millisBySubmodel = new ConcurrentHashMap<>();

    /** Sets the start-up measurement of a submodel. */
    void calibrate(String submodel, double millis) {
        millisBySubmodel.put(submodel, millis);
    }

    /** Folds one real encode into the moving estimate. */
    void record(String submodel, double millis) {
        millisBySubmodel.merge(submodel, millis, (old, latest) -> old + SMOOTHING * (latest - old));
    }

    OptionalDouble estimate(String submodel) {
        Double millis = millisBySubmodel.get(submodel);
        return millis == null ? OptionalDouble.empty() : OptionalDouble.of(millis);
    }

    /**
     * The most expensive of {@code candidates} (by {@code cost}) whose estimated latency fits {@code budgetMs};
     * empty when none fits.
     */
    <T> Optional<T> widestWithin(double budgetMs, List<T> candidates, java.util.function.Function<T, String> name,
                                 java.util.function.ToDoubleFunction<T> cost) {
        return candidates.stream()
                .filter(c -> estimate(name.apply(c)).orElse(Double.POSITIVE_INFINITY) <= budgetMs)
                .max(Comparator.comparingDouble(cost));
    }
}
