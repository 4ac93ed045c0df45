package dev.mmr.indexer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mmr.indexer.store.ImageStore;
import dev.mmr.indexer.store.StoreOptions;
import dev.mmr.indexer.store.Stores;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints an index's commit data (model fingerprint, widths, dimension, similarity, preprocessing, HNSW settings, progress) and document count as JSON.")
public final class InfoCommand extends IndexerCommand {
    @Mixin
    StoreOptions store;

    @Override
    int execute() throws IOException {
        try (ImageStore opened = Stores.openUnchecked(store.address())) {
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(opened.info().asMap()));
        }
        return 0;
    }
}
