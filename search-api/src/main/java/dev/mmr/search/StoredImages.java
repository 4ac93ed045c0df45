package dev.mmr.search;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mmr.encoder.RegularFiles;
import dev.mmr.indexer.source.ImageLocation;
import dev.mmr.indexer.source.ImageSource;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads indexed images back from where the indexer found them ({@link ImageLocation}): a file, or a member of a tar
 * archive. An archive is streamed, so a miss reads every member of the wanted member's folder into a cache bounded
 * by bytes (the result grid asks for many images of the same folders). Thumbnails are PNGs decoded subsampled and scaled down with Java2D.
 */
public final class StoredImages {
    /** The longest side of the thumbnails in search results. */
    public static final int THUMBNAIL_SIDE = 128;
    private static final long MAX_PIXELS = 64L << 20;
    /** Archive folders read so far (member path to bytes), bounded by their bytes. */
    private final Cache<ArchiveFolder, Map<String, byte[]>> archiveFolders = Caffeine.newBuilder()
            .maximumWeight(64L << 20)
            .<ArchiveFolder, Map<String, byte[]>>weigher((k, members) -> members.values().stream().mapToInt(b -> b.length + 100).sum())
            .build();

    /** One folder of an archive, {@code ""} for its top level. */
    private record ArchiveFolder(Path archive, String folder) {
    }

    /** Image bytes with their media type. */
    public record Image(byte[] bytes, String contentType) {
    }

    Image read(ImageLocation location) throws IOException {
        byte[] bytes = switch (location) {
            case ImageLocation.File file -> RegularFiles.read(file.path(), ImageSource.MAX_IMAGE_BYTES);
            case ImageLocation.ArchiveMember member -> readMember(member);
        };
        return new Image(bytes, contentType(bytes));
    }

    /**
     * The image scaled so its longer side is at most {@code maxSide}; small images come back as they are. Large images
     * are decoded subsampled (every n-th pixel of every n-th row, still at least twice the target size), so the
     * memory a thumbnail takes follows the thumbnail's size, not the image's.
     */
    Image thumbnail(Image image, int maxSide) throws IOException {
        BufferedImage decoded = decodeForSide(image.bytes(), maxSide);
        if (decoded == null) {
            return image;
        }
        int w = decoded.getWidth();
        int h = decoded.getHeight();
        double scale = Math.min(1, (double) maxSide / Math.max(w, h));
        int tw = Math.max(1, (int) Math.round(w * scale));
        int th = Math.max(1, (int) Math.round(h * scale));
        BufferedImage small = new BufferedImage(tw, th, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = small.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(decoded, 0, 0, tw, th, null);
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(small, "png", png);
        return new Image(png.toByteArray(), "image/png");
    }

    private byte[] readMember(ImageLocation.ArchiveMember location) throws IOException {
        try {
            byte[] bytes = archiveFolders.get(new ArchiveFolder(location.archive(), location.folder()), StoredImages::readArchiveFolder)
                    .get(location.member());
            if (bytes == null) {
                throw new IOException("no member " + location.member() + " in " + location.archive());
            }
            return bytes;
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Every image member directly in one folder of an archive, by its path in the archive. */
    private static Map<String, byte[]> readArchiveFolder(ArchiveFolder wanted) {
        Map<String, byte[]> members = new HashMap<>();
        try (ImageSource source = ImageSource.open(wanted.archive(), wanted.folder().isEmpty() ? null : wanted.folder())) {
            source.scan((entry, content) -> {
                if (entry.location() instanceof ImageLocation.ArchiveMember member && member.folder().equals(wanted.folder())) {
                    members.put(member.member(), content.read());
                }
                return true;
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.UncheckedIOException(new InterruptedIOException("interrupted while reading " + wanted.archive()));
        }
        return members;
    }

    /** The image decoded subsampled for a thumbnail of {@code maxSide}; null when it already fits. */
    private static BufferedImage decodeForSide(byte[] bytes, int maxSide) throws IOException {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException("not an image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int longer = Math.max(reader.getWidth(0), reader.getHeight(0));
                if (longer <= maxSide) {
                    return null;
                }
                if ((long) reader.getWidth(0) * reader.getHeight(0) > MAX_PIXELS) {
                    throw new IOException("too many pixels to make a thumbnail");
                }
                ImageReadParam subsampled = reader.getDefaultReadParam();
                int step = Math.max(1, longer / (2 * maxSide));
                subsampled.setSourceSubsampling(step, step, 0, 0);
                return reader.read(0, subsampled);
            } finally {
                reader.dispose();
            }
        }
    }

    static String contentType(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
            return "image/jpeg";
        }
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "image/png";
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
            return "image/gif";
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "image/bmp";
        }
        return "application/octet-stream";
    }
}
