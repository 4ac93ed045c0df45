package dev.mmr.search;

import dev.mmr.cli.MmrCommand;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the search API and web pages over an index, for the model that built it.")
public final class ServeCommand implements Callable<Integer>, MmrCommand {
    @Option(names = "--index", required = true, description = "Index folder (made by 'mmr index').")
    Path index;

    @Option(names = "--model", required = true, description = "Model folder: the model that built the index (fingerprint checked).")
    Path model;

    @Mixin
    ServerOptions server;

    @Override
    public Integer call() throws Exception {
        Serving.serveUntilStopped(model, index, server.reportsDir(), server.limits(), server.host, server.port, server.writeToken, System.out);
        return 0;
    }
}
