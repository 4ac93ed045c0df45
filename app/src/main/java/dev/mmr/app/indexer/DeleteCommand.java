package dev.mmr.app.indexer;

import dev.mmr.indexer.ImageIndexWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Deletes images from an index by id; when any id is unknown, nothing is deleted.")
public final class DeleteCommand extends IndexerCommand {
    @Option(names = "--index", required = true, description = "index folder")
    Path index;

    @Option(names = "--id", required = true, description = "id of an image to delete (repeatable)")
    List<String> ids;

    @Override
    int execute() throws IOException {
        try (ImageIndexWriter writer = ImageIndexWriter.openExisting(index)) {
            writer.delete(ids);
            writer.commit(Map.of());
        }
        spec.commandLine().getOut().println("deleted " + ids.size() + " image(s) from " + index);
        return 0;
    }
}
