"""The spec contract: typed fields, key-path errors, suggestions, overrides, schema."""

import json
import re
import subprocess
import sys

import pytest

from pipelines.spec_errors import SpecError
from pipelines.spec_loading import apply_override, load_spec
from tests.helpers import DIGITS_SPEC


def problems(data):
    with pytest.raises(SpecError) as caught:
        load_spec(data)
    return {p.path: p.message for p in caught.value.problems}


def test_shipped_digits_spec_is_valid():
    spec = load_spec(DIGITS_SPEC)
    assert spec.task == "image_classification"
    assert spec.data.source.type == "sklearn"
    assert spec.version == 1


def test_three_mistakes_give_three_key_paths(tiny_spec):
    tiny_spec["training"]["optimizer"]["learning_rate"] = "fast"
    tiny_spec["data"]["batch_sise"] = 8
    tiny_spec["stages"][1] = {"rescale": {"scale": 0.1, "ofset": 1}}
    found = problems(tiny_spec)
    assert found == {
        "training.optimizer.learning_rate": 'expected a positive number, got "fast"',
        "data.batch_sise": found["data.batch_sise"],
        "stages.1.rescale.ofset": found["stages.1.rescale.ofset"],
    }
    assert "did you mean 'batch_size'" in found["data.batch_sise"]
    assert "did you mean 'offset'" in found["stages.1.rescale.ofset"]


def test_unknown_component_names_suggest_the_closest(tiny_spec):
    tiny_spec["training"]["callbacks"] = ["early_stoping"]
    tiny_spec["data"]["source"]["type"] = "sklern"
    found = problems(tiny_spec)
    assert "did you mean 'early_stopping'" in found["training.callbacks.0"]
    assert "did you mean 'sklearn'" in found["data.source"]


def test_bad_values_name_what_was_expected(tiny_spec):
    tiny_spec["data"]["split"] = {"validation": 0.6, "test": 0.5}
    tiny_spec["training"]["epochs"] = -1
    tiny_spec["export"]["gates"] = ["accuracy >> 1"]
    found = problems(tiny_spec)
    assert "validation + test" in found["data.split"]
    assert found["training.epochs"].startswith("expected auto or an integer in [1, 100000], got -1")
    assert "expected 'metric >= number'" in found["export.gates.0"]


def test_overrides_are_typed_by_the_schema(tiny_spec):
    spec = load_spec(tiny_spec, overrides=["training.epochs=5", "training.optimizer=sgd",
                                           "model.head.dropout=0.3", "stages.1.rescale.scale=0.5"])
    assert spec.training.epochs == 5
    assert spec.training.optimizer.name == "sgd"
    assert spec.model.head.dropout == 0.3
    with pytest.raises(SpecError, match="training.epochs"):
        load_spec(tiny_spec, overrides=["training.epochs=many"])


def test_override_without_equals_is_an_error():
    with pytest.raises(SpecError, match="key.path=value"):
        apply_override({}, "training.epochs")


def test_yaml_errors_name_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ndata: [unclosed\n")
    with pytest.raises(SpecError, match="line 3"):
        load_spec(path)


def test_frozen_backbone_must_unfreeze_before_the_end(tiny_spec):
    tiny_spec["model"]["trainable"] = {"backbone": False, "unfreeze_after_epoch": 5}
    assert "unfreeze_after_epoch" in str(problems(tiny_spec))


def run_cli(*args, cwd):
    code = ("import sys; from pipelines.cli import main; rc = main(sys.argv[1:]); "
            "assert 'tensorflow' not in sys.modules, 'imported tensorflow'; sys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True)


def test_validate_prints_every_problem_exits_2_and_writes_nothing(tmp_path):
    spec = tmp_path / "bad.yaml"
    text = re.sub(r"epochs: \d+", "epochs: twenty", DIGITS_SPEC.read_text())
    spec.write_text(re.sub(r"batch_size: (\d+)", r"batchsize: \1", text).replace("name: adam", "name: adamm"))
    result = run_cli("validate", str(spec), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "3 problems" in result.stderr
    for path in ("training.epochs", "data.batchsize", "training.optimizer"):
        assert path in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_validate_accepts_the_digits_spec_without_importing_tensorflow(tmp_path):
    result = run_cli("validate", str(DIGITS_SPEC), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_schema_is_json_schema_of_every_section(tmp_path):
    result = run_cli("schema", cwd=tmp_path)
    schema = json.loads(result.stdout)
    branches = {ref["$ref"].split("/")[-1] for ref in schema["oneOf"]}
    assert {"ImageClassificationSpec", "TabularRegressionSpec"} <= branches  # one branch per task
    regression = schema["$defs"]["TabularRegressionSpec"]
    assert set(regression["properties"]) >= {"version", "name", "task", "data", "stages", "model", "training",
                                             "tracking", "export"}
    head = schema["$defs"][schema["$defs"]["TabularRegressionModelSpec"]["properties"]["head"]["$ref"].split("/")[-1]]
    assert "standardize_target" in head["properties"] and "label_smoothing" not in head["properties"]
    assert "ResizeStage" in schema["$defs"]
    assert schema["$defs"]["AdamOptimizer"]["additionalProperties"] is False


def test_components_lists_every_registry(tmp_path):
    result = run_cli("components", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("sklearn", "resize", "augment", "builtin.cnn", "keras_hub", "image_classification",
                 "adamw", "cosine", "backup_and_restore", "rand_augment"):
        assert name in result.stdout


def test_a_fields_own_bound_applies_to_positive_ints(tiny_spec):
    tiny_spec["export"]["warmup_samples"] = 500
    tiny_spec["data"]["batch_size"] = 2**40
    with pytest.raises(SpecError) as error:
        load_spec(tiny_spec)
    rendered = error.value.render()
    assert "export.warmup_samples: expected a number <= 100, got 500" in rendered
    assert "data.batch_size: expected a number <= 65536" in rendered
