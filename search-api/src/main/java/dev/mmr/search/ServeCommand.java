package dev.mmr.search;

import dev.mmr.cli.MmrCommand;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import dev.mmr.indexer.IndexMismatchException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the search API and web pages over an index, for the model that built it.")
public final class ServeCommand implements Callable<Integer>, MmrCommand {
    @Option(names = "--index", required = true, description = "Index folder (made by 'mmr index').")
    Path index;

    @Option(names = "--model", required = true, description = "Model folder: the model that built the index (fingerprint checked).")
    Path model;

    @Mixin
    ServerOptions server;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try {
            Serving.serveUntilStopped(model, index, server.reportsDir(), server.limits(), server.host, server.port, server.writeToken, System.out);
            return 0;
        } catch (IndexMismatchException e) {
            spec.commandLine().getErr().println("mmr serve: " + e.getMessage());
            return 2;
        }
    }
}
