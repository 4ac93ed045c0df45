package dev.mmr.encoder;

import dev.mmr.encoder.RestrictedUnpickler.StorageRef;
import dev.mmr.encoder.RestrictedUnpickler.TensorRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch's zip checkpoint ({@code torch.save} since 1.6, e.g. {@code pytorch_model.bin}): one top-level
 * folder holding {@code data.pkl}, the pickled state dict, and {@code data/<key>}, the raw little-endian bytes of
 * each storage. The pickle is read by {@link RestrictedUnpickler}, which executes nothing; each tensor is then
 * gathered from its storage through its offset and strides, after checking the view lies inside the storage.
 */
final class TorchZipCheckpoint {

    /** Largest {@code data.pkl} accepted; a state dict's pickle is a few kilobytes per tensor. */
    static final long MAX_PICKLE_BYTES = 64L << 20;

    private TorchZipCheckpoint() {
    }

    /** All tensors of the state dict in pickle order; failures name the file and tensor. */
    static Map<String, Tensor> read(Path file) throws CheckpointException {
        String source = file.getFileName().toString();
        SafeTensors.requireRegular(file, source);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String folder = archiveFolder(zip, source);
            ZipEntry byteOrder = zip.getEntry(folder + "byteorder");
            if (byteOrder != null && !new String(readEntry(zip, byteOrder, 16, source), StandardCharsets.US_ASCII).strip().equals("little")) {
                throw new CheckpointException(source + ": big-endian archives are not supported");
            }
            byte[] pickle = readEntry(zip, zip.getEntry(folder + "data.pkl"), MAX_PICKLE_BYTES, source);
            Map<String, TensorRef> refs = RestrictedUnpickler.stateDict(pickle, source);
            requireStoragesFitTheFile(refs, Files.size(file), source);
            Map<String, float[]> storages = new HashMap<>();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
                TensorRef ref = e.getValue();
                float[] storage = storages.get(ref.storage().key());
                if (storage == null) {
                    storage = readStorage(zip, folder, ref.storage(), source);
                    storages.put(ref.storage().key(), storage);
                }
                tensors.put(e.getKey(), gather(e.getKey(), ref, storage, source));
            }
            return tensors;
        } catch (ZipException e) {
            throw new CheckpointException(source + ": not a readable zip archive (" + e.getMessage()
                    + "); only PyTorch's zip format (torch.save since 1.6) is supported", e);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read: " + e, e);
        }
    }

    /**
     * The storages' declared bytes together must fit in the file: stored entries cannot hold more, and entries sharing
     * their bytes (one blob named twice) would otherwise multiply what is allocated.
     */
    private static void requireStoragesFitTheFile(Map<String, TensorRef> refs, long fileBytes, String source) throws CheckpointException {
        Map<String, StorageRef> distinct = new HashMap<>();
        refs.values().forEach(r -> distinct.putIfAbsent(r.storage().key(), r.storage()));
        long total = 0;
        try {
            for (StorageRef s : distinct.values()) {
                total = Math.addExact(total, Math.multiplyExact(s.numel(), s.dtype().bytes));
            }
        } catch (ArithmeticException e) {
            total = Long.MAX_VALUE;
        }
        if (total > fileBytes) {
            throw new CheckpointException(source + ": the pickle declares storages of " + total + " bytes in all, more than the file's "
                    + fileBytes + " bytes");
        }
    }

    /** The single top-level folder holding {@code data.pkl}, with a trailing slash; an archive naming an entry twice is refused. */
    private static String archiveFolder(ZipFile zip, String source) throws CheckpointException {
        List<String> names = Collections.list(zip.entries()).stream().map(ZipEntry::getName).toList();
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            if (!seen.add(name)) {
                throw new CheckpointException(source + ": duplicate zip entry " + name + " (which of them is meant is ambiguous)");
            }
        }
        List<String> pickles = names.stream()
                .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                .toList();
        if (pickles.size() != 1) {
            throw new CheckpointException(source + ": expected one <archive>/data.pkl in the zip, found " + pickles.size());
        }
        return pickles.getFirst().substring(0, pickles.getFirst().length() - "data.pkl".length());
    }

    private static float[] readStorage(ZipFile zip, String folder, StorageRef storage, String source) throws IOException {
        ZipEntry entry = zip.getEntry(folder + "data/" + storage.key());
        if (entry == null) {
            throw new CheckpointException(source + ": storage " + storage.key() + " is missing from the archive");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(storage.numel(), storage.dtype().bytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(source + ": storage " + storage.key() + " is too large");
        }
        if (bytes > Integer.MAX_VALUE - 8 || entry.getSize() != bytes) {
            throw new CheckpointException(source + ": storage " + storage.key() + " holds " + entry.getSize() + " bytes, the pickle says "
                    + storage.numel() + " values of " + storage.dtype() + " (" + bytes + " bytes)");
        }
        byte[] raw = readEntry(zip, entry, bytes, source);
        if (raw.length != bytes) {
            throw new CheckpointException(source + ": storage " + storage.key() + " is truncated");
        }
        return storage.dtype().decode(ByteBuffer.wrap(raw), (int) storage.numel());
    }

    private static Tensor gather(String name, TensorRef ref, float[] storage, String source) throws CheckpointException {
        long[] size = ref.size();
        long[] stride = ref.stride();
        long numel;
        long last = ref.offset();
        try {
            numel = Tensor.numel(size);
            for (int d = 0; d < size.length; d++) {
                if (stride[d] < 0) {
                    throw new CheckpointException(source + ": tensor " + name + " has a negative stride " + Arrays.toString(stride));
                }
                if (size[d] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
                }
            }
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw new CheckpointException(source + ": tensor " + name + " has an invalid size " + Arrays.toString(size));
        }
        if (numel > storage.length) {
            throw new CheckpointException(source + ": tensor " + name + " holds " + numel + " values, more than its storage of "
                    + storage.length + " (size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + ")");
        }
        if (ref.offset() < 0 || ref.offset() > storage.length || (numel > 0 && last >= storage.length)) {
            throw new CheckpointException(source + ": tensor " + name + " (offset " + ref.offset() + ", size " + Arrays.toString(size)
                    + ", stride " + Arrays.toString(stride) + ") reaches outside its storage of " + storage.length + " values");
        }
        if (isContiguous(size, stride)) {
            return new Tensor(size, Arrays.copyOfRange(storage, (int) ref.offset(), (int) (ref.offset() + numel)));
        }
        float[] out = new float[(int) numel];
        int rank = size.length;
        long[] index = new long[rank];
        long at = ref.offset();
        for (int i = 0; i < out.length; i++) {
            out[i] = storage[(int) at];
            for (int d = rank - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    at += stride[d];
                    break;
                }
                at -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return new Tensor(size, out);
    }

    /** Whether row-major strides: the view is one run of the storage. */
    private static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry, long limit, String source) throws IOException {
        if (entry.getSize() > limit) {
            throw new CheckpointException(source + ": " + entry.getName() + " is larger than " + limit + " bytes");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) limit);
            if (in.read() >= 0) {
                throw new CheckpointException(source + ": " + entry.getName() + " is larger than " + limit + " bytes");
            }
            return bytes;
        }
    }
}
