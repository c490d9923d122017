"""Losses and metrics for semantic segmentation: integer masks against per-pixel class probabilities.

Masks `y_true` are class ids [batch, height, width] or [batch, height, width, 1];
predictions `y_pred` are probabilities [batch, height, width, num_classes]
(a softmax output). Pixels equal to `ignore_index` (e.g. 255 for "void" or
unlabelled borders) count nowhere: not in the losses, the metrics or the
evaluation reports.

Training uses `SparseCrossEntropyPlusDice` (or `DiceLoss`) and `segmentation_metrics`;
evaluation reports use `iou_per_class` and `mean_iou` on NumPy arrays of ids.
The losses and `PixelAccuracy` are registered with Keras (package "kpipe"), so
a saved `.keras` model loads without `custom_objects`.

Example:
    >>> model.compile("adam", loss=SparseCrossEntropyPlusDice(num_classes=3, ignore_index=255),
    ...               metrics=segmentation_metrics(3, ignore_index=255))   # doctest: +SKIP
    >>> mean_iou(np.array([[0, 1], [1, 255]]), np.array([[0, 1], [0, 0]]), num_classes=2, ignore_index=255)
    0.5
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def _labels_and_valid(y_true, y_pred, ignore_index):
    """Class ids [batch, *spatial] (ignored pixels set to 0) and a float mask of the pixels that count."""
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, axis=-1)
    labels = ops.cast(y_true, "int32")
    if ignore_index is None:
        return labels, ops.ones_like(labels, dtype=y_pred.dtype)
    valid = ops.not_equal(labels, ignore_index)
    return ops.where(valid, labels, 0), ops.cast(valid, y_pred.dtype)


@keras.saving.register_keras_serializable(package="kpipe")
class DiceLoss(keras.losses.Loss):
    """Soft multi-class Dice loss per image: 1 - mean Dice over the classes present in its mask.

    For each image and class c (one-hot targets t, probabilities p, over the
    pixels that count): dice_c = (2 * sum(t * p) + smooth) / (sum(t) + sum(p) + smooth).
    The loss averages 1 - dice_c over the classes present in the image's mask,
    so small classes weigh as much as the background; it is 0 for a perfect
    prediction, near 1 for a completely wrong one, and 0 for an image whose
    pixels are all ignored. Unlike `keras.losses.Dice` it takes integer masks,
    averages per class and skips `ignore_index` pixels.

    Args:
        num_classes: number of classes (the last axis of `y_pred`).
        smooth: added to numerator and denominator; softens the loss of classes with few pixels.
        ignore_index: mask value of pixels to leave out, or None.

    Example:
        >>> y_true = np.array([[[0, 1], [1, 1]]])
        >>> float(DiceLoss(num_classes=2)(y_true, np.eye(2)[y_true]))
        0.0
    """

    def __init__(self, num_classes: int, smooth: float = 1.0, ignore_index: int | None = None,
                 name: str = "dice", reduction: str = "sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.num_classes = num_classes
        self.smooth = smooth
        self.ignore_index = ignore_index

    def call(self, y_true, y_pred):
        return self._dice(*_labels_and_valid(y_true, y_pred, self.ignore_index), y_pred)

    def _dice(self, labels, valid, y_pred):
        """Per-image loss from the class ids and mask `_labels_and_valid` gives."""
        valid = ops.expand_dims(valid, -1)
        targets = ops.one_hot(labels, self.num_classes, dtype=y_pred.dtype) * valid
        y_pred = y_pred * valid
        spatial = tuple(range(1, len(y_pred.shape) - 1))
        intersection = ops.sum(targets * y_pred, axis=spatial)
        target_sum = ops.sum(targets, axis=spatial)
        dice = ops.divide_no_nan(2 * intersection + self.smooth,
                                 target_sum + ops.sum(y_pred, axis=spatial) + self.smooth)
        present = ops.cast(target_sum > 0, y_pred.dtype)
        return ops.sum((1 - dice) * present, axis=-1) / ops.maximum(ops.sum(present, axis=-1), 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "smooth": self.smooth,
                "ignore_index": self.ignore_index}


@keras.saving.register_keras_serializable(package="kpipe")
class SparseCrossEntropyPlusDice(DiceLoss):
    """`sparse_ce_plus_dice`: sparse categorical cross-entropy (mean over the pixels that count) plus `DiceLoss`.

    Cross-entropy gives every pixel a steady gradient; Dice keeps small
    classes from drowning in the background. Takes the same arguments as
    `DiceLoss`.

    Example:
        >>> loss = SparseCrossEntropyPlusDice(num_classes=3, ignore_index=255)
        >>> loss.name
        'sparse_ce_plus_dice'
    """

    def __init__(self, num_classes: int, smooth: float = 1.0, ignore_index: int | None = None,
                 name: str = "sparse_ce_plus_dice", reduction: str = "sum_over_batch_size", dtype=None):
        super().__init__(num_classes, smooth=smooth, ignore_index=ignore_index, name=name, reduction=reduction,
                         dtype=dtype)

    def call(self, y_true, y_pred):
        labels, valid = _labels_and_valid(y_true, y_pred, self.ignore_index)
        pixels = keras.losses.sparse_categorical_crossentropy(labels, y_pred)
        spatial = tuple(range(1, len(valid.shape)))
        cross_entropy = ops.sum(pixels * valid, axis=spatial) / ops.maximum(ops.sum(valid, axis=spatial), 1)
        return cross_entropy + self._dice(labels, valid, y_pred)


@keras.saving.register_keras_serializable(package="kpipe")
class PixelAccuracy(keras.metrics.Mean):
    """Fraction of the pixels that count whose predicted class (argmax of `y_pred`) is right.

    `keras.metrics.SparseCategoricalAccuracy` gives the same number when no
    pixel is ignored; this metric exists because that one would count
    `ignore_index` pixels as errors.

    Example:
        >>> metric = PixelAccuracy(ignore_index=255)
        >>> metric.update_state(np.array([[0, 1, 255]]), np.eye(2)[[[0, 0, 1]]])
        >>> float(metric.result())
        0.5
    """

    def __init__(self, ignore_index: int | None = None, name: str = "pixel_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.ignore_index = ignore_index

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        labels, valid = _labels_and_valid(y_true, y_pred, self.ignore_index)
        correct = ops.equal(labels, ops.cast(ops.argmax(y_pred, axis=-1), "int32"))
        if sample_weight is not None:  # per image or per pixel
            sample_weight = ops.cast(sample_weight, valid.dtype)
            for _ in range(len(valid.shape) - len(sample_weight.shape)):
                sample_weight = ops.expand_dims(sample_weight, -1)
            valid = valid * sample_weight
        super().update_state(correct, sample_weight=valid)

    def get_config(self):
        return {**super().get_config(), "ignore_index": self.ignore_index}


def segmentation_metrics(num_classes: int, ignore_index: int | None = None) -> list:
    """Training metrics for `model.compile`: "mean_iou" (Keras `MeanIoU` over argmax ids) and "pixel_accuracy".

    Example:
        >>> [metric.name for metric in segmentation_metrics(3, ignore_index=255)]
        ['mean_iou', 'pixel_accuracy']
    """
    return [keras.metrics.MeanIoU(num_classes, name="mean_iou", ignore_class=ignore_index, sparse_y_pred=False),
            PixelAccuracy(ignore_index)]


def iou_per_class(y_true, y_pred_ids, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Intersection over union of each class, from the confusion matrix of all pixels that count.

    `y_true` and `y_pred_ids` are class ids of the same size (a trailing
    axis of 1 is fine). A class absent from both has no IoU: its entry is NaN.
    Ids outside [0, num_classes) other than `ignore_index` are an error.

    Example:
        >>> iou_per_class(np.array([[0, 0], [1, 2]]), np.array([[0, 0], [1, 1]]), num_classes=4)
        array([1. , 0.5, 0. , nan])
    """
    y_true, y_pred_ids = np.asarray(y_true).ravel(), np.asarray(y_pred_ids).ravel()
    if y_true.size != y_pred_ids.size:
        raise ValueError(f"y_true has {y_true.size} pixels but y_pred_ids has {y_pred_ids.size}")
    if ignore_index is not None:
        y_true, y_pred_ids = y_true[y_true != ignore_index], y_pred_ids[y_true != ignore_index]
    for name, ids in (("y_true", y_true), ("y_pred_ids", y_pred_ids)):
        bad = np.unique(ids[(ids < 0) | (ids >= num_classes)])
        if bad.size:
            raise ValueError(f"{name} has ids outside [0, {num_classes}): {bad[:10].tolist()}")
    confusion = np.bincount(num_classes * y_true.astype(np.int64) + y_pred_ids.astype(np.int64),
                            minlength=num_classes ** 2).reshape(num_classes, num_classes)
    intersection = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - intersection
    return np.divide(intersection, union, out=np.full(num_classes, np.nan), where=union > 0)


def mean_iou(y_true, y_pred_ids, num_classes: int, ignore_index: int | None = None) -> float:
    """Mean of `iou_per_class` over the classes present in `y_true` or `y_pred_ids`; 0.0 if there are none.

    Example:
        >>> mean_iou(np.array([0, 0, 1, 2]), np.array([0, 0, 1, 1]), num_classes=4)
        0.5
    """
    scores = iou_per_class(y_true, y_pred_ids, num_classes, ignore_index)
    present = ~np.isnan(scores)
    return float(scores[present].mean()) if present.any() else 0.0
