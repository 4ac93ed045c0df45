"""Writes the encoder's image preprocessing fixtures with PIL (9.x) and numpy.

Run from the repository root:  python3 encoder/src/test/python/make_image_fixtures.py
Outputs under encoder/src/test/resources/images/:
  a 40x30 test pattern in each accepted encoding: rgb.png, rgba.png, palette.png (with a transparent index), gray.png,
  gray16.png, rgb16.png (16-bit samples = 8-bit value * 257), rgb.gif, rgb.bmp, rgb.jpg, exif6.jpg (stored rotated,
  EXIF orientation 6), cmyk.jpg;
  reference.safetensors: for each of those files, and for two photos of data/imagenet-sample, the model input computed
  by PIL: exif_transpose, convert("RGB"), centred square crop of side round(ratio*min(h, w)), per-channel float
  resize with Image.BOX, /255, normalised by the ImageNet mean/std. Patterns use size 16, photos size 64; ratio 224/256.
"""
import os
import sys
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, os.path.join(os.getcwd(), "training"))
import safetensors_io  # noqa: E402  (the project's one safetensors writer)

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "encoder", "src", "test", "resources", "images")
RATIO = 224 / 256
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# The last two carry ICC profiles other than sRGB (a camera's, Adobe RGB), which PIL ignores.
PHOTOS = ["n01440764_tench.JPEG", "n01530575_brambling.JPEG", "n04147183_schooner.JPEG", "n03095699_container_ship.JPEG"]


def reference(img, size):
    img = ImageOps.exif_transpose(img).convert("RGB")
    w, h = img.size
    side = int(round(RATIO * min(w, h)))
    top, left = int(round((h - side) / 2)), int(round((w - side) / 2))
    img = img.crop((left, top, left + side, top + side))
    planes = [np.asarray(c.convert("F").resize((size, size), Image.BOX), dtype=np.float32) / 255 for c in img.split()]
    x = np.stack(planes)
    return ((x - MEAN[:, None, None]) / STD[:, None, None]).astype(np.float32)


def pattern():
    y, x = np.mgrid[0:30, 0:40]
    r = (x * 255 / 39).astype(np.uint8)
    g = (y * 255 / 29).astype(np.uint8)
    b = ((x + y) % 16 * 16 + (x < 8) * 0).astype(np.uint8)
    b[5:12, 28:36] = 250  # an off-centre block, so a wrong orientation or crop shows
    return np.stack([r, g, b], axis=-1)


def png16(path, rgb8, gray):
    """A 16-bit PNG written by hand (PIL cannot write 16-bit RGB)."""
    data = rgb8[..., 0:1] if gray else rgb8
    h, w, c = data.shape
    samples = data.astype(">u2") * 257
    raw = b"".join(b"\x00" + samples[i].tobytes() for i in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 0 if gray else 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    os.makedirs(OUT, exist_ok=True)
    px = pattern()
    img = Image.fromarray(px, "RGB")
    img.save(os.path.join(OUT, "rgb.png"))
    rgba = img.copy()
    rgba.putalpha(Image.fromarray(np.tile(np.arange(40, dtype=np.uint8) * 6, (30, 1)), "L"))
    rgba.save(os.path.join(OUT, "rgba.png"))
    palette = img.quantize(colors=64)
    palette.save(os.path.join(OUT, "palette.png"), transparency=0)
    palette.save(os.path.join(OUT, "rgb.gif"))
    img.convert("L").save(os.path.join(OUT, "gray.png"))
    png16(os.path.join(OUT, "gray16.png"), np.asarray(img.convert("L"))[..., None], gray=True)
    png16(os.path.join(OUT, "rgb16.png"), px, gray=False)
    img.save(os.path.join(OUT, "rgb.bmp"))
    img.save(os.path.join(OUT, "rgb.jpg"), quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6
    # Stored rotated 90 degrees counter-clockwise; orientation 6 says "rotate clockwise to view".
    img.transpose(Image.ROTATE_90).save(os.path.join(OUT, "exif6.jpg"), quality=95, exif=exif.tobytes())
    img.convert("CMYK").save(os.path.join(OUT, "cmyk.jpg"), quality=95)

    refs = {}
    for name in ["rgb.png", "rgba.png", "palette.png", "gray.png", "rgb.gif", "rgb.bmp", "rgb.jpg", "exif6.jpg", "cmyk.jpg"]:
        refs[name] = reference(Image.open(os.path.join(OUT, name)), 16)
    # PIL reads 16-bit PNGs by clipping to 255 instead of scaling; the right 8-bit image is the one they were made from.
    refs["gray16.png"] = reference(img.convert("L"), 16)
    refs["rgb16.png"] = reference(img, 16)
    for photo in PHOTOS:
        refs[photo] = reference(Image.open(os.path.join(ROOT, "data", "imagenet-sample", photo)), 64)
    safetensors_io.save({k: np.asarray(v, dtype="<f4") for k, v in refs.items()}, os.path.join(OUT, "reference.safetensors"))


if __name__ == "__main__":
    main()
