package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model file or image that is a device ({@code /dev/zero}, endless) or a FIFO (blocks until a writer comes) is refused
 * at once as not a regular file, instead of filling the heap or hanging.
 */
class SpecialFilesTest {
    private static final Path ZERO = Path.of("/dev/zero");
    @TempDir Path tmp;

    @Test
    void configFilesThatAreDevicesOrFifosAreRefused() throws Exception {
        for (String name : new String[] {Checkpoint.CONFIG_FILE, Checkpoint.PREPROCESSING_FILE}) {
            Path zero = modelWith(name + "-zero");
            Files.createSymbolicLink(zero.resolve(name), ZERO);
            refused(() -> Checkpoint.read(zero), name + ": cannot read: " + zero.resolve(name) + ": not a regular file (a device, FIFO or socket)");
            Path fifo = modelWith(name + "-fifo");
            NamedPipes.make(fifo.resolve(name));
            refused(() -> Checkpoint.read(fifo), name + ": cannot read: " + fifo.resolve(name) + ": not a regular file");
        }
    }

    @Test
    void weightsThatAreDevicesOrFifosAreRefused() throws Exception {
        Path zero = modelWith("weights-zero");
        Files.delete(zero.resolve(Checkpoint.SAFETENSORS_FILE));
        Files.createSymbolicLink(zero.resolve(Checkpoint.SAFETENSORS_FILE), ZERO);
        refused(() -> Checkpoint.read(zero), "model.safetensors: cannot read: " + zero.resolve(Checkpoint.SAFETENSORS_FILE) + ": not a regular file");
        Path fifo = modelWith("weights-fifo");
        Files.delete(fifo.resolve(Checkpoint.SAFETENSORS_FILE));
        NamedPipes.make(fifo.resolve(Checkpoint.TORCH_FILE));
        refused(() -> Checkpoint.read(fifo), "pytorch_model.bin: cannot read: " + fifo.resolve(Checkpoint.TORCH_FILE) + ": not a regular file");
        refused(() -> SafeTensors.read(ZERO), "zero: cannot read: /dev/zero: not a regular file");
        refused(() -> TorchZipCheckpoint.read(fifo.resolve(Checkpoint.TORCH_FILE)), "not a regular file");
    }

    @Test
    void imageFilesThatAreDevicesOrFifosAreRefused() throws Exception {
        ImagePreprocessor preprocessor = new ImagePreprocessor(16, Preprocessing.IMAGENET);
        Path link = Files.createSymbolicLink(tmp.resolve("zero.png"), ZERO);
        Path fifo = NamedPipes.make(tmp.resolve("fifo.png"));
        for (Path image : new Path[] {link, fifo}) {
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class, () -> preprocessor.preprocess(image)));
            assertTrue(e.getMessage().equals(image + ": not a regular file (a device, FIFO or socket)"), e.getMessage());
        }
    }

    @Test
    void filesLargerThanTheBoundAreRefusedWhateverTheirSizeSays() throws Exception {
        Path file = Files.write(tmp.resolve("big"), new byte[1001]);
        IOException e = assertThrows(IOException.class, () -> RegularFiles.read(file, 1000));
        assertTrue(e.getMessage().endsWith("big: larger than 1000 bytes"), e.getMessage());
        assertTrue(RegularFiles.read(file, 1001).length == 1001);
    }

    private Path modelWith(String name) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve(name));
        for (String f : new String[] {Checkpoint.SAFETENSORS_FILE, Checkpoint.CONFIG_FILE}) {
            if (!name.startsWith(f)) {
                Files.copy(TestPaths.goldenTiny().resolve(f), dir.resolve(f));
            }
        }
        return dir;
    }

    private static void refused(Executable read, String expected) {
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(CheckpointException.class, read));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
