package dev.mmr.indexer;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The rejects file: one line per image that could not be indexed, {@code id<TAB>reason}, each id at most once.
 * Reopening keeps earlier rejects except those now indexed (a fixed file indexed on a rerun leaves the list), and
 * drops a line cut short by a crash. Ids and reasons are escaped as in a TSV ({@code \t}, {@code \n}, {@code \r},
 * and a backslash as {@code \\}), so ids differing only in such characters keep lines of their own.
 */
final class Rejects implements Closeable {
    private final Path file;
    private final Map<String, String> reasons = new LinkedHashMap<>();
    private final BufferedWriter out;
    private final FileChannel channel;

    Rejects(Path file, Predicate<String> indexed) throws IOException {
        this.file = file;
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            for (String line : (end < 0 ? "" : text.substring(0, end)).split("\n")) {
                int tab = line.indexOf('\t');
                if (tab > 0 && !indexed.test(unescape(line.substring(0, tab)))) reasons.putIfAbsent(line.substring(0, tab), line.substring(tab + 1));
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path fresh = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        StringBuilder kept = new StringBuilder();
        reasons.forEach((id, reason) -> kept.append(id).append('\t').append(reason).append('\n'));
        Files.writeString(fresh, kept, StandardCharsets.UTF_8);
        Files.move(fresh, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        out = new BufferedWriter(java.nio.channels.Channels.newWriter(channel, StandardCharsets.UTF_8));
    }

    /** Records a reject unless the id is already listed. */
    synchronized void add(String id, String reason) throws IOException {
        String escapedId = escape(id);
        String escapedReason = escape(reason == null ? "unknown" : reason);
        if (reasons.putIfAbsent(escapedId, escapedReason) == null) out.write(escapedId + '\t' + escapedReason + '\n');
    }

    synchronized int count() {
        return reasons.size();
    }

    /** Writes buffered rejects through to the disk. */
    synchronized void sync() throws IOException {
        out.flush();
        channel.force(false);
    }

    Path file() {
        return file;
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                out.append(c);
                continue;
            }
            char next = s.charAt(++i);
            out.append(switch (next) {
                case 't' -> '\t';
                case 'n' -> '\n';
                case 'r' -> '\r';
                default -> next;
            });
        }
        return out.toString();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
