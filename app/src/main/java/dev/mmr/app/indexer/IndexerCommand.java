package dev.mmr.app.indexer;

import dev.mmr.app.MmrCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** Common ground of the indexer's commands: expected failures (bad input, I/O) print one clear line and exit 1. */
abstract class IndexerCommand implements Callable<Integer>, MmrCommand {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    abstract int execute() throws IOException, InterruptedException;

    @Override
    public final Integer call() throws InterruptedException {
        try {
            return execute();
        } catch (IOException | IllegalArgumentException e) {
            return fail(e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (UncheckedIOException e) {
            return fail(e.getCause().getMessage());
        }
    }

    int fail(String message) {
        spec.commandLine().getErr().println("mmr " + spec.name() + ": " + message);
        return 1;
    }
}
