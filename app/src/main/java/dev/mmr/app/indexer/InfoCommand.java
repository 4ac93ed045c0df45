package dev.mmr.app.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mmr.app.MmrCommand;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.Stores;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints an index's commit data (model fingerprint, widths, dimension, similarity, preprocessing, HNSW settings, progress) and document count as JSON.")
public final class InfoCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Override
    public Integer call() throws IOException {
        try (ImageStore opened = Stores.openUnchecked(store.address())) {
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(opened.info().asMap()));
        }
        return 0;
    }
}
