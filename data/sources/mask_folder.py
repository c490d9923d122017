"""Semantic segmentation: a folder of images and a folder of PNG masks whose pixel values are class ids.

The mask of `images/sub/a.jpg` is `masks/sub/a.png` (matched by path without
the extension). Masks are 8-bit grayscale PNGs (PIL mode "L"); palette PNGs
are refused, because TensorFlow decodes them to colors rather than indices.
Class names are `class_names` (id 0 first, usually "background"), or
"class_0".."class_<max>" for the largest id found in the masks. Pixels equal to
`ignore_index` (e.g. 255, object borders in VOC) belong to no class.

Every image and mask is read once at load. An image without its mask, a mask
without its image, a mask of another size than its image, a mask that is not
8-bit grayscale, a class id outside `class_names`, or an unreadable file is a
bad record named with the file; under `on_bad_record: skip` the image is
dropped and counted.

Example (YAML):
    data:
      source: {type: mask_folder, images: data/shapes/images, masks: data/shapes/masks,
               class_names: [background, circle, rectangle, triangle]}
      # VOC-style borders: {..., ignore_index: 255}
"""

from __future__ import annotations

from pydantic import Field, model_validator

from data.annotations import IMAGE_EXTENSIONS
from pipelines.options import Options
from pipelines.registry import sources


class MaskFolderOptions(Options):
    images: str = Field(description="Folder of the images (read recursively).")
    masks: str = Field(description="Folder of the PNG masks: the mask of images/sub/a.jpg is masks/sub/a.png.")
    class_names: list[str] | None = Field(
        default=None, min_length=1,
        description="Names of the class ids 0, 1, ... (mask pixel values). Default: class_0..class_<largest id found>.",
    )
    ignore_index: int | None = Field(
        default=None, ge=0, le=255,
        description="Mask value of pixels that belong to no class (e.g. 255); they count in no loss or metric.",
    )
    extensions: list[str] = Field(
        default_factory=lambda: list(IMAGE_EXTENSIONS), min_length=1,
        description="File extensions read as images (case-insensitive); other files are ignored.",
    )

    @model_validator(mode="after")
    def _ignore_is_no_class(self):
        if self.ignore_index is not None and self.class_names is not None and self.ignore_index < len(self.class_names):
            raise ValueError(
                f"ignore_index {self.ignore_index} is the id of class {self.class_names[self.ignore_index]!r}; "
                f"use a value >= {len(self.class_names)}"
            )
        return self


@sources.register("mask_folder", MaskFolderOptions)
def load_mask_folder(options: MaskFolderOptions, *, on_bad_record: str = "error"):
    """Images and their class-id masks: `segmentation` examples (mask paths as labels, `decode_label`).

    Example:
        >>> import tempfile
        >>> from data.synthetic import write_shapes
        >>> shapes = write_shapes(tempfile.mkdtemp(), count=2, formats=["masks"])
        >>> examples = load_mask_folder(MaskFolderOptions(images=shapes.images_folder, masks=shapes.masks_folder))
        >>> examples.kind, examples.class_names
        ('segmentation', ['class_0', 'class_1', 'class_2', 'class_3'])
    """
    import os

    import numpy as np

    from data.annotations import (
        decode_image_file,
        decode_mask_file,
        files_by_stem,
        image_size,
        parallel,
    )
    from data.errors import BadRecords
    from data.examples import Examples

    bad = BadRecords(on_bad_record)
    images = os.path.abspath(options.images)
    masks = os.path.abspath(options.masks)
    for folder, what in ((images, "images"), (masks, "masks")):
        if not os.path.isdir(folder):
            raise ValueError(f"mask_folder: {what} folder {folder} is not a folder")
    image_files, clashes = files_by_stem(images, options.extensions)
    if not image_files:
        raise ValueError(f"mask_folder: no images in {images} (extensions: {', '.join(options.extensions)})")
    for path in clashes:
        bad(path, "another image has the same name, so both would share one mask")
    mask_files, _ = files_by_stem(masks, ["png"])
    for stem, path in mask_files.items():
        if stem not in image_files:
            bad(path, f"mask without an image (no {stem}.* in {images})")

    pairs = []
    for stem, image in image_files.items():
        if stem in mask_files:
            pairs.append((image, mask_files[stem]))
        else:
            bad(image, f"image without its mask (no {os.path.join(masks, stem)}.png)")
    image_infos = parallel(image_size, [image for image, _ in pairs])
    mask_infos = parallel(_mask_ids, [mask for _, mask in pairs])

    limit = len(options.class_names) if options.class_names is not None else None
    kept, sizes, digests, largest = [], [], {}, -1
    for (image, mask), (size, problem, image_digest), (mask_size, ids, mask_problem, mask_digest) in zip(
            pairs, image_infos, mask_infos):
        if problem is not None:
            bad(image, problem)
            continue
        if mask_problem is not None:
            bad(mask, mask_problem)
            continue
        if mask_size != size:
            bad(mask, f"the mask is {mask_size[1]}x{mask_size[0]} but its image {image} is {size[1]}x{size[0]}")
            continue
        ids = [i for i in ids if i != options.ignore_index]
        if limit is not None and ids and ids[-1] >= limit:
            bad(mask, f"class id {ids[-1]} in the mask, but class_names has {limit} classes (ids 0..{limit - 1})")
            continue
        largest = max([largest, *ids])
        kept.append((image, mask))
        sizes.append(size)
        digests.update({image: image_digest, mask: mask_digest})
    if not kept:
        raise ValueError(f"mask_folder: no usable image and mask pairs in {images} and {masks} ({bad.count} bad records)")
    class_names = list(options.class_names) if limit is not None else [f"class_{i}" for i in range(max(largest, 0) + 1)]
    return Examples(
        np.array([image for image, _ in kept], dtype=str), [mask for _, mask in kept], class_names,
        decode=decode_image_file, skipped=bad.count, origin=f"mask_folder:{images}", skipped_records=bad.records,
        kind="segmentation", image_sizes=np.array(sizes, dtype="int64"), decode_label=decode_mask_file,
        ignore_index=options.ignore_index, file_digests=digests,
    )


def _mask_ids(path: str) -> tuple[tuple[int, int] | None, list[int], str | None, bytes]:
    """((height, width), sorted class ids, None, sha256 of its bytes) of a readable 8-bit grayscale PNG mask,
    else (None, [], why not, b""); the file is read once."""
    import hashlib
    import io

    import numpy as np
    from PIL import Image

    try:
        with open(path, "rb") as file:
            data = file.read()
        with Image.open(io.BytesIO(data)) as mask:
            mask.load()
            kind, mode = mask.format, mask.mode
            pixels = np.asarray(mask) if mode == "L" else None
            width, height = mask.size
    except Exception as error:  # noqa: BLE001  (PIL raises OSError, SyntaxError, ValueError, ... on bad data)
        return None, [], f"cannot read the mask: {error or type(error).__name__}", b""
    if kind != "PNG":
        return None, [], f"the mask is a {kind} file; masks are PNGs", b""
    if mode == "P":
        return None, [], (
            "palette PNG mask: TensorFlow decodes it to colors, not class ids; "
            "save it as 8-bit grayscale (Image.fromarray(np.asarray(mask)).save(path))"
        ), b""
    if mode != "L":
        return None, [], f"the mask is a {mode} image; masks are 8-bit grayscale PNGs (mode L) of class ids", b""
    return (height, width), np.unique(pixels).tolist(), None, hashlib.sha256(data).digest()
