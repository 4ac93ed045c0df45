package dev.mmr.cuda;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameter kinds of a kernel as its source declares them, one letter each: {@code p} a pointer, {@code i} an
 * int, {@code f} a float. Launches are checked against it, so an argument list out of step with the source fails
 * with a message instead of running the kernel on misread arguments.
 */
final class KernelSignature {
    private KernelSignature() {
    }

    /** The kinds of {@code kernel}'s parameters, read from its source. */
    static String of(Kernel kernel) {
        String source = KernelBuild.source(kernel.source);
        Matcher m = declaration(kernel).matcher(source);
        if (!m.find()) {
            throw new IllegalStateException("no kernel " + kernel.symbol + " in " + kernel.source);
        }
        StringBuilder kinds = new StringBuilder();
        for (String parameter : m.group(1).split(",")) {
            String p = parameter.strip();
            if (p.contains("*")) {
                kinds.append('p');
            } else if (p.startsWith("int ")) {
                kinds.append('i');
            } else if (p.startsWith("float ")) {
                kinds.append('f');
            } else {
                throw new IllegalStateException(kernel.symbol + ": parameter of an unsupported type: " + p);
            }
        }
        return kinds.toString();
    }

    /** A kernel's declaration, {@code extern "C" __global__ void [__launch_bounds__(...)] name(parameters)}. */
    static Pattern declaration(Kernel kernel) {
        return Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?"
                + Pattern.quote(kernel.symbol) + "\\(([^)]*)\\)");
    }
}
