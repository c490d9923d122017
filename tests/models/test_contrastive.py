"""The contrastive task: it needs augmentation for its two views, and its probe reads features, not labels."""

import numpy as np
import pytest
import yaml

from models.tasks.contrastive.task import _probe
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "digits_contrastive.yaml"


def test_a_contrastive_spec_without_augmentation_is_refused_naming_the_stage_to_add():
    spec = yaml.safe_load(SPEC.read_text())
    spec["stages"] = [stage for stage in spec["stages"] if "augment" not in stage]
    with pytest.raises(SpecError, match="task contrastive compares two augmented views.*add an augment stage"):
        load_spec(spec)


def test_the_linear_probe_scores_separable_features_and_not_noise():
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 2
    separable = rng.normal(size=(200, 4)) + labels[:, None] * 3
    noise = rng.normal(size=(200, 4))
    assert _probe(None, (separable[:100], labels[:100]), (separable[100:], labels[100:])) > 0.9
    assert _probe(None, (noise[:100], labels[:100]), (noise[100:], labels[100:])) < 0.7
