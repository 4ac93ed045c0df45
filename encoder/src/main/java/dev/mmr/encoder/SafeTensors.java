package dev.mmr.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {@code dtype}, {@code shape} and {@code data_offsets} (relative to the data region), then
 * the raw little-endian data. F32, F16 and BF16 tensors are accepted and widened to float32.
 * <p>Everything is validated before any tensor memory is allocated: the header length against the file size,
 * each tensor's byte span against its dtype and shape, every span inside the data region, and the spans
 * tiling that region exactly (no overlaps, no gaps), as the format requires.
 */
public final class SafeTensors {

    /** Largest JSON header accepted, as in the reference implementation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) { }

    private SafeTensors() {
    }

    /** All tensors of the file in header order; the message of any failure names the file and tensor. */
    public static Map<String, Tensor> read(Path file) throws CheckpointException {
        String source = file.getFileName().toString();
        requireRegular(file, source);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(source + ": truncated safetensors file (" + size + " bytes, shorter than the 8-byte header length)");
            }
            ByteBuffer lengthBytes = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 2 || headerLength > size - 8) {
                throw new CheckpointException(source + ": header length " + Long.toUnsignedString(headerLength)
                        + " does not fit the file of " + size + " bytes (truncated or not a safetensors file)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new CheckpointException(source + ": header of " + headerLength + " bytes exceeds the limit of " + MAX_HEADER_BYTES);
            }
            ByteBuffer header = readFully(channel, 8, (int) headerLength);
            long dataStart = 8 + headerLength;
            List<Entry> entries = parseHeader(header.array(), size - dataStart, source);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                ByteBuffer raw = readFully(channel, dataStart + e.begin, (int) (e.end - e.begin));
                tensors.put(e.name, new Tensor(e.shape, e.dtype.decode(raw, (int) Tensor.numel(e.shape))));
            }
            return tensors;
        } catch (CheckpointException e) {
            throw e;
        } catch (EOFException e) {
            throw new CheckpointException(source + ": truncated while reading (the file changed or is shorter than its header says)", e);
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read: " + e, e);
        }
    }

    private static List<Entry> parseHeader(byte[] json, long dataLength, String source) throws CheckpointException {
        JsonNode root = JsonObjects.parse(json, source + ": header");
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                continue;
            }
            entries.add(parseEntry(field.getKey(), field.getValue(), dataLength, source));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        for (Entry e : byOffset) {
            if (e.begin < covered) {
                throw new CheckpointException(source + ": tensor " + e.name + " overlaps another tensor's data (offset " + e.begin + ")");
            }
            if (e.begin > covered) {
                throw new CheckpointException(source + ": tensor " + e.name + " leaves a gap in the data region (offset " + e.begin + ", expected " + covered + ")");
            }
            covered = e.end;
        }
        if (covered != dataLength) {
            throw new CheckpointException(source + ": the tensors cover " + covered + " of the " + dataLength + " bytes of the data region");
        }
        return entries;
    }

    private static Entry parseEntry(String name, JsonNode node, long dataLength, String source) throws CheckpointException {
        String where = source + ": tensor " + name;
        if (!node.isObject()) {
            throw new CheckpointException(where + ": header entry is not an object");
        }
        String dtypeName = node.path("dtype").asText("");
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": unsupported dtype \"" + dtypeName + "\" (F32, F16 and BF16 are supported)");
        }
        JsonNode shapeNode = node.path("shape");
        if (!shapeNode.isArray()) {
            throw new CheckpointException(where + ": shape is not an array");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new CheckpointException(where + ": shape " + shapeNode + " is not a list of non-negative integers");
            }
            shape[i] = d.longValue();
        }
        JsonNode offsets = node.path("data_offsets");
        if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw new CheckpointException(where + ": data_offsets " + offsets + " is not a pair of integers");
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        if (begin < 0 || end < begin || end > dataLength) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] lie outside the data region of "
                    + dataLength + " bytes");
        }
        long numel;
        try {
            numel = Tensor.numel(shape);
            if (Math.multiplyExact(numel, dtype.bytes) != end - begin) {
                throw new CheckpointException(where + ": " + (end - begin) + " bytes of data do not match dtype " + dtype
                        + " and shape " + shapeNode + " (" + numel + " values)");
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + shapeNode + " is too large");
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(where + ": " + numel + " values exceed one Java array");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Refuses a device or FIFO before opening it (opening a FIFO waits for a writer); used by both weight readers. */
    static void requireRegular(Path file, String source) throws CheckpointException {
        try {
            RegularFiles.requireRegular(file);
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException();
            }
        }
        return buffer.flip();
    }
}
