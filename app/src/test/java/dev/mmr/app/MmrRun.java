package dev.mmr.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of a command in this JVM, as {@code bin/mmr} runs it: its exit code and what it printed. */
public record MmrRun(int exit, String out, String err) {

    /** Runs {@code mmr args...}. */
    public static MmrRun of(String... args) {
        return of(Mmr.commandLine(), args);
    }

    /** Runs {@code args} on the given command line (the launcher's, or one set up by a test). */
    public static MmrRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new MmrRun(exit, out.toString(), err.toString());
    }
}
