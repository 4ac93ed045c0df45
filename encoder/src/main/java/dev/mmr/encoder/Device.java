package dev.mmr.encoder;

import java.util.Locale;

/** Where the encoder runs, as users name it with {@code --device}: {@code cpu}, {@code cuda}, or {@code auto} (cuda when usable, else cpu). */
public enum Device {
    CPU, CUDA, AUTO;

    /** The name users type: {@code "cpu"}, {@code "cuda"}, {@code "auto"}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The device named {@code text} (any case); an unknown name is refused listing the known ones. */
    public static Device parse(String text) {
        for (Device d : values()) {
            if (d.label().equalsIgnoreCase(text.trim())) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown device '" + text + "' (known: cpu, cuda, auto)");
    }
}
