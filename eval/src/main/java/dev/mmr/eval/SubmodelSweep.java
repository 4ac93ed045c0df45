package dev.mmr.eval;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The query encoders drawn from one nested model: its trained levels (D, D/2, D/4, D/8), then
 * Mix'n'Match submodels: a uniform width halfway between each pair of neighbouring trained levels,
 * a pyramid (full width at the first layer narrowing geometrically to D/8 at the last) and the
 * inverted pyramid. Widths are rounded to the nearest the model accepts ({@code 2 w} a multiple of
 * headdim); a Mix'n'Match list equal to one already chosen is dropped. Then the width lists the caller asks for, each
 * a row {@code mix-<w1>-<w2>-...}: refused, with the reason, where the model does not accept them or the sweep has them.
 */
public final class SubmodelSweep {
    private SubmodelSweep() {
    }

    public static List<Submodel> of(MatMambaModel model, List<int[]> requested) {
        List<Submodel> chosen = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<Widths> levels = model.trainedLevels();
        for (Widths level : levels) {
            chosen.add(new Submodel(level.name(), Submodel.Kind.NESTED, level));
            seen.add(Arrays.toString(level.perLayer()));
        }
        int layers = model.config().nLayer();
        int step = widthStep(model.config().headdim());
        List<int[]> mixes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i + 1 < levels.size(); i++) {
            int wide = levels.get(i).perLayer()[0];
            int narrow = levels.get(i + 1).perLayer()[0];
            int middle = round((wide + narrow) / 2.0, step);
            int[] uniform = new int[layers];
            Arrays.fill(uniform, middle);
            mixes.add(uniform);
            names.add("mix-uniform-" + middle);
        }
        int full = model.embeddingDim();
        int narrowest = levels.get(levels.size() - 1).perLayer()[0];
        int[] pyramid = new int[layers];
        for (int l = 0; l < layers; l++) {
            double t = layers == 1 ? 0 : (double) l / (layers - 1);
            pyramid[l] = round(full * Math.pow((double) narrowest / full, t), step);
        }
        mixes.add(pyramid);
        names.add("mix-pyramid");
        int[] inverted = new int[layers];
        for (int l = 0; l < layers; l++) {
            inverted[l] = pyramid[layers - 1 - l];
        }
        mixes.add(inverted);
        names.add("mix-inverted-pyramid");
        for (int i = 0; i < mixes.size(); i++) {
            if (seen.add(Arrays.toString(mixes.get(i)))) {
                chosen.add(new Submodel(names.get(i), Submodel.Kind.MIXNMATCH, model.widths(mixes.get(i))));
            }
        }
        for (int[] widths : requested) {
            Widths checked = model.widths(widths);
            String joined = ReportWriter.widths(widths);
            if (!seen.add(Arrays.toString(widths))) {
                Submodel same = chosen.stream().filter(c -> Arrays.equals(c.widths().perLayer(), widths)).findFirst().orElseThrow();
                throw new IllegalArgumentException("the Mix'n'Match widths " + joined + " are " + same.name() + ", already in the sweep");
            }
            chosen.add(new Submodel("mix-" + joined, Submodel.Kind.MIXNMATCH, checked));
        }
        return chosen;
    }

    /** The smallest width change that keeps {@code 2 w} a multiple of headdim. */
    static int widthStep(int headdim) {
        return headdim % 2 == 0 ? headdim / 2 : headdim;
    }

    static int round(double width, int step) {
        return (int) Math.max(step, Math.round(width / step) * step);
    }
}
