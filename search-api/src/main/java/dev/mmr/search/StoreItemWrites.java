package dev.mmr.search;

import dev.mmr.encoder.EncodeBatch;
import dev.mmr.encoder.EncodeResult;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.lucene.store.LockObtainFailedException;

/**
 * Writes to the served store through the same calls as {@code mmr add} and {@code mmr delete}: an
 * {@link ImageStoreWriter} opened for the write (on an embedded index, Lucene's write lock: a running {@code mmr index}
 * makes a write fail at once with 409), a put replacing by id, one commit, then a refresh of the served reader.
 * Uploaded images are kept in the store's uploads folder ({@link StoreAddress#defaultUploadsFolder()}) as
 * {@code <sha-256>.<ext>}, named by content, so the store can read them back.
 * One write at a time; each needs the bearer token the server was started with.
 */
final class StoreItemWrites implements ItemWrites {
    private static final int MAX_ID_LENGTH = 512;
    private final byte[] tokenHash;
    private final StoreAddress address;
    private final MatMambaModel model;
    private final ImageStore index;

    StoreItemWrites(String token, StoreAddress address, MatMambaModel model, ImageStore index) {
        if (token == null || token.length() < 8) {
            throw new IllegalArgumentException("the write token must have at least 8 characters");
        }
        this.tokenHash = DigestUtils.sha256(token.getBytes(StandardCharsets.UTF_8));
        this.address = address;
        this.model = model;
        this.index = index;
    }

    @Override
    public void authorize(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            throw new ApiException(401, "unauthorized", "writes need the header 'Authorization: Bearer <write token>'");
        }
        byte[] given = DigestUtils.sha256(header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8));
        if (!MessageDigest.isEqual(given, tokenHash)) {
            throw new ApiException(403, "forbidden", "the write token is wrong");
        }
    }

    @Override
    public synchronized void add(String id, byte[] image, String label, Map<String, String> fields) {
        checkId(id);
        fields.keySet().forEach(name -> {
            try {
                ImageEntry.checkFieldName(name);
            } catch (IllegalArgumentException e) {
                throw ApiException.badParameter(e.getMessage());
            }
        });
        EncodeResult encoded = model.encode(new EncodeBatch(List.of(new EncodeBatch.ImageBytes(id, image))), model.submodel(model.full()));
        if (!encoded.failures().isEmpty()) {
            throw new ApiException(422, "bad_image", encoded.failures().getFirst().message());
        }
        float[] embedding = encoded.embedded().getFirst().embedding();
        try {
            Path file = keep(image);
            try (ImageStoreWriter writer = Stores.openWriter(address, model, IndexSettings.DEFAULT)) {
                writer.put(new ImageEntry(id, new ImageLocation.File(file), label, fields), embedding);
                writer.commit(Map.of());
            }
            index.refresh();
        } catch (LockObtainFailedException e) {
            throw locked();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to the store failed", e);
        }
    }

    @Override
    public synchronized void delete(String id) {
        try (ImageStoreWriter writer = Stores.openForDeletes(address)) {
            writer.delete(List.of(id));
            writer.commit(Map.of());
        } catch (IllegalArgumentException e) {
            throw ApiException.unknownItem(id);
        } catch (LockObtainFailedException e) {
            throw locked();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to the store failed", e);
        }
        try {
            index.refresh();
        } catch (IOException e) {
            throw new UncheckedIOException("refreshing the store failed", e);
        }
    }

    private static ApiException locked() {
        return new ApiException(409, "index_locked", "another writer (mmr index, add or delete) holds the index; retry when it is done");
    }

    private static void checkId(String id) {
        if (id == null || id.isBlank() || id.length() > MAX_ID_LENGTH || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ApiException.badParameter("id must be 1 to " + MAX_ID_LENGTH + " characters without control characters");
        }
    }

    /** Stores the image under its content hash (atomically; an identical image is stored once). */
    private Path keep(byte[] image) throws IOException {
        Path folder = Files.createDirectories(address.defaultUploadsFolder()).toAbsolutePath();
        String name = DigestUtils.sha256Hex(image) + extension(image);
        Path file = folder.resolve(name);
        if (!Files.exists(file)) {
            Path temp = Files.createTempFile(folder, "upload-", ".tmp");
            Files.write(temp, image);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        }
        return file;
    }

    private static String extension(byte[] image) {
        return switch (StoredImages.contentType(image)) {
            case "image/jpeg" -> ".jpg";
            case "image/png" -> ".png";
            case "image/gif" -> ".gif";
            case "image/bmp" -> ".bmp";
            default -> ".img";
        };
    }
}
