"""Boxes and masks move exactly with the pixels through the resize and augment stages."""

import numpy as np
import tensorflow as tf
from pydantic import TypeAdapter

from data.stages.resize import ResizeOptions, resize
from pipelines import registry
from pipelines.spec import keyed, spec_model


def flip_spec_item():
    """The stage item `augment: [{random_flip: horizontal}]` as the spec validates it."""
    fields = spec_model().model_fields["stages"].annotation
    return TypeAdapter(fields).validate_python([{"augment": [{"random_flip": "horizontal"}]}])[0]


def flipped_batch(batch: dict) -> dict:
    """Run a horizontal random_flip with seeds until it flips the (single-image) batch."""
    flip_item = flip_spec_item()
    for seed in range(20):
        stage = registry.stages.get("augment").build(keyed(flip_item)[1], seed=seed)
        out = stage.layer(dict(batch))
        if not np.allclose(out["images"].numpy(), batch["images"].numpy()):
            return out
    raise AssertionError("random_flip never flipped")


def test_horizontal_flip_mirrors_a_known_box_exactly():
    image = np.zeros((1, 16, 20, 3), "float32")
    image[0, 2:9, 3:8] = 255.0  # the object covers columns 3..7, rows 2..8
    boxes = {"boxes": tf.constant([[[3.0, 2.0, 8.0, 9.0]]]), "labels": tf.constant([[1]])}
    out = flipped_batch({"images": tf.constant(image), "bounding_boxes": boxes})
    np.testing.assert_array_equal(out["images"].numpy()[0], image[0, :, ::-1])
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"].numpy(), [[[20 - 8.0, 2.0, 20 - 3.0, 9.0]]])
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"].numpy(), [[1]])


def test_horizontal_flip_mirrors_a_mask_exactly():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (1, 12, 10, 3)).astype("float32")
    mask = rng.integers(0, 4, (1, 12, 10, 1)).astype("int32")
    out = flipped_batch({"images": tf.constant(image), "segmentation_masks": tf.constant(mask)})
    np.testing.assert_array_equal(out["segmentation_masks"].numpy(), mask[:, :, ::-1])


def test_resize_scales_boxes_and_keeps_mask_class_ids():
    stage = resize(ResizeOptions(height=8, width=10))
    assert stage.moves_pixels
    boxes = {"boxes": tf.constant([[4.0, 2.0, 12.0, 10.0]]), "labels": tf.constant([0])}
    out = stage.layer({"images": tf.zeros((16, 20, 3)), "bounding_boxes": boxes})
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"].numpy(), [[2.0, 1.0, 6.0, 5.0]])
    mask = np.zeros((16, 20, 1), "int32")
    mask[4:12, 6:14] = 3
    resized = stage.layer({"images": tf.zeros((16, 20, 3)), "segmentation_masks": tf.constant(mask)})
    assert set(np.unique(resized["segmentation_masks"].numpy())) == {0, 3}
