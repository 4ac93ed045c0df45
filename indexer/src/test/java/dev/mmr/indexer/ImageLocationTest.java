package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mmr.indexer.source.ImageLocation;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The stored text of a location reads back to the same location, in the form indexes have always stored. */
class ImageLocationTest {
    @Test
    void storedFormRoundTripsAndKeepsTheFormerText() {
        ImageLocation member = new ImageLocation.ArchiveMember(Path.of("/data/cifar10.tar.xz"), "test/cat/0001.jpg");
        assertEquals("/data/cifar10.tar.xz!/test/cat/0001.jpg", member.stored());
        assertEquals(member, ImageLocation.parse(member.stored()));
        assertEquals("test/cat", ((ImageLocation.ArchiveMember) member).folder());
        assertEquals("", new ImageLocation.ArchiveMember(Path.of("a.tar"), "top.jpg").folder());

        ImageLocation file = new ImageLocation.File(Path.of("/photos/a b/c.jpg"));
        assertEquals("/photos/a b/c.jpg", file.stored());
        assertEquals(file, ImageLocation.parse(file.stored()));
    }
}
