package dev.mmr.indexer.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where an image's bytes live: a file, or a member of a tar archive. Sources write it; the index stores its text
 * form ({@link #stored()}: the file path, or {@code <archive>!/<member>}, the form indexes have always held) and
 * {@link #parse} reads that back, so no other code takes the text apart.
 */
public sealed interface ImageLocation {
    /** Between the archive's path and the member's path in the stored form. */
    String ARCHIVE_SEPARATOR = "!/";

    /** The text the index stores. */
    String stored();

    /** An image file. */
    record File(Path path) implements ImageLocation {
        @Override
        public String stored() {
            return path.toString();
        }
    }

    /** A member of a tar archive, by its path inside the archive (without a leading {@code ./}). */
    record ArchiveMember(Path archive, String member) implements ImageLocation {
        @Override
        public String stored() {
            return archive + ARCHIVE_SEPARATOR + member;
        }

        /** The member's folder inside the archive, {@code ""} at the top. */
        public String folder() {
            int slash = member.lastIndexOf('/');
            return slash < 0 ? "" : member.substring(0, slash);
        }
    }

    /**
     * Reads back what {@link #stored()} wrote. Only a {@code !/} that follows an existing archive file separates
     * archive and member, so a file under a folder whose name ends in {@code !} is read as the file it is.
     */
    static ImageLocation parse(String stored) {
        for (int at = stored.indexOf(ARCHIVE_SEPARATOR); at >= 0; at = stored.indexOf(ARCHIVE_SEPARATOR, at + 1)) {
            Path archive = Path.of(stored.substring(0, at));
            Path name = archive.getFileName();
            if (name != null && ArchiveSource.accepts(name.toString().toLowerCase(Locale.ROOT)) && Files.isRegularFile(archive)) {
                return new ArchiveMember(archive, stored.substring(at + ARCHIVE_SEPARATOR.length()));
            }
        }
        return new File(Path.of(stored));
    }
}
