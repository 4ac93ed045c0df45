package dev.mmr.eval;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Encoded image sets on disk, one file per key, so a rerun skips the encoder. The key is a SHA-256
 * over what determines the vectors: the model fingerprint (which covers config, weights and
 * preprocessing), the submodel's widths, the source's identity and the image limit. Files are
 * written to a temporary name and moved into place, so an interrupted run never leaves a partial
 * entry; an unreadable entry counts as absent.
 */
public final class EmbeddingCache {
    private static final String MAGIC = "mmr-embeddings";
    private static final int FORMAT = 1;

    private final Path dir;

    public EmbeddingCache(Path dir) {
        this.dir = dir;
    }

    public static String key(String modelFingerprint, String widthsName, String sourceIdentity, int limit) {
        String material = String.join("\n", "format " + FORMAT, modelFingerprint, widthsName, sourceIdentity, "limit " + limit);
        return DigestUtils.sha256Hex(material);
    }

    public Path file(String key) {
        return dir.resolve(key + ".emb");
    }

    /** The entry for {@code key}, or empty when absent or unreadable. */
    public Optional<Embeddings> get(String key) {
        Path file = file(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (!MAGIC.equals(in.readUTF()) || in.readInt() != FORMAT) {
                return Optional.empty();
            }
            int n = in.readInt();
            int dim = in.readInt();
            double encodeSeconds = in.readDouble();
            int skipped = in.readInt();
            if (n < 0 || dim <= 0 || (long) n * dim > Integer.MAX_VALUE - 8) {
                return Optional.empty();
            }
            List<String> ids = new ArrayList<>(n);
            List<String> labels = new ArrayList<>(n);
            int[] predicted = new int[n];
            for (int i = 0; i < n; i++) {
                ids.add(in.readUTF());
                labels.add(in.readUTF());
                predicted[i] = in.readInt();
            }
            float[] vectors = new float[n * dim];
            for (int i = 0; i < vectors.length; i++) {
                vectors[i] = in.readFloat();
            }
            if (in.read() != -1) {
                return Optional.empty();
            }
            return Optional.of(new Embeddings(ids, labels, dim, vectors, predicted, encodeSeconds, skipped));
        } catch (EOFException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (IOException e) {
            System.err.println("eval: ignoring unreadable cache entry " + file + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    public void put(String key, Embeddings embeddings) throws IOException {
        Files.createDirectories(dir);
        Path temporary = Files.createTempFile(dir, key, ".partial");
        try {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(temporary), 1 << 16))) {
                out.writeUTF(MAGIC);
                out.writeInt(FORMAT);
                out.writeInt(embeddings.size());
                out.writeInt(embeddings.dim());
                out.writeDouble(embeddings.encodeSeconds());
                out.writeInt(embeddings.skipped());
                for (int i = 0; i < embeddings.size(); i++) {
                    out.writeUTF(embeddings.ids().get(i));
                    out.writeUTF(embeddings.labels().get(i));
                    out.writeInt(embeddings.predictedClass()[i]);
                }
                for (float v : embeddings.vectors()) {
                    out.writeFloat(v);
                }
            }
            Files.move(temporary, file(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
