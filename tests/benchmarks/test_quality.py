"""benchmarks/quality.py without training: the goal, the table line, the cases' sources and the pixel baselines."""

import json

import numpy as np
import pytest

import benchmarks.quality as quality
from data.synthetic.photo_patches import write_photo_patches
from pipelines.spec_loading import load_spec, read_yaml


@pytest.mark.parametrize("accuracy, f1, best, expected", [
    (0.80, 0.60, 0.85, (True, True)),    # 5 points over the majority, 5 under the best baseline: both edges count
    (0.79, 0.60, 0.80, (False, False)),  # not clearly above the majority class
    (0.90, 0.20, 0.85, (False, False)),  # macro-F1 no better than always answering the majority class
    (0.90, 0.80, 0.96, (True, False)),   # clearly above the majority, more than 5 points under the best baseline
])
def test_goal(accuracy, f1, best, expected):
    found = quality.goal(accuracy, f1, majority=0.75, majority_f1=0.2, baselines={"linear": 0.7, "tree": best})
    assert found["best_baseline"] == best
    assert (found["beats_majority"], found["within_goal"]) == expected


def test_row_line_says_what_missed():
    row = {"case": "wine", "spec": "customers.yaml", "seed": 42, "accuracy": 0.9259, "f1_macro": 0.927,
           "majority": 0.4074, "baselines": {"linear": 1.0, "tree": 1.0}, "baseline_f1_macro": {},
           "within_goal": False, "seconds": 5.4}
    line = quality.format_row(row)
    assert "accuracy 0.9259 (F1 0.9270)" in line and "linear 1.0000  tree 1.0000" in line and "MISSED goal" in line


def test_every_case_is_a_shipped_classification_spec():
    for case in quality.CASES.values():
        assert read_yaml(quality.SPECS / case.spec)["task"].endswith("classification")


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "iris"])
def test_table_cases_change_only_the_source(tmp_path, name):
    case = quality.CASES[name]
    source = case.source(tmp_path)
    shipped = load_spec(quality.SPECS / case.spec)
    spec = load_spec(quality.SPECS / case.spec, [f"data.source={json.dumps(source)}"])
    assert spec.data.source.target_column == "target" and spec.data.source.column_types is None
    assert spec.model_dump(exclude={"data": {"source"}}) == shipped.model_dump(exclude={"data": {"source"}})


def test_baselines_the_runs_log_are_read_from_their_metrics():
    metrics = {"test_tfidf_baseline_accuracy": 0.8, "test_tfidf_baseline_f1_macro": 0.6,
               "test_linear_baseline_accuracy": 0.9, "test_tree_baseline_accuracy": 0.95}
    assert quality.run_baselines("text_classification", metrics, None, []) == ({"tfidf": 0.8}, {"tfidf": 0.6})
    assert quality.run_baselines("tabular_classification", metrics, None, []) == (
        {"linear": 0.9, "tree": 0.95}, {})
    with pytest.raises(ValueError, match="no scikit-learn baseline"):
        quality.run_baselines("token_classification", metrics, None, [])


def test_pixel_baselines_fit_on_the_runs_split(tmp_path):
    write_photo_patches(str(tmp_path), count=10, size=8, seed=0)
    source = {"type": "image_folder", "path": str(tmp_path), "image_size": [8, 8]}
    accuracy, f1 = quality.pixel_baselines(quality.SPECS / "digits.yaml", [f"data.source={json.dumps(source)}"])
    assert set(accuracy) == set(f1) == {"linear", "tree"}
    test_size = 8  # 10% of 80 patches, stratified: one per class
    assert all(value * test_size == pytest.approx(round(value * test_size)) for value in accuracy.values())
    assert all(0 <= value <= 1 for value in [*accuracy.values(), *f1.values()])


def test_pixels_flattens_decoded_images_to_unit_range():
    from data.examples import Examples

    examples = Examples(np.full((2, 4, 4, 3), 255, "uint8"), np.array([0, 1]), ["a", "b"])
    found = quality.pixels(examples)
    assert found.shape == (2, 48) and found.dtype == np.float32 and found.max() == 1.0
