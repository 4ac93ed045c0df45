package dev.mmr.indexer.cli;

import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.mmr.indexer.Npy;
import dev.mmr.indexer.store.ImageStore;
import dev.mmr.indexer.store.StoreOptions;
import dev.mmr.indexer.store.Stores;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes an index's embeddings for analysis: <out>/embeddings.npy (float32, rows x dimension)",
                "and <out>/images.csv (row, id, label, path), row i of one matching row i of the other.",
                "In Python: np.load('embeddings.npy'), pandas.read_csv('images.csv')."})
public final class ExportCommand extends IndexerCommand {
    @Mixin
    StoreOptions store;

    @Option(names = "--out", required = true, description = "output folder (created if missing)")
    Path out;

    @Override
    int execute() throws IOException {
        Files.createDirectories(out);
        CsvSchema schema = CsvSchema.builder().addColumn("row").addColumn("id").addColumn("label").addColumn("path").build().withHeader();
        long rows;
        try (ImageStore opened = Stores.openUnchecked(store.address());
             OutputStream matrix = new BufferedOutputStream(Files.newOutputStream(out.resolve("embeddings.npy")), 1 << 16);
             SequenceWriter table = new CsvMapper().writer(schema).writeValues(Files.newBufferedWriter(out.resolve("images.csv")))) {
            rows = opened.size();
            try (Npy npy = new Npy(matrix, rows, opened.dimension())) {
                int[] row = {0};
                opened.forEach((image, embedding) -> {
                    npy.writeRow(embedding);
                    table.write(Arrays.asList(row[0]++, image.id(), image.label() == null ? "" : image.label(), image.path()));
                });
            }
        }
        spec.commandLine().getOut().printf("exported %d embeddings to %s (embeddings.npy, images.csv)%n", rows, out);
        return 0;
    }
}
