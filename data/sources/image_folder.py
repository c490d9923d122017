"""Images in a folder with one sub-folder per class, read lazily from disk.

Every file is read once at load: its bytes are hashed (`Examples.file_digests`, which
the data fingerprint uses instead of reading the files again) and fully decoded, so a
corrupt, truncated or unreadable file fails (or is skipped) before anything trains; the
examples then hold file paths and tf.data decodes them on the fly.

Example (YAML):
    data:
      source: {type: image_folder, path: data/pets, image_size: [128, 128]}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Options, PositiveInt
from pipelines.registry import sources

# What PIL calls the formats `tf.io.decode_image` reads (MPO: multi-picture JPEG from cameras).
_TF_FORMATS = {"PNG", "JPEG", "MPO", "GIF", "BMP"}


class ImageFolderOptions(Options):
    path: str = Field(description="Folder with one sub-folder of images per class; class names are the sorted sub-folder names.")
    image_size: list[PositiveInt] = Field(
        default_factory=lambda: [256, 256], min_length=2, max_length=2,
        description="[height, width] every image is resized to when decoded.",
    )
    color_mode: Literal["rgb", "grayscale"] = Field(
        default="rgb", description="rgb (3 channels) or grayscale (1 channel)."
    )
    extensions: list[str] = Field(
        default_factory=lambda: ["png", "jpg", "jpeg", "bmp", "gif"], min_length=1,
        description="File extensions read as images (case-insensitive); other files are ignored.",
    )


@sources.register("image_folder", ImageFolderOptions)
def load_image_folder(options: ImageFolderOptions, *, on_bad_record: str = "error"):
    """Images in class sub-folders (path/cat/1.png, path/dog/2.jpg), decoded lazily from disk.

    Example:
        >>> examples = load_image_folder(ImageFolderOptions(path="data/pets", image_size=[64, 64]))  # doctest: +SKIP
        >>> examples.class_names, examples.image_shape                                              # doctest: +SKIP
        (['cat', 'dog'], (64, 64, 3))
    """
    import os

    import numpy as np

    from data.errors import BadRecords
    from data.examples import Examples

    bad = BadRecords(on_bad_record)
    root = os.path.abspath(options.path)
    if not os.path.isdir(root):
        raise ValueError(f"image_folder: {root} is not a folder")
    class_names = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not class_names:
        raise ValueError(
            f"image_folder: no class sub-folders in {root}; put the images of each class in a sub-folder named after it"
        )
    extensions = {"." + e.lower().lstrip(".") for e in options.extensions}
    files = {name: _image_files(os.path.join(root, name), extensions) for name in class_names}
    for name, paths in files.items():
        if not paths:
            raise ValueError(
                f"image_folder: class folder {os.path.join(root, name)} has no images "
                f"(extensions: {', '.join(sorted(extensions))})"
            )

    paths = [path for name in class_names for path in files[name]]
    labels = [label for label, name in enumerate(class_names) for _ in files[name]]
    keep, digests = [], {}
    for index, (path, (problem, digest)) in enumerate(zip(paths, _read_all(paths))):
        if problem is None:
            keep.append(index)
            digests[path] = digest
        else:
            bad(path, problem)
    kept_labels = [labels[i] for i in keep]
    present = set(kept_labels)
    for label, name in enumerate(class_names):
        if label not in present:
            raise ValueError(f"image_folder: class folder {os.path.join(root, name)} has no readable images")

    height, width = options.image_size
    image_shape = (height, width, 3 if options.color_mode == "rgb" else 1)

    def decode(path):
        import tensorflow as tf

        from data.images import decode_image

        return decode_image(tf.io.read_file(path), image_shape)

    return Examples(
        np.array([paths[i] for i in keep], dtype=str), np.array(kept_labels, dtype="int64"), class_names,
        decode=decode, image_shape=image_shape, skipped=bad.count, origin=f"image_folder:{root}",
        skipped_records=bad.records, file_digests=digests,
    )


def _image_files(folder: str, extensions: set[str]) -> list[str]:
    """Files under `folder` (recursively, hidden ones left out) with one of `extensions`, sorted."""
    import os

    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            os.path.join(parent, n) for n in names
            if not n.startswith(".") and os.path.splitext(n)[1].lower() in extensions
        ]
    return sorted(found)


def _read_all(paths: list[str]) -> list[tuple[str | None, bytes]]:
    """`_read` of every path, in order, on a few threads, each taking a run of paths at a time."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    workers = min(8, os.cpu_count() or 1)
    size = max(1, min(256, -(-len(paths) // (4 * workers))))  # a few runs per thread, none too long
    runs = [paths[start:start + size] for start in range(0, len(paths), size)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(lambda part: [_read(path) for path in part], runs)
        return [result for part in done for result in part]


def _read(path: str) -> tuple[str | None, bytes]:
    """(why the image at `path` cannot be used or None, the sha256 of its bytes), opening it once.

    Example:
        >>> _read("/no/such/file.png")[0]
        "[Errno 2] No such file or directory: '/no/such/file.png'"
    """
    import hashlib

    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return str(error) or type(error).__name__, b""
    return _bytes_problem(data), hashlib.sha256(data).digest()


def _bytes_problem(data: bytes) -> str | None:
    """Why the image file holding `data` cannot be used, or None when PIL decodes it fully in a format TF reads."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind = image.format
    except UnidentifiedImageError:
        return "cannot identify image file"
    except Exception as error:  # noqa: BLE001  (PIL raises OSError, SyntaxError, ValueError, ... on bad data)
        return str(error) or type(error).__name__
    if kind not in _TF_FORMATS:
        return f"{kind} images cannot be decoded by TensorFlow (png, jpeg, gif and bmp can)"
    if kind == "BMP":
        bits, compression = int.from_bytes(data[28:30], "little"), int.from_bytes(data[30:34], "little")
        if bits not in (8, 24, 32) or compression not in (0, 3):
            return f"{bits}-bit BMP (compression {compression}) cannot be decoded by TensorFlow; save it as PNG"
    return None
