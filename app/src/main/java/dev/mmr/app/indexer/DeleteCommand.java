package dev.mmr.app.indexer;

import dev.mmr.app.MmrCommand;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.Stores;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Deletes images from an index by id; when any id is unknown, nothing is deleted.")
public final class DeleteCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--id", required = true, description = "id of an image to delete (repeatable)")
    List<String> ids;

    @Override
    public Integer call() throws IOException {
        try (ImageStoreWriter writer = Stores.openForDeletes(store.address())) {
            writer.delete(ids);
            writer.commit(Map.of());
            spec.commandLine().getOut().println("deleted " + ids.size() + " image(s) from the " + writer.describe());
        }
        return 0;
    }
}
