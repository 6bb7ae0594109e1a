"""Campaign images: sniffed, size-checked, re-encoded by Pillow, stored under a random name.

What reaches a resident is never the uploaded file: it is the decoded pixels written again as a
fresh JPEG or PNG, so nothing hidden in the upload (EXIF with GPS, comments, ICC profiles, a script
appended after the image data, a second file format glued to the first) survives. The file name is
random and chosen here; the upload's own name is never used.
"""
from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

# What the first bytes of each accepted format look like; anything else is refused before Pillow runs.
SIGNATURES = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
}
MAX_BYTES = 8 * 1024 * 1024  # the largest upload read
MAX_PIXELS = 24_000_000  # width × height; a decompression bomb is refused before its pixels are decoded
MAX_SIDE = 1600  # stored images are scaled down to fit this box
FOLDER = "campaign-images"
FILE_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}

# Problems, as codes the form turns into translated messages.
EMPTY = "empty"
TOO_LARGE = "too_large"
NOT_AN_IMAGE = "not_an_image"
TOO_MANY_PIXELS = "too_many_pixels"


class ImageRefused(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StoredImage:
    file_name: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The format the bytes really are (JPEG, PNG or WEBP), whatever the file was called."""
    for name, signatures in SIGNATURES.items():
        if any(data.startswith(signature) for signature in signatures):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_image(data: bytes) -> tuple[bytes, str, int, int]:
    """Decode ``data`` and encode it again with no metadata: (bytes, extension, width, height)."""
    if not data:
        raise ImageRefused(EMPTY)
    if len(data) > MAX_BYTES:
        raise ImageRefused(TOO_LARGE)
    kind = sniff(data)
    if kind is None:
        raise ImageRefused(NOT_AN_IMAGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise ImageRefused(TOO_MANY_PIXELS)
                image.load()
                if getattr(image, "n_frames", 1) > 1:
                    image.seek(0)  # an animation keeps its first frame only
                image = ImageOps.exif_transpose(image)  # turn it as the camera meant, then forget the EXIF
                has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
                image = image.convert("RGBA" if has_alpha else "RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                # A new image made from the pixels alone: no info dict, EXIF, XMP, ICC or text chunks.
                pixels = Image.frombytes(image.mode, image.size, image.tobytes())
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise ImageRefused(NOT_AN_IMAGE) from None
    output = io.BytesIO()
    if pixels.mode == "RGBA":
        pixels.save(output, format="PNG", optimize=True)
        extension = "png"
    else:
        pixels.save(output, format="JPEG", quality=85, optimize=True, progressive=True)
        extension = "jpg"
    return output.getvalue(), extension, pixels.width, pixels.height


def folder() -> Path:
    path = Path(current_app.instance_path) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(data: bytes) -> StoredImage:
    """Clean ``data`` and write it under a new random name (raises ImageRefused)."""
    encoded, extension, width, height = clean_image(data)
    name = f"{secrets.token_hex(16)}.{extension}"
    (folder() / name).write_bytes(encoded)
    return StoredImage(name, width, height)


def path_of(file_name: str) -> Path | None:
    """The stored file for a name we made, or None (no path tricks: the name must match exactly)."""
    if not FILE_NAME.match(file_name or ""):
        return None
    path = folder() / file_name
    return path if path.is_file() else None


def content_type(file_name: str) -> str:
    return CONTENT_TYPES[file_name.rsplit(".", 1)[1]]


def remove(file_name: str | None) -> None:
    path = path_of(file_name) if file_name else None
    if path is not None:
        path.unlink(missing_ok=True)
