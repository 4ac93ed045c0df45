package dev.mmr.app.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mmr.indexer.ImageIndex;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints an index's commit data (model fingerprint, widths, dimension, similarity, preprocessing, HNSW settings, progress) and document count as JSON.")
public final class InfoCommand extends IndexerCommand {
    @Option(names = "--index", required = true, description = "index folder")
    Path index;

    @Override
    int execute() throws IOException {
        try (ImageIndex opened = ImageIndex.open(index)) {
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(opened.info().asMap()));
        }
        return 0;
    }
}
