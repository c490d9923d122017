"""Training plans: phases, class weights, schedules."""

import numpy as np
import pytest

from data.examples import Examples
from pipelines import registry
from pipelines.spec_loading import load_spec
from pipelines.training import plan_phases


def test_one_phase_unless_the_backbone_unfreezes(tiny_spec):
    assert [(p.start, p.end, p.backbone_trainable) for p in plan_phases(load_spec(tiny_spec))] == [(0, 2, True)]
    tiny_spec["training"]["epochs"] = 5
    tiny_spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 2,
                                       "fine_tune_learning_rate_factor": 0.1}
    phases = plan_phases(load_spec(tiny_spec))
    assert [(p.start, p.end, p.backbone_trainable, p.learning_rate_factor) for p in phases] == [
        (0, 2, False, 1.0), (2, 5, True, 0.1)]


def _class_weight(spec, labels, class_names):
    task = registry.tasks.get(spec.task).build(spec)
    examples = Examples(np.zeros((len(labels), 8, 8, 1), "uint8"), np.array(labels), class_names)
    task.prepare(examples, examples)
    return task.class_weight(examples)


def test_balanced_class_weights_favour_the_rare_class(tiny_spec):
    tiny_spec["training"]["class_weight"] = "balanced"
    weights = _class_weight(load_spec(tiny_spec), [0, 0, 0, 1], ["a", "b", "c"])
    assert weights[1] == pytest.approx(2.0) and weights[0] == pytest.approx(2 / 3) and weights[2] == 1.0
    tiny_spec["training"]["class_weight"] = {0: 1.0, 1: 5.0}
    assert _class_weight(load_spec(tiny_spec), [0, 1], ["a", "b"]) == {0: 1.0, 1: 5.0}


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


@pytest.mark.slow
def test_resume_skips_the_phases_that_finished(tiny_spec, tmp_path):
    """A finished phase is loaded from its weights, not trained again; phases.json is the old format."""
    import json

    from models.backbones import build_backbone
    from pipelines.runner import prepare_data
    from pipelines.training import train

    tiny_spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    tiny_spec["training"]["callbacks"] = []
    tiny_spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 1}
    spec = load_spec(tiny_spec)
    prepared = prepare_data(spec)
    datasets, task = prepared.datasets, prepared.task

    def fit(resuming):
        backbone = build_backbone(spec.model.backbone, task.backbone_input_shape(datasets.model_input_shape))
        model = task.build_model(backbone, datasets.model_input_shape)
        return model, train(spec, task, model, backbone, datasets, tmp_path, callbacks=[], resuming=resuming)

    _, history = fit(resuming=False)
    assert len(history["loss"]) == 2
    assert json.loads((tmp_path / "phases.json").read_text()) == {"done": [0, 1]}
    (tmp_path / "phases.json").write_text(json.dumps({"done": [0]}))  # killed during the second phase
    (tmp_path / "phase1.weights.h5").unlink()
    _, history = fit(resuming=True)
    assert len(history["loss"]) == 1  # only the fine-tuning epoch ran again
    assert json.loads((tmp_path / "phases.json").read_text()) == {"done": [0, 1]}
