"""Which annotated-image source a path holds: a COCO JSON, VOC XMLs, YOLO labels, PNG masks or captions.

`find_layouts(path)` looks at a .json file (COCO: boxes, or captions), or at a
folder: its COCO JSON files (beside it or in annotations/), its captions CSVs
(captions.py), and the folders beside its image
folder (images/ or JPEGImages/) whose files share the images' names: .xml
files (Pascal VOC), .txt files (YOLO) or 8-bit PNGs (class-id masks). The
folder given may also be one of those annotation folders itself (e.g.
data/shapes/labels), which picks it alone. Each layout found comes with the
`data.source` that reads it, written with paths as the user gave them.

Example:
    >>> import tempfile
    >>> from data.synthetic import write_shapes
    >>> shapes = write_shapes(tempfile.mkdtemp(), count=2, formats=["yolo"])
    >>> [(layout.source["type"], layout.task) for layout in find_layouts(shapes.folder)]
    [('yolo', 'object_detection')]
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from data.annotations import IMAGE_EXTENSIONS

IMAGE_FOLDERS = ("images", "JPEGImages")
"""Names of the image folder an annotation folder sits beside."""

LOOKED_FOR = (
    "a COCO .json (images, annotations with bbox, categories)",
    "a COCO captions .json (images, annotations with caption)",
    "a folder of images with a captions CSV (a column of image file names, one of captions)",
    "Pascal VOC .xml files (e.g. Annotations/ beside JPEGImages/)",
    "YOLO .txt labels (labels/ beside images/)",
    "8-bit PNG class-id masks (masks/ beside images/)",
)
"""The layouts `find_layouts` recognizes, as error messages name them."""

NAMES_FILES = ("classes.txt", "obj.names")
"""Files of class names, one per line (YOLO and mask folders)."""

YOLO_YAMLS = ("data.yaml", "dataset.yaml")
"""Ultralytics dataset files whose `names` (a list, or a mapping id -> name) give YOLO class names."""

VISION_TASKS = ("object_detection", "semantic_segmentation")
CAPTION_TASKS = ("captioning", "dual_encoder")
LAYOUT_TASKS = (*VISION_TASKS, *CAPTION_TASKS)
ORDER = ("COCO JSON", "COCO captions JSON", "Pascal VOC", "YOLO", "mask folder", "captions CSV")
"""The kinds of layout, in the order `find_layouts` lists them."""


@dataclass(frozen=True)
class Layout:
    """A source of annotated images found at a path.

    Attributes:
        task: object_detection, semantic_segmentation or captioning: the task drafted by default.
        source: The spec's `data.source` (type first), paths as the user gave them.
        kind: What it is, for people: one of ORDER.
        root: The data set's folder (names the spec).
        given: The path that `kpipe init` reads as this layout alone.
        also: The other tasks `--task` may draft from it (captions: dual_encoder).
    """

    task: str
    source: dict
    kind: str
    root: str
    given: str
    also: tuple[str, ...] = ()

    def fits(self, task: str | None) -> bool:
        """Whether `task` (None: any) can be drafted from this layout."""
        return task is None or task == self.task or task in self.also


def find_layout(path: str, task: str | None = None) -> Layout | None:
    """The one layout at `path` that fits `task` (any when None); None for a folder that holds none.

    Raises ValueError when several fit (naming the path that picks each), when a
    .json file is not COCO, or when `task` is a vision task and none fits.
    """
    found = find_layouts(path)
    fitting = [layout for layout in found if layout.fits(task)]
    if len(fitting) == 1:
        return fitting[0]
    if len(fitting) > 1:
        width = max(len(layout.given) for layout in fitting)
        choices = "\n".join(f"  kpipe init {layout.given.ljust(width)}   ({layout.kind}, {layout.task})"
                            for layout in fitting)
        kinds = {name: [layout.kind for layout in fitting if layout.task == name] for name in LAYOUT_TASKS}
        hint = "".join(f"; --task {name} picks the {of_task[0]}" for name, of_task in kinds.items()
                       if len(of_task) == 1 and task is None)
        raise ValueError(f"{path} holds annotated images in several layouts; give the one to draft from:\n"
                         f"{choices}\n(each of these paths reads one layout alone{hint})")
    if task in LAYOUT_TASKS:
        held = f"; it holds {', '.join(f'{layout.kind} ({layout.task})' for layout in found)}" if found else ""
        what = "captioned" if task in CAPTION_TASKS else "annotated"
        raise ValueError(f"--task {task}: no {what} images for it at {path}{held}; "
                         f"kpipe init looks for {'; '.join(LOOKED_FOR)}")
    return None


def find_layouts(path: str) -> list[Layout]:
    """Every layout at `path` (a .json file or a folder), in the fixed order of ORDER."""
    from pipelines.init.captions import csv_captions_layouts

    path = os.path.normpath(path)
    if os.path.isfile(path):
        if not path.lower().endswith(".json"):
            return []
        layout = _coco(path)
        if layout is None:
            raise ValueError(f"{path}: not a COCO JSON kpipe init reads: neither boxes (the lists `images`, "
                             "`annotations` with `bbox`, and `categories`) nor captions (`images`, and "
                             "`annotations` with `caption`)")
        return [layout]
    if not os.path.isdir(path):
        return []
    layouts = [layout for json_file in _json_files(path) if (layout := _coco(json_file)) is not None]
    layouts += csv_captions_layouts(path)
    root, folders = _annotation_folders(path)
    if root is None:
        return sorted(layouts, key=lambda layout: ORDER.index(layout.kind))
    images = next(os.path.normpath(os.path.join(root, name)) for name in IMAGE_FOLDERS
                  if os.path.isdir(os.path.join(root, name)))
    image_stems = set(_stems(images, IMAGE_EXTENSIONS))
    for folder in folders:
        layouts += _annotated(root, images, folder, image_stems)
    return sorted(layouts, key=lambda layout: ORDER.index(layout.kind))


# --- COCO --------------------------------------------------------------------------------------------------------
def _json_files(folder: str) -> list[str]:
    """The .json files in `folder` and in its annotations/ folder."""
    found = []
    for where in (folder, os.path.join(folder, "annotations")):
        if os.path.isdir(where):
            found += sorted(os.path.normpath(os.path.join(where, name)) for name in os.listdir(where)
                            if name.lower().endswith(".json") and not name.startswith("."))
    return found


def coco_kind(data) -> str | None:
    """"captions" for a COCO captions JSON (annotations with `caption`, none with `bbox`), "boxes" for one with
    `categories` (detection), None for anything else.

    Example:
        >>> coco_kind({"images": [], "annotations": [{"image_id": 1, "caption": "a cat"}]})
        'captions'
    """
    if not (isinstance(data, dict) and isinstance(data.get("images"), list)
            and isinstance(data.get("annotations"), list)):
        return None
    annotations = [entry for entry in data["annotations"] if isinstance(entry, dict)]
    if any("caption" in entry for entry in annotations) and not any("bbox" in entry for entry in annotations):
        return "captions"
    return "boxes" if isinstance(data.get("categories"), list) else None


def _coco(path: str) -> Layout | None:
    """The COCO layout of a JSON file (boxes or captions), its images found beside it, above it or in a sibling
    folder; None if not COCO."""
    try:
        with open(path, encoding="utf-8") as file:
            if '"images"' not in file.read(1 << 16):
                return None
            file.seek(0)
            data = json.load(file)
    except (OSError, ValueError):
        return None
    kind = coco_kind(data)
    if kind is None:
        return None
    names = [entry.get("file_name") for entry in data["images"][:1] if isinstance(entry, dict)]
    folder = os.path.dirname(path)
    images = folder or "."
    if names and isinstance(names[0], str):
        images = folder_holding(names[0], folder)
        if images is None:
            raise ValueError(f"{path}: its first image {names[0]} is not in {folder or '.'}, the folder above it or "
                             "their sub-folders; move the JSON beside the folder its file_names are relative to")
    if kind == "captions":
        from pipelines.init.captions import captions_layout

        return captions_layout(path, images, "COCO captions JSON", {"format": "coco"})
    source = {"type": "coco", "path": path}
    if os.path.abspath(images) != os.path.abspath(folder or "."):
        source["images"] = images
    return Layout("object_detection", source, "COCO JSON", data_set_root(path), path)


def data_set_root(path: str) -> str:
    """The data set's folder of an annotation file: its folder, or the one above an annotations/ folder.

    Example:
        >>> data_set_root("data/coco/annotations/instances.json"), data_set_root("shapes/coco.json")
        ('data/coco', 'shapes')
    """
    folder = os.path.dirname(path)
    root = os.path.dirname(folder) if os.path.basename(os.path.abspath(folder)) == "annotations" else folder
    return root or "."


def folder_holding(file_name: str, folder: str) -> str | None:
    """The folder `file_name` is relative to: `folder`, its parent, or a sub-folder of either."""
    parent = os.path.normpath(os.path.join(folder, os.pardir))
    candidates = [folder or ".", parent]
    for base in candidates[:]:
        candidates += sorted(os.path.join(base, name) for name in os.listdir(base)
                             if os.path.isdir(os.path.join(base, name)) and not name.startswith("."))
    return next((os.path.normpath(c) for c in candidates if os.path.isfile(os.path.join(c, file_name))), None)


# --- Folders beside an image folder -------------------------------------------------------------------------------
def _annotation_folders(path: str) -> tuple[str | None, list[str]]:
    """(the folder holding the image folder, the annotation folders to try): those beside the image folder in
    `path`, or `path` itself when its parent holds the image folder; (None, []) when neither does."""
    def image_folder_in(folder: str) -> bool:
        return any(os.path.isdir(os.path.join(folder, name)) for name in IMAGE_FOLDERS)

    if image_folder_in(path):
        folders = sorted(os.path.normpath(os.path.join(path, name)) for name in os.listdir(path)
                         if os.path.isdir(os.path.join(path, name)) and name not in IMAGE_FOLDERS
                         and not name.startswith("."))
        return path, folders
    parent = os.path.dirname(path) or "."
    if os.path.basename(path) not in IMAGE_FOLDERS and image_folder_in(parent):
        return parent, [path]
    return None, []


def _annotated(root: str, images: str, folder: str, image_stems: set[str]) -> list[Layout]:
    """The layouts of one folder beside the image folder: VOC, YOLO and/or masks, by the files sharing image names."""
    name = os.path.basename(folder)
    layouts = []
    xml = _stems(folder, ("xml",))
    if set(xml) & image_stems and _is_voc(xml[min(set(xml) & image_stems)]):
        source = {"type": "voc", "path": root}
        if name != "Annotations":
            source["annotations"] = name
        if os.path.basename(images) != "JPEGImages":
            source["images"] = os.path.basename(images)
        layouts.append(Layout("object_detection", source, "Pascal VOC", root, folder))
    txt = _stems(folder, ("txt",))
    if set(txt) & image_stems:
        source = {"type": "yolo", "images": images, "labels": folder, "names": yolo_names(root, folder, txt.values())}
        layouts.append(Layout("object_detection", source, "YOLO", root, folder))
    png = _stems(folder, ("png",))
    if set(png) & image_stems and _is_mask(png[min(set(png) & image_stems)]):
        source = {"type": "mask_folder", "images": images, "masks": folder}
        names = _names_file(root, folder)
        if names:
            source["class_names"] = names
        layouts.append(Layout("semantic_segmentation", source, "mask folder", root, folder))
    return layouts


def _stems(folder: str, extensions) -> dict[str, str]:
    from data.annotations import files_by_stem

    return files_by_stem(folder, list(extensions))[0]


def _is_voc(xml: str) -> bool:
    from xml.etree import ElementTree

    try:
        return ElementTree.parse(xml).getroot().tag == "annotation"
    except (OSError, ElementTree.ParseError):
        return False


def _is_mask(png: str) -> bool:
    """An 8-bit one-channel or palette PNG (the mask_folder source explains why it refuses palettes)."""
    from PIL import Image

    try:
        with Image.open(png) as image:
            return image.mode in ("L", "P")
    except Exception:  # noqa: BLE001  (PIL raises many error types for unreadable files)
        return False


# --- Class names --------------------------------------------------------------------------------------------------
def yolo_names(root: str, labels: str, label_files) -> list[str]:
    """YOLO class names: `names` of data.yaml, else a classes.txt, else class_0..class_<largest id in the labels>."""
    import yaml

    for name in YOLO_YAMLS:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as file:
                names = (yaml.safe_load(file) or {}).get("names")
            if isinstance(names, dict):
                names = [names[key] for key in sorted(names)]
            if isinstance(names, list) and names:
                return [str(n) for n in names]
    names = _names_file(root, labels)
    if names:
        return names
    largest = 0
    for path in label_files:
        if os.path.basename(path) in NAMES_FILES:
            continue
        with open(path, encoding="utf-8", errors="replace") as file:
            ids = [int(line.split()[0]) for line in file if line.split() and line.split()[0].isdigit()]
        largest = max([largest, *ids])
    return [f"class_{i}" for i in range(largest + 1)]


def _names_file(*folders: str) -> list[str]:
    """The class names, one per line, of the first classes.txt or obj.names in `folders`; [] when none."""
    for folder in folders:
        for name in NAMES_FILES:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as file:
                    return [line.strip() for line in file if line.strip()]
    return []
