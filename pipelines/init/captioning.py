"""The captioning and dual_encoder drafts: captioned images (captions.py finds them), counted before they are drafted.

The captions are read as the `captions` source reads them; the header states
how many captions, images and distinct captions there are, and the rows the run
would find bad (a missing image, an empty caption). The models are the shipped
captioned-shapes specs' (pipelines/specs/captioned_shapes_captioning.yaml and
captioned_shapes_dual_encoder.yaml): a small CNN, then a Transformer decoder, or
CLIP-style towers. `image_size` is left to the source (128x128) unless every
sampled image has one size no larger than that, which is then kept as it is.

Example:
    >>> import tempfile
    >>> from data.synthetic.captioned_shapes import write_captioned_shapes
    >>> from pipelines.init.captions import csv_captions_layout
    >>> folder = tempfile.mkdtemp()
    >>> write_captioned_shapes(folder, count=4, seed=0)
    >>> draft = captions_spec(csv_captions_layout(folder + "/captions.csv"), "shapes-captioning", "captioning")
    >>> draft.task, "    image_size: [32, 48]" in draft.text
    ('captioning', True)
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass

from data.sources.captions import PHOTO_SIZE
from pipelines.init.layouts import Layout
from pipelines.init.render import (
    Draft,
    Lines,
    common_bottom,
    common_top,
    count,
    flow,
    header,
    path_comment,
    render,
    wrap,
)

SPLIT = {"validation": 0.1, "test": 0.1}
SAMPLED_IMAGES = 20  # images whose size is read
STAGES = 3  # the CNN's stages, each halving the image
RESCALE = f"  - rescale: {{scale: {1 / 255!r}}}"
FLATTEN_MAX_CELLS = 64  # dual_encoder flattens a feature map of at most this many cells ("left of"), else averages


@dataclass(frozen=True)
class Model:
    """One task's model and training, as its shipped spec has them."""

    description: str
    batch_size: int
    backbone: dict
    head: Lines
    epochs: int
    optimizer: dict
    callbacks: Lines
    other_task: str


MODELS = {
    "captioning": Model(
        "An image encoder and a Transformer decoder writing captions of the images in {folder}.", 64,
        {"source": "builtin", "name": "cnn", "config": {"filters": [32, 64, 96], "blocks_per_stage": 1}},
        [("  head:", None),
         ("    decoder: {hidden_dim: 96, num_layers: 2, num_heads: 4, intermediate_dim: 192, dropout: 0.1, "
          "encoder_layers: 1}", "wider (hidden_dim 256+) for real photos"),
         ("    tokenize: {tokenizer: word_piece}", "vocabulary_size and sequence_length from the training captions"),
         ("    sampling: {sampler: greedy, max_new_tokens: 32}", "or beam; the export decodes inside the graph"),
         ("    eval_samples: 200", "validation images captioned after every epoch (val_cider_d)")],
        60, {"name": "adam", "learning_rate": 1.0e-3},
        [("    - terminate_on_nan", None),
         ("    - early_stopping: {patience: 10}", "on val_cider_d, which can stall for epochs while word order "
                                                    "is learned")],
        "dual_encoder: image and text embeddings that find each other (kpipe init --task dual_encoder)"),
    "dual_encoder": Model(
        "CLIP-style image and text towers on the captioned images in {folder}, measured by recall@k both ways.", 128,
        {"source": "builtin", "name": "cnn", "config": {"filters": [32, 64, 64], "blocks_per_stage": 1}},
        [("  head:", None),
         ("    embedding_dim: 64", "width of both towers' unit-length output"),
         ("    image_pooling: {pooling}", "{pooling_comment}"),
         ("    text: {width: 64, layers: 1, heads: 2, intermediate: 128}", "the text tower: a small Transformer"),
         ("    tokenize: {tokenizer: word_piece}", "vocabulary_size and sequence_length from the training captions"),
         ("    temperature: 0.07", "initial; learned, as CLIP's"),
         ("    # class_prompts: {cat: a photo of a cat, dog: a photo of a dog}",
          "zero-shot accuracy on test images whose caption names one class")],
        12, {"name": "adam", "learning_rate": 1.0e-3}, [("    - terminate_on_nan", None)],
        "captioning: a decoder that writes captions (kpipe init --task captioning)"),
}


@dataclass
class Counted:
    """What the draft's comments state about the captions."""

    captions: int
    images: int
    distinct: int
    words: float
    bad: list[str]
    sizes: list[tuple[int, int]]


def captions_spec(layout: Layout, name: str, task: str) -> Draft:
    """The `task` (captioning or dual_encoder) draft of the captioned images of `layout`, counted first."""
    source, model = dict(layout.source), MODELS[task]
    counted = _count(source)
    measured, size_comment = _image_size(counted.sizes)
    size = measured or PHOTO_SIZE
    cells = math.ceil(size[0] / 2 ** STAGES) * math.ceil(size[1] / 2 ** STAGES)
    notes = [f"{count(len(counted.bad), 'bad record')} (first: {counted.bad[0]}); the draft says on_bad_record: skip"
             ] if counted.bad else []
    lines = header(f"{'Image captioning' if task == 'captioning' else 'Dual encoder (CLIP-style)'}: "
                   f"{count(counted.captions, 'caption')} of {count(counted.images, 'image')} from "
                   f"{layout.given} ({layout.kind}).", measured=_measured(counted, size, cells, task))
    lines += common_top(name, task, model.description.format(folder=source["folder"]),
                        task_comment=f"or {model.other_task}")
    lines += _data(source, layout, measured, size_comment, counted, model)
    pooling = "flatten" if cells <= FLATTEN_MAX_CELLS else "average"
    pooling_comment = (f"flatten keeps where things are ('left of'): a {cells}-cell feature map here; average for "
                       f"larger maps" if pooling == "flatten" else
                       f"average over the {cells}-cell feature map; flatten keeps where things are (small maps)")
    lines += [
        ("stages:", None),
        (RESCALE, "pixels [0, 255] -> [0, 1], inside the export too"),
        ("model:", None),
        (f"  backbone: {flow(model.backbone)}",
         f"filters per stage; each halves the image: {cells} cells{' (image tokens)' * (task == 'captioning')}"),
        *[(text.replace("{pooling}", pooling), comment and comment.replace("{pooling_comment}", pooling_comment))
          for text, comment in model.head],
        ("training:", None),
        (f"  epochs: {model.epochs}", None),
        (f"  optimizer: {flow(model.optimizer)}", None),
        ("  callbacks:", None),
        *model.callbacks,
    ]
    lines += common_bottom(name)
    return Draft(render(lines), task, name, notes)


def _count(source: dict) -> Counted:
    """Captions, images and distinct captions as the source reads them; the rows it would find bad; sizes."""
    from PIL import Image

    from data.sources.captions import read_coco, read_rows

    folder = source["folder"]
    where = os.path.join(folder, source["captions"])
    rows = (read_coco(where) if source.get("format") == "coco" else
            read_rows(where, source["file_column"], source["caption_column"]))
    exists: dict[str, bool] = {}
    kept, bad = [], []
    for row, file, text in rows:
        if not text.strip() or not file.strip():
            bad.append(f"{row}: empty {'caption' if file.strip() else 'file name'}")
            continue
        if file not in exists:
            exists[file] = os.path.isfile(os.path.join(folder, file))
        if exists[file]:
            kept.append((file, " ".join(text.split())))
        else:
            bad.append(f"{row}: no image {os.path.join(folder, file)}")
    if not kept:
        raise ValueError(f"{where}: no caption of an existing image ({count(len(bad), 'bad row')}; first: "
                         f"{bad[0] if bad else 'none'})")
    files = sorted({file for file, _ in kept})
    sizes = []
    for file in files[:: max(1, len(files) // SAMPLED_IMAGES)][:SAMPLED_IMAGES]:
        try:
            with Image.open(os.path.join(folder, file)) as image:
                sizes.append((image.height, image.width))
        except Exception:  # noqa: BLE001  (unreadable files are the source's to report)
            continue
    words = statistics.median(len(text.split()) for _, text in kept)
    return Counted(len(kept), len(files), len({text for _, text in kept}), words, bad, sizes)


def _image_size(sizes: list[tuple[int, int]]) -> tuple[tuple[int, int] | None, str]:
    """The images' own size when every sampled one has it and it is no larger than PHOTO_SIZE (else None: the
    source's PHOTO_SIZE), and the comment saying so."""
    shown = f"{sizes[0][0]}x{sizes[0][1]}" if len(set(sizes)) == 1 else (
        f"from {min(sizes)[0]}x{min(sizes)[1]} to {max(sizes)[0]}x{max(sizes)[1]}" if sizes else "unreadable")
    limit = PHOTO_SIZE[0] * PHOTO_SIZE[1]
    if len(set(sizes)) == 1 and sizes[0][0] * sizes[0][1] <= limit:
        return sizes[0], f"[height, width]: the images' own size ({len(sizes)} sampled are all {shown})"
    return None, (f"left out: each image is stretched to {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} (sampled sizes: "
                        f"{shown}); larger for detailed photos")


def _measured(counted: Counted, size: tuple[int, int], cells: int, task: str) -> list[str]:
    lines = [f"Counted: {counted.captions / counted.images:.1f} captions per image, {counted.distinct} distinct "
             f"captions, {counted.words:g} words in the median caption; images decoded at {size[0]}x{size[1]}, "
             f"a {cells}-cell feature map after the CNN."]
    if counted.bad:
        lines.append(f"{count(len(counted.bad), 'row')} the run leaves out (on_bad_record: skip); first: "
                     f"{counted.bad[0]}.")
    if task == "captioning":
        lines.append("Scored by CIDEr-D, BLEU-4, ROUGE-L and exact match on the test split, against the "
                     "nearest-neighbour caption (the caption of the closest training image).")
    else:
        lines.append("Scored by recall@1/5/10 text-to-image and image-to-text on the test split, against a random "
                     "ranking; the export embeds images (embed_image) and texts (embed_text).")
    return wrap(lines)


def _data(source: dict, layout: Layout, size, size_comment: str, counted: Counted, model: Model) -> Lines:
    comments = {
        "folder": "the images, which the captions' file names are relative to",
        "captions": f"the {layout.kind}, relative to `folder` (or absolute)",
        "format": "a COCO captions JSON: images and caption annotations",
        "file_column": "the column of image file names",
        "caption_column": "the column of captions",
    }
    lines = [("data:", None), ("  source:", None),
             ("    type: captions", "see `kpipe components` for its options")]
    for key, value in source.items():
        if key != "type":
            lines.append((f"    {key}: {flow(value)}",
                          path_comment(value, comments[key]) if key == "folder" else comments[key]))
    lines.append((f"    image_size: {flow(list(size))}" if size else "    # image_size: [224, 224]", size_comment))
    bad = (f"skip: leave the {count(len(counted.bad), 'bad row')} found here out (counted, logged)" if counted.bad
           else "or skip: leave missing images or empty captions out (counted, logged)")
    return lines + [
        (f"  split: {flow(SPLIT)}", "shares of images held out (all captions of an image in one part)"),
        (f"  batch_size: {model.batch_size}", "lower it if memory runs out"),
        (f"  on_bad_record: {'skip' if counted.bad else 'error'}", bad),
    ]
