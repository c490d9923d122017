"""`model.backbone: {from_run: ...}` / `{from_model: ...}`: a backbone taken from an earlier run, frozen or not.

The earlier run is a tiny digits run made here (one epoch, logged model and export on), in one
folder that the slow tests share; nothing leaves it and nothing touches the network.
"""

import copy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from mlflow import MlflowClient

from pipelines import tags as tag
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import TINY

SHAPE = (8, 8, 1)  # digits


def spec_from(backbone: dict, name: str, **changes) -> dict:
    """A one-epoch tiny spec named `name` whose backbone is `backbone`; no export, no logged model."""
    spec = copy.deepcopy(TINY)
    spec.update(name=name, stages=[{"rescale": {"scale": 1 / 255}}], export={"enabled": False},
                tracking={"log_model": False})
    spec["training"].update(epochs=1, callbacks=[])
    spec["model"]["backbone"] = backbone
    for key, value in changes.items():
        spec[key] = value
    return spec


def backbone_weights(model) -> dict[str, list[np.ndarray]]:
    return {layer.name: layer.get_weights() for layer in model.get_layer("backbone").layers if layer.weights}


# --- the spec -------------------------------------------------------------------------------------

@pytest.mark.parametrize("backbone, problem", [
    ({"from_run": "abc", "from_model": "models:/x/1"}, "model.backbone: give one of from_run"),
    ({"layer": "backbone"}, "model.backbone: expected a backbone that names one of"),
    ({"from_run": "abc", "frezee": True}, "model.backbone.frezee: unknown key; did you mean 'freeze'?"),
    ({"from_run": "abc", "source": "builtin"}, "model.backbone.source: unknown key"),
    ({"from_model": "digits@champion"}, "model.backbone.from_model: expected models:/<name>@<alias> or"),
    ({"from_run": "abc", "freeze": 0}, "model.backbone.freeze: expected true, false, a count"),
    ({"from_run": "abc", "freeze": "all"}, "model.backbone.freeze: expected true, false, a count"),
])
def test_the_spec_rejects_what_it_cannot_take(backbone, problem):
    with pytest.raises(SpecError) as error:
        load_spec(spec_from(backbone, "x"))
    assert any(str(p).startswith(problem) for p in error.value.problems), error.value.render()


def test_a_backbone_frozen_whole_cannot_be_unfrozen():
    spec = spec_from({"from_run": "abc", "freeze": True}, "x")
    spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 1}
    spec["training"]["epochs"] = 2
    with pytest.raises(SpecError, match="model: trainable.unfreeze_after_epoch has nothing to unfreeze"):
        load_spec(spec)


def test_the_spec_takes_a_run_or_a_model_with_freeze_options():
    for freeze in (True, False, 2, ["stage0_conv0"]):
        backbone = load_spec(spec_from({"from_run": "abc", "freeze": freeze}, "x")).model.backbone
        assert (backbone.from_run, backbone.layer, backbone.freeze) == ("abc", "backbone", freeze)
    backbone = load_spec(spec_from({"from_model": "models:/digits@champion", "layer": None}, "x")).model.backbone
    assert (backbone.from_model, backbone.from_run, backbone.layer) == ("models:/digits@champion", None, None)


def test_freeze_marks_layers_that_unfreezing_leaves_frozen():
    from models.backbones import set_trainable
    from models.backbones.cnn import CnnOptions, cnn
    from models.backbones.from_run import freeze

    backbone = cnn(CnnOptions(filters=[4], blocks_per_stage=2), input_shape=SHAPE)
    freeze(backbone, 2)  # the first two layers after the input: stage0_conv0, stage0_bn0
    set_trainable(backbone, False)
    assert not backbone.trainable_weights
    set_trainable(backbone, True)
    trainable = {layer.name for layer in backbone.layers if layer.trainable and layer.weights}
    assert trainable == {"stage0_conv1", "stage0_bn1"}
    with pytest.raises(ValueError, match="has no layer 'stage0_cnv1'; did you mean 'stage0_conv1'"):
        freeze(backbone, ["stage0_cnv1"])
    with pytest.raises(ValueError, match="freeze: 99 layers, but 'backbone' has 7"):
        freeze(backbone, 99)


# --- runs -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """One finished tiny run with a logged Keras model and an export, in a folder of its own."""
    from pipelines.runner import run
    from pipelines.tracking_uri import default_tracking_uri

    root = tmp_path_factory.mktemp("earlier")
    spec = spec_from({"source": "builtin", "name": "cnn", "config": {"filters": [8], "blocks_per_stage": 1}},
                     "tiny", export=TINY["export"], tracking={"log_model": True})
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        result = run(spec)
        uri = default_tracking_uri()
    return SimpleNamespace(root=root, uri=uri, run_id=result.run_id, weights=backbone_weights(result.model))


@pytest.fixture
def there(earlier, monkeypatch):
    """Work in the earlier run's folder, so the default store is the one it was tracked in."""
    monkeypatch.chdir(earlier.root)
    return MlflowClient(earlier.uri)


@pytest.mark.slow
def test_a_frozen_backbone_from_a_run_keeps_its_weights(earlier, there):
    from pipelines.runner import run

    result = run(spec_from({"from_run": earlier.run_id, "freeze": True}, "frozen"))
    assert {k: [w.tolist() for w in v] for k, v in backbone_weights(result.model).items()} == \
        {k: [w.tolist() for w in v] for k, v in earlier.weights.items()}
    record = there.get_run(result.run_id)
    assert record.info.status == "FINISHED"
    assert record.data.tags[tag.SOURCE_RUN_ID] == earlier.run_id and tag.SOURCE_MODEL not in record.data.tags
    assert record.data.params["model.backbone.from_run"] == earlier.run_id
    assert record.data.params["model.backbone.tracking_uri"] == earlier.uri


@pytest.mark.slow
def test_layers_left_unfrozen_train_also_after_unfreezing(earlier, there):
    """freeze names stage0_conv0; the backbone is frozen one epoch, then unfrozen: only the batch norm trains."""
    from pipelines.runner import run

    spec = spec_from({"from_run": earlier.run_id, "freeze": ["stage0_conv0"]}, "partly-frozen")
    spec["training"]["epochs"] = 2
    spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 1}
    weights = backbone_weights(run(spec).model)
    assert all(np.array_equal(a, b) for a, b in zip(weights["stage0_conv0"], earlier.weights["stage0_conv0"]))
    gamma, beta = weights["stage0_bn0"][:2]
    assert not (np.array_equal(gamma, earlier.weights["stage0_bn0"][0])
                and np.array_equal(beta, earlier.weights["stage0_bn0"][1]))


@pytest.mark.slow
def test_a_promoted_model_gives_its_runs_backbone_pinned_to_its_version(earlier, there):
    from pipelines.cli import main
    from pipelines.runner import run

    assert main(["promote", "--run", earlier.run_id]) == 0  # registers the run's servable (not Keras) as tiny/1
    result = run(spec_from({"from_model": "models:/tiny@champion"}, "from-model"))
    record = there.get_run(result.run_id)
    assert record.data.tags[tag.SOURCE_MODEL] == "models:/tiny/1"
    assert record.data.tags[tag.SOURCE_RUN_ID] == earlier.run_id
    assert record.data.params["model.backbone.from_model"] == "models:/tiny/1"
    (earlier.root / "from-model").mkdir()
    logged = yaml.safe_load(Path(there.download_artifacts(result.run_id, "spec.yaml", str(earlier.root / "from-model")))
                            .read_text())
    assert logged["model"]["backbone"]["from_model"] == "models:/tiny/1"
    assert not all(np.array_equal(a, b) for a, b in zip(backbone_weights(result.model)["stage0_conv0"],
                                                        earlier.weights["stage0_conv0"]))  # not frozen: trained


@pytest.mark.slow
def test_a_registered_keras_model_is_taken_itself(earlier, there):
    from models.backbones.from_run import FromRunOptions, resolve_source

    logged = next(m for m in there.search_logged_models([there.get_run(earlier.run_id).info.experiment_id])
                  if m.name == "model" and m.source_run_id == earlier.run_id)
    there.create_registered_model("tiny-keras")
    there.create_model_version("tiny-keras", source=logged.model_uri, run_id=earlier.run_id, model_id=logged.model_id)
    there.set_registered_model_alias("tiny-keras", "base", "1")
    source = resolve_source(FromRunOptions(from_model="models:/tiny-keras@base", tracking_uri=earlier.uri))
    assert (source.model, source.run_id, source.artifact_uri) == ("models:/tiny-keras/1", earlier.run_id,
                                                                  logged.artifact_location)


@pytest.mark.slow
def test_missing_sources_fail_before_the_run_naming_the_key(earlier, there, capsys):
    from pipelines.cli import main
    from pipelines.runner import run

    (earlier.root / "missing.yaml").write_text(yaml.safe_dump(spec_from({"from_run": "0123abc"}, "missing")))
    assert main(["run", str(earlier.root / "missing.yaml")]) == 2
    assert "model.backbone.from_run: no run '0123abc' in sqlite:" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"from_model: models:/nope@champion is not in the registry"):
        run(spec_from({"from_model": "models:/nope@champion"}, "missing"))
    bare = there.create_run(there.get_run(earlier.run_id).info.experiment_id).info.run_id  # logged no model
    with pytest.raises(ValueError, match=f"run {bare} logged no Keras model .*tracking.log_model: true"):
        run(spec_from({"from_run": bare}, "missing"))
    assert there.get_experiment_by_name("missing") is None  # no run was started


@pytest.mark.slow
def test_a_shape_or_layer_that_does_not_fit_fails_the_run_naming_both(earlier, there):
    from models.backbones import build_backbone
    from pipelines.runner import run

    spec = spec_from({"from_run": earlier.run_id}, "resized", stages=[{"resize": {"height": 16, "width": 16}}])
    with pytest.raises(ValueError) as error:
        run(spec)
    message = str(error.value)
    assert f"layer 'backbone' of run {earlier.run_id} takes inputs of shape (8, 8, 1)" in message
    assert "this spec feeds it (16, 16, 1)" in message
    failed = there.search_runs([there.get_experiment_by_name("resized").experiment_id])[0]
    assert failed.info.status == "FAILED" and failed.data.tags[tag.SOURCE_RUN_ID] == earlier.run_id
    wrong_layer = load_spec(spec_from({"from_run": earlier.run_id, "layer": "backbon"}, "x")).model.backbone
    with pytest.raises(ValueError, match="has no layer 'backbon'; did you mean 'backbone'"):
        build_backbone(wrong_layer, SHAPE)
    whole = load_spec(spec_from({"from_run": earlier.run_id, "layer": None}, "x")).model.backbone
    assert build_backbone(whole, SHAPE).output.shape == (None, 10)  # the whole classifier
