"""Captioned shapes of three objects: 504 captions, drawn as they say, loaded and guarded by the `captions` source."""

import json

import numpy as np
import pytest
from PIL import Image

from data.sources.captions import MANIFEST, CaptionsOptions, load_captions
from data.synthetic.captioned_shapes import COLOURS, SHAPES, captions, draw, parse, write_captioned_shapes


def test_there_are_504_captions_of_three_distinct_shapes_and_each_parses_back():
    texts = captions(3)
    assert len(texts) == len(set(texts)) == 504
    for text in texts:
        parts = parse(text)
        assert len(set(parts)) == 3 and all(colour in COLOURS and shape in SHAPES for colour, shape in parts), text
    assert parse("a red circle left of a blue square left of a green triangle") == (
        ("red", "circle"), ("blue", "square"), ("green", "triangle"))


@pytest.mark.parametrize("text", captions(3)[::37])
def test_the_generator_draws_each_third_as_the_caption_says(text):
    image = draw(*parse(text), np.random.default_rng(5)).astype(int)
    assert image.shape == (32, 72, 3)
    coloured = image.max(axis=2) - image.min(axis=2) > 80  # the noise is grey
    for index, (colour, shape) in enumerate(parse(text)):
        mask, pixels = coloured[:, 24 * index:24 * (index + 1)], image[:, 24 * index:24 * (index + 1)]
        assert mask.sum() > 20, text
        assert int(np.argmax(pixels[mask].mean(axis=0))) == int(np.argmax(COLOURS[colour])), text
        rows, cols = np.nonzero(mask)
        fill = mask.sum() / ((np.ptp(rows) + 1) * (np.ptp(cols) + 1))  # of the shape's bounding box
        assert ("square" if fill > 0.9 else "circle" if fill > 0.65 else "triangle") == shape, text


def test_every_caption_is_drawn_equally_often(tmp_path):
    write_captioned_shapes(str(tmp_path), count=504, seed=2, objects=3)
    written = [line.split(",")[1] for line in (tmp_path / "captions.csv").read_text().splitlines()[1:]]
    assert sorted(written) == sorted(captions(3))


def test_the_source_loads_three_shapes_at_their_size_and_guards_the_recipe(tmp_path):
    folder = str(tmp_path / "shapes")
    examples = load_captions(CaptionsOptions(folder=folder, generate_shapes=True, count=6, seed=1, objects=3))
    assert examples.size == 6 and examples.image_shape == (32, 72, 3)
    assert all(text.count(" left of ") == 2 for text in examples.class_names)
    assert Image.open(examples.inputs[0]).size == (72, 32)  # (width, height)
    assert json.loads((tmp_path / "shapes" / MANIFEST).read_text()) == {"count": 6, "seed": 1, "objects": 3}
    with pytest.raises(ValueError, match=r"written with \{'count': 6, 'seed': 1, 'objects': 3\}.*delete the folder"):
        load_captions(CaptionsOptions(folder=folder, generate_shapes=True, count=6, seed=1))
    squeezed = load_captions(CaptionsOptions(folder=folder, generate_shapes=True, count=6, seed=1, objects=3,
                                             image_size=[32, 48]))
    assert squeezed.image_shape == (32, 48, 3)  # another size resizes


def test_two_shapes_keep_their_manifest_and_more_than_three_are_refused(tmp_path):
    load_captions(CaptionsOptions(folder=str(tmp_path / "two"), generate_shapes=True, count=2))
    assert json.loads((tmp_path / "two" / MANIFEST).read_text()) == {"count": 2, "seed": 0}
    with pytest.raises(ValueError, match="objects"):
        CaptionsOptions(folder="x", objects=4)
