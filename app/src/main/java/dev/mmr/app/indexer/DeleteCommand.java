package dev.mmr.app.indexer;

import dev.mmr.app.MmrCommand;
import dev.mmr.indexer.ImageIndexWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Deletes images from an index by id; when any id is unknown, nothing is deleted.")
public final class DeleteCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Option(names = "--index", required = true, description = "index folder")
    Path index;

    @Option(names = "--id", required = true, description = "id of an image to delete (repeatable)")
    List<String> ids;

    @Override
    public Integer call() throws IOException {
        try (ImageIndexWriter writer = ImageIndexWriter.openExisting(index)) {
            writer.delete(ids);
            writer.commit(Map.of());
        }
        spec.commandLine().getOut().println("deleted " + ids.size() + " image(s) from " + index);
        return 0;
    }
}
