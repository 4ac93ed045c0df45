package dev.mmr.app.indexer;

import dev.mmr.app.MmrCommand;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Stores;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = {"Encodes one image at full width and adds it to an index, replacing any image with the same id.",
                "A bad image or a model other than the index's changes nothing."})
public final class AddCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "model folder; must be the one that built the index")
    Path model;

    @Mixin
    StoreOptions store;

    @Option(names = "--id", required = true, description = "the image's id")
    String id;

    @Option(names = "--image", required = true, description = "image file")
    Path image;

    @Option(names = "--label", description = "class label")
    String label;

    @Option(names = "--field", description = "a stored, filterable field, name=value (repeatable)")
    Map<String, String> fields = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
        fields.keySet().forEach(ImageEntry::checkFieldName);
        try (MatMambaModel encoder = MatMambaModel.load(model)) {
            float[] pixels = encoder.preprocessor().preprocess(image);
            float[] embedding = encoder.encode(pixels, 1, encoder.full()).embedding(0);
            try (ImageStoreWriter writer = Stores.openWriter(store.address(), encoder, IndexSettings.DEFAULT)) {
                writer.put(new ImageEntry(id, new ImageLocation.File(image.toAbsolutePath().normalize()), label, fields), embedding);
                writer.commit(Map.of());
                spec.commandLine().getOut().println("added " + id + " to the " + writer.describe());
            }
        }
        return 0;
    }
}
