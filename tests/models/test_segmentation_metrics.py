"""Segmentation losses and metrics: Dice bounds, ignore_index, training, IoU from hand-made masks, serialization."""

import keras
import numpy as np
import pytest

import models.backbones.unet  # noqa: F401  (registers the backbone)
from models.segmentation import (
    DiceLoss,
    PixelAccuracy,
    SparseCrossEntropyPlusDice,
    iou_per_class,
    mean_iou,
    segmentation_metrics,
)
from pipelines.registry import backbones

IGNORE = 255
# One 2x3 image: the last pixel is unlabelled.
MASK = np.array([[[0, 0, 1], [1, 2, IGNORE]]])
PREDICTED = np.array([[[0, 1, 1], [1, 1, 0]]])


def one_hot(ids, num_classes=3):
    return np.eye(num_classes, dtype="float32")[ids]


def test_dice_is_zero_when_right_and_near_one_when_all_wrong():
    masks = np.random.default_rng(0).integers(0, 3, (2, 8, 8))
    loss = DiceLoss(num_classes=3)
    assert float(loss(masks, one_hot(masks))) == pytest.approx(0.0, abs=1e-6)
    assert float(loss(masks[..., None], one_hot(masks))) == pytest.approx(0.0, abs=1e-6)
    assert float(loss(masks, one_hot((masks + 1) % 3))) > 0.95
    masked = DiceLoss(num_classes=3, ignore_index=IGNORE)
    assert float(masked(MASK, one_hot(np.where(MASK == IGNORE, 2, MASK)))) == pytest.approx(0.0, abs=1e-6)


def test_dice_averages_over_the_classes_present_only():
    # Class 0: 3 true pixels, 4 predicted, 3 shared -> dice 6/7; class 1: missed -> 0; class 2 absent.
    loss = DiceLoss(num_classes=3, smooth=0.0)
    assert float(loss(np.array([[[0, 0], [0, 1]]]), one_hot(np.zeros((1, 2, 2), int)))) == pytest.approx(
        ((1 - 6 / 7) + 1) / 2)


@pytest.mark.parametrize("loss_class", [DiceLoss, SparseCrossEntropyPlusDice])
def test_ignored_pixels_never_change_the_loss(loss_class):
    loss = loss_class(num_classes=3, ignore_index=IGNORE)
    probabilities = np.random.default_rng(0).dirichlet(np.ones(3), MASK.shape).astype("float32")
    changed = probabilities.copy()
    changed[0, 1, 2] = [0.0, 0.0, 1.0]
    assert float(loss(MASK, probabilities)) == pytest.approx(float(loss(MASK, changed)))
    assert float(loss(np.full((1, 2, 2), IGNORE), one_hot(np.zeros((1, 2, 2), int)))) == 0.0


def test_combined_loss_is_cross_entropy_plus_dice():
    masks = np.random.default_rng(0).integers(0, 3, (2, 4, 4))
    probabilities = np.random.default_rng(1).dirichlet(np.ones(3), masks.shape).astype("float32")
    expected = (float(keras.losses.SparseCategoricalCrossentropy()(masks, probabilities))
                + float(DiceLoss(3)(masks, probabilities)))
    assert float(SparseCrossEntropyPlusDice(3)(masks, probabilities)) == pytest.approx(expected, rel=1e-5)


def test_combined_loss_trains_a_tiny_unet_and_the_metrics_report():
    keras.utils.set_random_seed(0)
    unet = backbones.get("builtin.unet")
    backbone = unet.build(unet.options(filters=[4, 8], blocks_per_level=1), input_shape=(8, 8, 1))
    model = keras.Sequential([backbone, keras.layers.Conv2D(3, 1, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), SparseCrossEntropyPlusDice(3, ignore_index=IGNORE),
                  metrics=segmentation_metrics(3, ignore_index=IGNORE))
    images = np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32)
    masks = np.digitize(images[..., 0], [0.33, 0.66])
    masks[:, 0, :] = IGNORE
    history = model.fit(images, masks, batch_size=4, epochs=6, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert set(history) == {"loss", "mean_iou", "pixel_accuracy"}
    assert all(0 <= value <= 1 for value in history["mean_iou"] + history["pixel_accuracy"])


def test_iou_per_class_on_a_hand_made_mask():
    # Counted pixels (true, predicted): (0,0) (0,1) (1,1) (1,1) (2,1); the (255, 0) pixel is ignored.
    # Class 0: 1 shared / 2 in the union; class 1: 2 / 4; class 2: 0 / 1; class 3: in neither -> NaN.
    np.testing.assert_array_equal(iou_per_class(MASK, PREDICTED, num_classes=4, ignore_index=IGNORE),
                                  [0.5, 0.5, 0.0, np.nan])
    assert mean_iou(MASK, PREDICTED, num_classes=4, ignore_index=IGNORE) == pytest.approx(1 / 3)
    # Without ignore_index, 255 is an id like any other, and out of range.
    with pytest.raises(ValueError, match=r"y_true has ids outside \[0, 4\): \[255\]"):
        iou_per_class(MASK, PREDICTED, num_classes=4)
    with pytest.raises(ValueError, match="6 pixels but y_pred_ids has 5"):
        iou_per_class(MASK, PREDICTED.ravel()[:5], num_classes=4)


def test_iou_is_exact_for_a_perfect_prediction_and_never_nan():
    masks = MASK[..., None].astype("uint8")
    assert iou_per_class(masks, np.where(MASK == IGNORE, 0, MASK), 3, IGNORE).tolist() == [1.0, 1.0, 1.0]
    assert mean_iou(np.full((2, 2), IGNORE), np.zeros((2, 2), int), 3, IGNORE) == 0.0


def test_keras_metrics_match_the_numpy_report():
    mean_iou_metric, accuracy = segmentation_metrics(4, ignore_index=IGNORE)
    probabilities = one_hot(PREDICTED, 4)
    mean_iou_metric.update_state(MASK, probabilities)
    accuracy.update_state(MASK[..., None], probabilities)
    assert float(mean_iou_metric.result()) == pytest.approx(mean_iou(MASK, PREDICTED, 4, IGNORE))
    assert float(accuracy.result()) == pytest.approx(3 / 5)

    masks = np.where(MASK == IGNORE, 0, MASK)
    plain, keras_accuracy = PixelAccuracy(), keras.metrics.SparseCategoricalAccuracy()
    plain.update_state(masks, probabilities)
    keras_accuracy.update_state(masks, probabilities)
    assert float(plain.result()) == pytest.approx(float(keras_accuracy.result()))

    weighted = PixelAccuracy(IGNORE)
    weighted.update_state(np.concatenate([MASK, MASK]), np.concatenate([probabilities, one_hot(MASK % 4, 4)]),
                          sample_weight=np.array([0.0, 1.0]))
    assert float(weighted.result()) == 1.0


@pytest.mark.parametrize("item", [SparseCrossEntropyPlusDice(3, smooth=0.5, ignore_index=IGNORE), DiceLoss(4),
                                  PixelAccuracy(IGNORE)])
def test_losses_and_metrics_serialize(item):
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(item))
    assert type(restored) is type(item)
    assert restored.get_config() == item.get_config()
    if isinstance(item, DiceLoss):
        probabilities = np.random.default_rng(0).dirichlet(np.ones(item.num_classes), MASK.shape).astype("float32")
        masks = np.minimum(MASK, item.num_classes - 1) if item.ignore_index is None else MASK
        assert float(restored(masks, probabilities)) == float(item(masks, probabilities))


def test_a_saved_model_loads_its_loss_and_metrics_without_custom_objects(tmp_path):
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(3, 1, activation="softmax")])
    model.compile("adam", SparseCrossEntropyPlusDice(3, ignore_index=IGNORE), metrics=[PixelAccuracy(IGNORE)])
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.loss.get_config() == model.loss.get_config()
    images, masks = np.zeros((2, 4, 4, 1), "float32"), np.zeros((2, 4, 4), "int32")
    assert loaded.evaluate(images, masks, verbose=0) == pytest.approx(model.evaluate(images, masks, verbose=0))
