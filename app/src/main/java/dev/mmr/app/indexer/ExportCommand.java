package dev.mmr.app.indexer;

import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.mmr.app.MmrCommand;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.Npy;
import dev.mmr.indexer.Stores;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes an index's embeddings for analysis: <out>/embeddings.npy (float32, rows x dimension)",
                "and <out>/images.csv (row, id, label, path), row i of one matching row i of the other.",
                "In Python: np.load('embeddings.npy'), pandas.read_csv('images.csv')."})
public final class ExportCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--out", required = true, description = "output folder (created if missing)")
    Path out;

    @Override
    public Integer call() throws IOException {
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
                    table.write(Arrays.asList(row[0]++, image.id(), image.label() == null ? "" : image.label(), image.location().stored()));
                });
            }
        }
        spec.commandLine().getOut().printf("exported %d embeddings to %s (embeddings.npy, images.csv)%n", rows, out);
        return 0;
    }
}
