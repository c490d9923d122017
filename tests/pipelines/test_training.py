"""Training plans: phases, class weights, schedules."""

import numpy as np
import pytest

from pipelines import registry
from pipelines.spec_loading import load_spec
from pipelines.training import class_weights, plan_phases


def test_one_phase_unless_the_backbone_unfreezes(tiny_spec):
    assert [(p.start, p.end, p.backbone_trainable) for p in plan_phases(load_spec(tiny_spec))] == [(0, 2, True)]
    tiny_spec["training"]["epochs"] = 5
    tiny_spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 2,
                                       "fine_tune_learning_rate_factor": 0.1}
    phases = plan_phases(load_spec(tiny_spec))
    assert [(p.start, p.end, p.backbone_trainable, p.learning_rate_factor) for p in phases] == [
        (0, 2, False, 1.0), (2, 5, True, 0.1)]


def test_balanced_class_weights_favour_the_rare_class(tiny_spec):
    tiny_spec["training"]["class_weight"] = "balanced"
    weights = class_weights(load_spec(tiny_spec), np.array([0, 0, 0, 1]), num_classes=3)
    assert weights[1] == pytest.approx(2.0) and weights[0] == pytest.approx(2 / 3) and weights[2] == 1.0
    tiny_spec["training"]["class_weight"] = {0: 1.0, 1: 5.0}
    assert class_weights(load_spec(tiny_spec), np.array([0, 1]), 2) == {0: 1.0, 1: 5.0}


def test_cosine_schedule_warms_up_then_decays(tiny_spec):
    tiny_spec["training"]["schedule"] = {"name": "cosine", "warmup_steps": 10}
    spec = load_spec(tiny_spec)
    schedule = registry.schedules.get("cosine").build(spec.training.schedule, learning_rate=0.1, total_steps=110)
    rates = [float(schedule.learning_rate(step)) for step in (0, 5, 10, 60, 110)]
    assert rates[0] == 0.0 and rates[1] == pytest.approx(0.05) and rates[2] == pytest.approx(0.1)
    assert rates[2] > rates[3] > rates[4]


def test_reduce_on_plateau_schedule_brings_its_callback(tiny_spec):
    tiny_spec["training"]["schedule"] = "reduce_on_plateau"
    spec = load_spec(tiny_spec)
    schedule = registry.schedules.get("reduce_on_plateau").build(spec.training.schedule, learning_rate=0.01,
                                                                 total_steps=10)
    assert schedule.learning_rate == 0.01 and type(schedule.callbacks[0]).__name__ == "ReduceLROnPlateau"
