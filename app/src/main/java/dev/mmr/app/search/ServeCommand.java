package dev.mmr.app.search;

import dev.mmr.app.MmrCommand;
import dev.mmr.app.encoder.EncoderOptions;
import dev.mmr.app.indexer.StoreOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the search API and web pages over an index (--index) or a SolrCloud collection (--solr), for the model that built it.")
public final class ServeCommand implements Callable<Integer>, MmrCommand {
    @Mixin
    StoreOptions store;

    @Option(names = "--model", required = true, description = "Model folder: the model that built the index (fingerprint checked).")
    Path model;

    @Mixin
    ServerOptions server;

    @Mixin
    EncoderOptions device;

    @Override
    public Integer call() throws Exception {
        server.serve(device, model, store.address());
        return 0;
    }
}
