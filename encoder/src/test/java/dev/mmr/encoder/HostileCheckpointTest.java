package dev.mmr.encoder;

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
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/** Weight files that are truncated, inconsistent or malicious are refused with a message naming the problem. */
class HostileCheckpointTest {
    @TempDir Path tmp;

    @Test
    void truncatedSafetensorsAreRefused() throws Exception {
        byte[] full = Files.readAllBytes(TestPaths.goldenTiny().resolve("model.safetensors"));
        Path tiny = write("four-bytes.safetensors", Arrays.copyOf(full, 4));
        refused(() -> SafeTensors.read(tiny), "truncated safetensors file");
        Path midHeader = write("mid-header.safetensors", Arrays.copyOf(full, 200));
        refused(() -> SafeTensors.read(midHeader), "does not fit the file");
        Path midData = write("mid-data.safetensors", Arrays.copyOf(full, full.length / 2));
        refused(() -> SafeTensors.read(midData), "outside the data region");
    }

    @Test
    void headerLengthBeyondTheFileIsRefusedBeforeAllocating() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 1).put((byte) '{').put((byte) '}');
        Path huge = write("huge-header.safetensors", b.array());
        refused(() -> SafeTensors.read(huge), "header length 9223372036854775806 does not fit the file of 10 bytes");
        ByteBuffer negative = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).put((byte) '{').put((byte) '}');
        Path wraps = write("negative-header.safetensors", negative.array());
        refused(() -> SafeTensors.read(wraps), "header length 18446744073709551615 does not fit");
    }

    @Test
    void offsetsOutsideTheDataAreRefused() throws Exception {
        Path outside = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
        refused(() -> SafeTensors.read(outside), "tensor a: data_offsets [0, 8] lie outside the data region of 4 bytes");
        Path backwards = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8);
        refused(() -> SafeTensors.read(backwards), "tensor a: data_offsets [8, 4] lie outside");
        Path negative = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8);
        refused(() -> SafeTensors.read(negative), "tensor a: data_offsets [-4, 0] lie outside");
    }

    @Test
    void inconsistentOrOverlappingTensorsAreRefused() throws Exception {
        Path wrongSize = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        refused(() -> SafeTensors.read(wrongSize), "tensor a: 8 bytes of data do not match dtype F32 and shape [3]");
        Path overlap = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        refused(() -> SafeTensors.read(overlap), "tensor b overlaps another tensor's data");
        Path gap = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        refused(() -> SafeTensors.read(gap), "tensor a leaves a gap");
        Path overflow = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4);
        refused(() -> SafeTensors.read(overflow), "tensor a: shape [4294967296,4294967296] is too large");
        Path int64 = safetensors("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        refused(() -> SafeTensors.read(int64), "tensor a: unsupported dtype \"I64\"");
        Path notJson = safetensors("{\"a\": [", 0);
        refused(() -> SafeTensors.read(notJson), "header: not valid JSON");
    }

    @Test
    void picklesNamingOtherGlobalsAreRefusedByName() throws Exception {
        refused(() -> TorchZipCheckpoint.read(TestPaths.resource("checkpoints/hostile/os-system.bin")),
                "refusing pickle global os.system");
        refused(() -> TorchZipCheckpoint.read(TestPaths.resource("checkpoints/hostile/builtins-eval.bin")),
                "refusing pickle global builtins.eval");
        Path posix = torchZip("posix.bin", "\u0080\u0002cposix\nsystem\nq\u0000.");
        refused(() -> TorchZipCheckpoint.read(posix), "refusing pickle global posix.system");
    }

    @Test
    void malformedPicklesAreRefused() throws Exception {
        // An allowed global called the wrong way, an unsupported opcode, a truncated stream.
        Path wrongCall = torchZip("storage-call.bin", "\u0080\u0002ctorch\nFloatStorage\n)R.");
        refused(() -> TorchZipCheckpoint.read(wrongCall), "call of torch.FloatStorage with 0 arguments is not part of a state dict");
        Path opcode = torchZip("opcode.bin", "\u0080\u0002S'text'\n.");
        refused(() -> TorchZipCheckpoint.read(opcode), "unsupported pickle opcode 0x53");
        Path truncated = torchZip("truncated.bin", "\u0080\u0002ccollections\nOrderedDict\n)");
        refused(() -> TorchZipCheckpoint.read(truncated), "truncated pickle");
        Path notADict = torchZip("list.bin", "\u0080\u0002K\u0007.");
        refused(() -> TorchZipCheckpoint.read(notADict), "holds a Long, not a state dict");
    }

    @Test
    void truncatedOrForeignTorchFilesAreRefused() throws Exception {
        byte[] full = Files.readAllBytes(TestPaths.resource("checkpoints/golden-tiny-bin/pytorch_model.bin"));
        Path half = write("half.bin", Arrays.copyOf(full, full.length / 2));
        refused(() -> TorchZipCheckpoint.read(half), "not a readable zip archive");
        Path random = write("random.bin", "not a zip at all".getBytes(StandardCharsets.US_ASCII));
        refused(() -> TorchZipCheckpoint.read(random), "not a readable zip archive");
    }

    @Test
    void modelDirectoryWithHostileWeightsIsRefused() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("model"));
        Files.copy(TestPaths.goldenTiny().resolve("config.json"), dir.resolve("config.json"));
        // The fixture's entries as they are, padded to the size golden-tiny's parameters need, so the pickle is read.
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(TestPaths.resource("checkpoints/hostile/os-system.bin")));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(dir.resolve("pytorch_model.bin")))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
            }
            byte[] padding = new byte[2 << 20];
            out.putNextEntry(TorchZips.stored("padding", padding));
            out.write(padding);
        }
        refused(() -> Checkpoint.read(dir), "refusing pickle global os.system");
    }

    @Test
    void configsImplyingMoreParametersThanTheWeightFileHoldsAreRefusedBeforeReading() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("many-layers"));
        Files.copy(TestPaths.goldenTiny().resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Files.readString(TestPaths.goldenTiny().resolve("config.json"))
                .replace("\"n_layer\": 4", "\"n_layer\": 1000"));
        refused(() -> Checkpoint.read(dir), "config.json implies 125520266 parameters (at least 251040532 bytes), but model.safetensors holds only");
        Files.writeString(dir.resolve("config.json"), "{\"d_model\": 128, \"n_layer\": 1000000000}");
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(CheckpointException.class, () -> Checkpoint.read(dir)));
        assertTrue(e.getMessage().contains("n_layer must be at most 1024"), e.getMessage());
    }

    private static void refused(Executable read, String expectedMessage) {
        CheckpointException e = assertThrows(CheckpointException.class, read);
        assertTrue(e.getMessage().contains(expectedMessage), "message was: " + e.getMessage());
    }

    private Path safetensors(String header, int dataBytes) throws Exception {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        return write("crafted-" + System.nanoTime() + ".safetensors", b.array());
    }

    private Path torchZip(String name, String pickle) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pickle.getBytes(StandardCharsets.ISO_8859_1));
            zip.closeEntry();
        }
        return write(name, bytes.toByteArray());
    }

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(tmp.resolve(name), bytes);
    }
}
