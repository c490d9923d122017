"""Input size and training length from the objects of the training split, for object detection and segmentation.

`ObjectSized` is mixed into the tasks whose models find objects through
strided feature maps. From the training split it measures the images and
their objects (boxes, mask regions) and:

- `resize: auto`: the smallest size (a multiple of `input_multiple`) at which
  the small objects (10th percentile) keep `smallest_object` pixels on their
  shorter side (`data.object_sizes.input_size`); a fixed size that shrinks
  them below that is warned about;
- `training.epochs: auto`: about `target_steps` optimizer steps, within
  `epoch_range` epochs, with early stopping on the task's metric (best weights
  restored) when the spec has none; the learning-rate schedule follows the
  resulting length;
- a held-out metric near zero (`underfit_below`), or no better than an answer
  that learned nothing, is reported with its likely causes (the input too
  small for the objects, too few epochs, the learning rate) and tags the run
  `kpipe.collapse: underfit`.

Example:
    >>> epochs_for(steps_per_epoch=53, target_steps=3000, epoch_range=(30, 100))
    57
"""

from __future__ import annotations

import math
import sys

import numpy as np

from models.tasks.base import Choice, named_option
from models.tasks.collapse import Diagnosis

SAMPLED_MASKS = 300
"""Segmentation measures the regions of at most this many training masks (evenly spaced)."""


def epochs_for(steps_per_epoch: int, target_steps: int, epoch_range: tuple[int, int]) -> int:
    """Epochs that make about `target_steps` optimizer steps, within `epoch_range`."""
    low, high = epoch_range
    return int(min(max(math.ceil(target_steps / max(steps_per_epoch, 1)), low), high))


class ObjectSized:
    """Mixin: `choose` (resize and epochs from the data) and the underfit diagnosis, for object-finding tasks.

    Attributes:
        smallest_object: Pixels the small objects keep on their shorter side (`resize: auto`).
        input_multiple: The chosen height and width are multiples of it (the model's largest stride).
        target_steps: Optimizer steps `training.epochs: auto` aims at.
        epoch_range: The fewest and most epochs `auto` gives.
        least_patience: Early stopping's patience is the larger of this and a fifth of the epochs.
        underfit_below: A held-out `metric` under this is reported as underfit.
    """

    smallest_object = 16
    input_multiple = 32
    target_steps = 3000
    epoch_range = (30, 100)
    least_patience = 10
    underfit_below = 0.1
    sized_stages = frozenset({"resize"})
    sizes = None
    model_size = None

    def object_sizes(self, train):
        """`data.object_sizes.ObjectSizes` of the training split's images and objects."""
        raise NotImplementedError

    def _resize(self) -> tuple[int, object]:
        """The index and options of the last `resize` stage (the model's input size)."""
        from pipelines.spec import keyed

        found = [(i, options) for i, (name, options) in enumerate(map(keyed, self.spec.stages)) if name == "resize"]
        return found[-1]

    def choose(self, train) -> list[Choice]:
        """Input size (`resize: auto`) and epochs (`training.epochs: auto`) from the training split."""
        from data.object_sizes import input_size

        choices = [c for c in super().choose(train) if c.key != "training.epochs"]
        sizes = self.sizes = self.object_sizes(train)
        index, options = self._resize()
        if options.auto:
            height, width = input_size(sizes, smallest=self.smallest_object, multiple=self.input_multiple)
            value = {**options.model_dump(mode="json"), "height": height, "width": width}
            choices.append(Choice(f"stages.{index}.resize", value,
                                  f"{height}x{width} keeps the small objects at {self.smallest_object} px or more: "
                                  f"{sizes.summary(height, width)}"))
        else:
            height, width = options.height, options.width
            warning = self.small_objects(height, width)
            if warning:
                print(f"Warning: {warning}", file=sys.stderr)
        self.model_size = (height, width)
        if self.spec.training.epochs == "auto":
            choices.extend(self._training_length(len(train.labels)))
        return choices

    def _training_length(self, images: int) -> list[Choice]:
        training = self.spec.training
        steps = math.ceil(images / self.spec.data.batch_size)
        if training.steps_per_epoch:
            steps = min(steps, training.steps_per_epoch)
        epochs = epochs_for(steps, self.target_steps, self.epoch_range)
        choices = [Choice("training.epochs", epochs,
                          f"about {self.target_steps} steps at {steps} steps per epoch ({images} training images), "
                          f"within {self.epoch_range[0]}-{self.epoch_range[1]} epochs")]
        if named_option(training.callbacks, "early_stopping", "patience") is None:
            patience = max(self.least_patience, epochs // 5)
            callbacks = self.spec.model_dump(mode="json")["training"]["callbacks"]
            choices.append(Choice("training.callbacks", [*callbacks, {"early_stopping": {"patience": patience}}],
                                  f"early stopping on val_{self.metric} after {patience} epochs without "
                                  f"improvement, best weights restored"))
        return choices

    def small_objects(self, height: int, width: int) -> str | None:
        """A sentence when (height, width) shrinks the small objects below `smallest_object` px, else None."""
        if self.sizes is None:
            return None
        resized = self.sizes.object_pixels(height, width)
        if not len(resized):
            return None
        small = float(np.percentile(resized, 10))
        if small >= self.smallest_object:
            return None
        index, _ = self._resize()
        return (f"input too small for the objects: at {height}x{width} the small objects (10th percentile) are "
                f"{small:.1f} px and the median {float(np.median(resized)):.1f} px on their shorter side, under the "
                f"{self.smallest_object} px the model resolves; set stages.{index}.resize: auto (or a larger "
                f"height and width)")

    def underfit(self, value: float, what: str, baseline: tuple[str, float] | None = None):
        """The verdict and tag (`Evaluation`) when the held-out `metric` is near zero, with its likely causes.

        `baseline` (what, its score) is an answer that learned nothing (all
        background): the metric within 0.05 of it is underfit too.
        """
        from models.tasks.base import Evaluation

        if value >= self.underfit_below and (baseline is None or value > baseline[1] + 0.05):
            return Evaluation()
        near = ("near zero" if baseline is None else
                f"no better than {baseline[0]} ({baseline[1]:.3f})")
        found = Diagnosis("underfit",
                          f"Underfit: the held-out {what} is {value:.3f}, {near}: the model finds almost nothing.")
        size_cause = self.small_objects(*self.model_size) if self.model_size else None
        return self.collapse_report(found, [size_cause] if size_cause else [])
