package dev.mmr.app.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mmr.app.MmrCommand;
import dev.mmr.indexer.ImageIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Prints an index's commit data (model fingerprint, widths, dimension, similarity, preprocessing, HNSW settings, progress) and document count as JSON.")
public final class InfoCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Option(names = "--index", required = true, description = "index folder")
    Path index;

    @Override
    public Integer call() throws IOException {
        try (ImageIndex opened = ImageIndex.open(index)) {
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(opened.info().asMap()));
        }
        return 0;
    }
}
