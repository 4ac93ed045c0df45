package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pickles and archives built to break the reader (deep nesting, self-referencing dicts, views larger than their
 * storage, offsets outside it, duplicate names) end in a {@link CheckpointException} naming the problem, never in a
 * JVM error or another exception.
 */
class HostilePickleTest {
    @TempDir Path tmp;

    @Test
    void aCraftedViewIsReadAsAStateDict() throws Exception {
        Path file = TorchZips.write(tmp.resolve("ok.bin"), TorchZips.oneTensor("w", 4, 0, new long[] {2, 2}, new long[] {1, 2}),
                Map.of("0", floats(1, 2, 3, 4)));
        Tensor w = TorchZipCheckpoint.read(file).get("w");
        assertArrayEquals(new float[] {1, 3, 2, 4}, w.data());
    }

    @Test
    void aDictUsedAsItsOwnKeyIsRefused() throws Exception {
        // d = {}; d[d] = d; d[d] = d: hashing d the second time recursed without end.
        TorchZips p = new TorchZips().op('}').op('q').op(0);
        p.op('h').op(0).op('h').op(0).op('s').op('h').op(0).op('h').op(0).op('s').op('.');
        refused(p.bytes(), "dict key is a dict, not a string");
    }

    @Test
    void deeplyNestedTuplesAreRefused() throws Exception {
        TorchZips p = new TorchZips().op('}').str("x").op(')');
        for (int i = 0; i < 200_000; i++) {
            p.op(0x85); // TUPLE1: (previous,)
        }
        p.op('s').op('.');
        refused(p.bytes(), "tuples nested deeper than " + RestrictedUnpickler.MAX_NESTING);
        TorchZips asKey = new TorchZips().op('}').op(')');
        for (int i = 0; i < 200_000; i++) {
            asKey.op(0x85);
        }
        asKey.str("x").op('s').op('.');
        refused(asKey.bytes(), "tuples nested deeper than");
    }

    @Test
    void aViewOfMoreValuesThanAJavaArrayIsRefused() throws Exception {
        // numel 2^31 with stride 0 over a single value: new float[(int) 2^31] was a NegativeArraySizeException.
        refused(TorchZips.oneTensor("w", 1, 0, new long[] {1L << 31}, new long[] {0}), Map.of("0", floats(1)),
                "tensor w holds 2147483648 values, more than its storage of 1");
    }

    @Test
    void aStrideZeroViewOfBillionsOfValuesIsRefusedBeforeAllocating() throws Exception {
        // 1.5e9 values (6 GB as float32) viewing one stored value through stride 0, in a file of a few hundred bytes.
        refused(TorchZips.oneTensor("w", 1, 0, new long[] {1_500_000_000L}, new long[] {0}), Map.of("0", floats(1)),
                "tensor w holds 1500000000 values, more than its storage of 1");
    }

    @Test
    void storagesDeclaringMoreBytesThanTheFileAreRefusedBeforeReading() throws Exception {
        // A zip bomb: 16 MiB of zeros deflate to a few KiB; the pickle declares them honestly.
        int values = 4 << 20;
        byte[] pickle = TorchZips.oneTensor("w", values, 0, new long[] {values}, new long[] {1});
        Path bomb = tmp.resolve("bomb.bin");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pickle);
            zip.putNextEntry(new ZipEntry("archive/data/0"));
            zip.write(new byte[4 * values]);
            zip.closeEntry();
        }
        assertTrue(Files.size(bomb) < 100_000, "the bomb is small: " + Files.size(bomb));
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchZipCheckpoint.read(bomb));
        assertTrue(e.getMessage().contains("the pickle declares storages of 16777216 bytes in all, more than the file's"), e.getMessage());
    }

    @Test
    void offsetsOutsideTheStorageAreRefused() throws Exception {
        Map<String, byte[]> four = Map.of("0", floats(1, 2, 3, 4));
        refused(TorchZips.oneTensor("w", 4, 1000, new long[] {0}, new long[] {1}), four, "tensor w (offset 1000");
        refused(TorchZips.oneTensor("w", 4, -5, new long[] {0}, new long[] {1}), four, "tensor w (offset -5");
        refused(TorchZips.oneTensor("w", 4, 3, new long[] {2}, new long[] {1}), four, "reaches outside its storage of 4 values");
        refused(TorchZips.oneTensor("w", 4, 1L << 32, new long[] {1}, new long[] {1}), four, "reaches outside its storage");
    }

    @Test
    void duplicateSafetensorsKeysAreRefused() throws Exception {
        byte[] json = ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = Files.write(tmp.resolve("dup.safetensors"), b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains("header: not valid JSON: Duplicate field 'a'"), e.getMessage());
    }

    @Test
    void duplicateZipEntriesAreRefused() throws Exception {
        // ZipOutputStream will not write two entries of one name: write data.pkX, then rename it in place.
        byte[] pickle = TorchZips.oneTensor("w", 1, 0, new long[] {1}, new long[] {1});
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (String name : new String[] {"archive/data.pkl", "archive/data/0", "archive/data/X"}) {
                byte[] data = name.endsWith("pkl") ? pickle : floats(name.endsWith("X") ? 666 : 1);
                zip.putNextEntry(TorchZips.stored(name, data));
                zip.write(data);
                zip.closeEntry();
            }
        }
        String zip = bytes.toString(StandardCharsets.ISO_8859_1).replace("archive/data/X", "archive/data/0");
        Path file = Files.write(tmp.resolve("dup.bin"), zip.getBytes(StandardCharsets.ISO_8859_1));
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchZipCheckpoint.read(file));
        assertTrue(e.getMessage().contains("duplicate zip entry archive/data/0"), e.getMessage());
    }

    private void refused(byte[] pickle, String expected) throws Exception {
        refused(pickle, Map.of(), expected);
    }

    private void refused(byte[] pickle, Map<String, byte[]> storages, String expected) throws Exception {
        Path file = TorchZips.write(Files.createTempFile(tmp, "hostile", ".bin"), pickle, storages);
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(CheckpointException.class, () -> TorchZipCheckpoint.read(file)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
