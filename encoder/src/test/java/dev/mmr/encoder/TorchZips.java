package dev.mmr.encoder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes small crafted {@code torch.save} zips: a pickle built opcode by opcode and the storages beside it. */
final class TorchZips {
    private final ByteArrayOutputStream pickle = new ByteArrayOutputStream();

    TorchZips() {
        pickle.write(0x80);
        pickle.write(2);
    }

    /** The state dict {@code {name: tensor}} of one F32 tensor, a view of storage {@code "0"} of {@code storageValues}. */
    static byte[] oneTensor(String name, long storageValues, long offset, long[] size, long[] stride) {
        TorchZips p = new TorchZips();
        p.op('}').op('(').str(name).global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").lng(storageValues).op('t').op('Q')
                .lng(offset).tuple(size).tuple(stride).op(0x89).global("collections", "OrderedDict").op(')').op('R')
                .op('t').op('R').op('u').op('.');
        return p.bytes();
    }

    TorchZips op(int opcode) {
        pickle.write(opcode);
        return this;
    }

    TorchZips str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').le(b.length, 4);
        pickle.writeBytes(b);
        return this;
    }

    /** LONG1 with 8 bytes: any 64-bit value. */
    TorchZips lng(long v) {
        return op(0x8a).op(8).le(v, 8);
    }

    TorchZips global(String module, String name) {
        pickle.writeBytes(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    TorchZips tuple(long[] values) {
        op('(');
        for (long v : values) {
            lng(v);
        }
        return op('t');
    }

    byte[] bytes() {
        return pickle.toByteArray();
    }

    private TorchZips le(long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            pickle.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /** A zip holding {@code archive/data.pkl} and, stored uncompressed, {@code archive/data/<key>} for each storage. */
    static Path write(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pickle);
            zip.closeEntry();
            for (Map.Entry<String, byte[]> s : storages.entrySet()) {
                zip.putNextEntry(stored("archive/data/" + s.getKey(), s.getValue()));
                zip.write(s.getValue());
                zip.closeEntry();
            }
        }
        return Files.write(file, bytes.toByteArray());
    }

    static ZipEntry stored(String name, byte[] data) {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        return e;
    }
}
