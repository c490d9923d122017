"""benchmarks/accel.py on the CPU, tiny sizes: the specs validate, the pipeline and the script train models of the
same size, text is refused on JAX with the reason, and the smoke plan covers both switches."""

import math

import pytest

import benchmarks.accel as accel
from pipelines.spec_loading import load_spec

SMOKE = accel.SIZES["smoke"]


def test_specs_validate_and_text_on_jax_is_refused_naming_the_task(tmp_path):
    for case in ("image", "text"):
        spec = accel.pipeline_spec(case, SMOKE, tmp_path, "tensorflow", "mixed_float16", True, 3)
        assert accel.pipeline_refusal(spec) == ""
        assert load_spec(spec).training.jit_compile is True
    assert accel.pipeline_refusal(accel.pipeline_spec("image", SMOKE, tmp_path, "jax", "float32", False, 3)) == ""
    refused = accel.pipeline_refusal(accel.pipeline_spec("text", SMOKE, tmp_path, "jax", "float32", True, 3))
    assert "task text_classification does not run on the jax backend" in refused


def test_smoke_plan_covers_precision_and_xla_on_and_off():
    assert accel.variants("image", ["float32", "mixed_float16"], smoke=False) == [
        ("float32", False), ("float32", True), ("mixed_float16", False), ("mixed_float16", True)]
    assert accel.variants("image", ["float32", "mixed_float16"], smoke=True) == [
        ("float32", False), ("mixed_float16", True)]


@pytest.mark.slow  # about 15 s: the hand-written script and the pipeline, a few steps each
def test_image_row_has_both_rates_and_equal_models(tmp_path, monkeypatch):
    monkeypatch.setattr(accel, "variants", lambda *args: [("float32", False)])
    accel.write_data(tmp_path, SMOKE)
    (row,) = accel.child("image", "tensorflow", "smoke", tmp_path, math.inf, ["float32"])
    assert row["handwritten_steps_s"] > 0 and row["pipeline_steps_s"] > 0 and row["ratio"] > 0
    assert row["pipeline_params"] == row["handwritten_params"]
