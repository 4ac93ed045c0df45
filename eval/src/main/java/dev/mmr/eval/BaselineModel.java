package dev.mmr.eval;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An independently trained model and the one level it was trained at: written {@code DIR@LEVEL},
 * or just {@code DIR} when the directory's name ends in {@code -l<LEVEL>} (as in
 * {@code models/cifar10-baseline-l4}).
 */
public record BaselineModel(Path dir, int level) {
    private static final Pattern EXPLICIT = Pattern.compile("(.+)@(\\d+)");
    private static final Pattern NAMED = Pattern.compile(".*-l(\\d+)");

    public static BaselineModel parse(String spec) {
        Matcher explicit = EXPLICIT.matcher(spec);
        if (explicit.matches()) {
            return new BaselineModel(Path.of(explicit.group(1)), Integer.parseInt(explicit.group(2)));
        }
        Path dir = Path.of(spec);
        Path name = dir.normalize().getFileName();
        Matcher named = NAMED.matcher(name == null ? "" : name.toString());
        if (named.matches()) {
            return new BaselineModel(dir, Integer.parseInt(named.group(1)));
        }
        throw new IllegalArgumentException("cannot tell the level baseline '" + spec
                + "' was trained at: write DIR@LEVEL (e.g. models/my-baseline@4) or name the directory ...-l<LEVEL>");
    }

    /** The report row's name: "baseline-l" and the level. */
    public String rowName() {
        return "baseline-l" + level;
    }
}
