package dev.mmr.indexer.source;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A member of a tar archive, written {@code <archive>!/<member>} as the path of its {@link ImageEntry}. Only a
 * {@code !/} that follows an existing archive file separates the two, so a plain file under a folder whose name
 * ends in {@code !} is read as the plain file it is.
 *
 * @param archive the archive file
 * @param member  the member's path inside it, without a leading {@code ./}
 */
public record ArchiveMember(Path archive, String member) {
    private static final String SEPARATOR = "!/";

    public ArchiveMember {
        Objects.requireNonNull(archive, "archive");
        Objects.requireNonNull(member, "member");
    }

    /** The entry path: {@code <archive>!/<member>}. */
    public String path() {
        return archive + SEPARATOR + member;
    }

    /** The archive member an entry path names; empty when it names a plain file. */
    public static Optional<ArchiveMember> parse(String path) {
        for (int at = path.indexOf(SEPARATOR); at >= 0; at = path.indexOf(SEPARATOR, at + 1)) {
            Path archive = Path.of(path.substring(0, at));
            Path name = archive.getFileName();
            if (name != null && ArchiveSource.accepts(name.toString().toLowerCase(Locale.ROOT)) && Files.isRegularFile(archive)) {
                return Optional.of(new ArchiveMember(archive, path.substring(at + SEPARATOR.length())));
            }
        }
        return Optional.empty();
    }
}
