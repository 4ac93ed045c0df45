package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stored text of a location reads back to the same location, in the form indexes have always stored. */
class ImageLocationTest {
    @Test
    void storedFormRoundTripsAndKeepsTheFormerText(@TempDir Path dir) throws IOException {
        Path archive = Files.createFile(dir.resolve("cifar10.tar.xz"));
        ImageLocation member = new ImageLocation.ArchiveMember(archive, "test/cat/0001.jpg");
        assertEquals(archive + "!/test/cat/0001.jpg", member.stored());
        assertEquals(member, ImageLocation.parse(member.stored()));
        assertEquals("test/cat", ((ImageLocation.ArchiveMember) member).folder());
        assertEquals("", new ImageLocation.ArchiveMember(Path.of("a.tar"), "top.jpg").folder());

        ImageLocation file = new ImageLocation.File(Path.of("/photos/a b/c.jpg"));
        assertEquals("/photos/a b/c.jpg", file.stored());
        assertEquals(file, ImageLocation.parse(file.stored()));
        assertEquals(new ImageLocation.File(Path.of("/no/such.tar!/x.jpg")), ImageLocation.parse("/no/such.tar!/x.jpg"),
                "a '!/' after no archive file is part of a file name");
    }
}
