"""Pascal VOC object detection: one XML file per image, with a `<bndbox>` per `<object>`.

The dataset folder `path` holds a folder of XML files (`annotations`, default
`Annotations`) and a folder of images (`images`, default `JPEGImages`); each
XML names its image in `<filename>` (when absent, the image with the XML's
stem is used). Every XML file is read (sub-folders too); images without one are
ignored. Class names are the sorted object names, or `class_names` in that
order. Coordinates follow the VOC devkit: 1-based pixel indices with xmax/ymax
inclusive, so `<xmin>1</xmin><xmax>10</xmax>` is x1=0, x2=10 in the continuous
xyxy pixels of the examples (`one_based: false` reads them as continuous
pixels, as some labelling tools write them). All objects are kept, `difficult`
ones too.

An unreadable XML, an object without a name or box, an unknown name (with
`class_names`), a box outside the image (more than 0.5 px) or of zero size, a
`<size>` that is not the image's, or a missing or unreadable image is a bad
record named "<xml> ..."; under `on_bad_record: skip` the whole image is
dropped and counted.

Example (YAML):
    data:
      source: {type: voc, path: VOCdevkit/VOC2012}
      # other folder names: {type: voc, path: data/shapes, annotations: voc, images: images}
"""

from __future__ import annotations

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources


class VocOptions(Options):
    path: str = Field(description="Dataset folder holding the XML folder and the image folder.")
    annotations: str = Field(
        default="Annotations", description="Folder of the VOC XML files, relative to path (or absolute)."
    )
    images: str = Field(
        default="JPEGImages", description="Folder of the images the XMLs name in <filename>, relative to path (or absolute)."
    )
    class_names: list[str] | None = Field(
        default=None, min_length=1,
        description="Class names in id order; an object with another name is a bad record. Default: the sorted names found.",
    )
    one_based: bool = Field(
        default=True,
        description="Coordinates are 1-based inclusive pixel indices (VOC devkit); false: continuous 0-based pixels.",
    )


@sources.register("voc", VocOptions)
def load_voc(options: VocOptions, *, on_bad_record: str = "error"):
    """Images and boxes of a Pascal VOC folder: `detection` examples, class names sorted.

    Example:
        >>> import tempfile
        >>> from data.synthetic import write_shapes
        >>> shapes = write_shapes(tempfile.mkdtemp(), count=2, formats=["voc"])
        >>> examples = load_voc(VocOptions(**{k: v for k, v in shapes.sources["voc"].items() if k != "type"}))
        >>> examples.kind, examples.image_sizes.tolist(), examples.labels[0]["boxes"].dtype.name
        ('detection', [[64, 64], [64, 80]], 'float32')
    """
    import os

    from data.annotations import detection_examples, files_by_stem
    from data.errors import BadRecords

    bad = BadRecords(on_bad_record)
    root = os.path.abspath(options.path)
    annotations = os.path.join(root, options.annotations)
    images = os.path.join(root, options.images)
    for folder, what in ((annotations, "annotations"), (images, "images")):
        if not os.path.isdir(folder):
            raise ValueError(f"voc: {what} folder {folder} is not a folder")
    xml_files, _ = files_by_stem(annotations, ["xml"])
    if not xml_files:
        raise ValueError(f"voc: no .xml files in {annotations}")

    parsed = [_parse(xml, images, options.one_based) for xml in xml_files.values()]
    if options.class_names is not None:
        class_names = list(options.class_names)
    else:
        class_names = sorted({name for record, names in parsed if record.problem is None for name in names})
        if not class_names:
            raise ValueError(f"voc: no objects in the readable XML files of {annotations}")
    class_of = {name: index for index, name in enumerate(class_names)}
    records = []
    for record, names in parsed:
        for where, name in zip(record.box_where, names):
            if record.problem is None and name not in class_of:
                record.problem = (where, f"unknown class {name!r} (class_names: {', '.join(class_names)})")
        if record.problem is None:
            record.classes = [class_of[name] for name in names]
        records.append(record)
    return detection_examples(records, class_names, bad, f"voc:{root}")


def _parse(xml: str, images: str, one_based: bool):
    """The ImageRecord of one VOC XML file (with `problem` set when it cannot be used) and its object names."""
    import os
    from xml.etree import ElementTree

    from data.annotations import IMAGE_EXTENSIONS, ImageRecord

    try:
        tree = ElementTree.parse(xml).getroot()
    except (OSError, ElementTree.ParseError) as error:
        return ImageRecord("", xml, problem=(xml, f"cannot read the XML: {error}")), []
    filename = (tree.findtext("filename") or "").strip()
    if filename:
        image = os.path.join(images, filename)
    else:
        stem = os.path.join(images, os.path.splitext(os.path.basename(xml))[0])
        candidates = [stem + "." + e for e in IMAGE_EXTENSIONS if os.path.isfile(stem + "." + e)]
        image = candidates[0] if candidates else stem + ".jpg"
    record = ImageRecord(image, f"{xml} ({image})")
    width, height = tree.findtext("size/width"), tree.findtext("size/height")
    try:
        width, height = int(float(width)), int(float(height))
        if width > 0 and height > 0:
            record.declared_size = (height, width)
    except (TypeError, ValueError):
        pass
    shift = 1.0 if one_based else 0.0
    names = []
    for index, item in enumerate(tree.findall("object")):
        name = (item.findtext("name") or "").strip()
        where = f"{xml} object {index} ({name or 'no name'})"
        if not name:
            record.problem = (where, "object without a <name>")
            break
        try:
            x1, y1, x2, y2 = (float(item.findtext(f"bndbox/{key}")) for key in ("xmin", "ymin", "xmax", "ymax"))
        except (TypeError, ValueError):
            record.problem = (where, "<bndbox> needs numeric <xmin>, <ymin>, <xmax> and <ymax>")
            break
        record.boxes.append([x1 - shift, y1 - shift, x2, y2])
        record.box_where.append(where)
        names.append(name)
    return record, names
