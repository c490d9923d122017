"""benchmarks/scale.py on tiny data: both data sets are generated, measured and recorded."""

import json

import pytest

import benchmarks.common
import benchmarks.scale as scale

pytestmark = pytest.mark.slow  # about 6 s: two prepare_data calls


def test_scale_records_both_figures_with_their_phases(tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(benchmarks.common, "RESULTS", tmp_path / "results.json")
    scale.main(images=100, rows=300, repeats=1)
    pngs = sorted((tmp_path / "cache" / "images-100").rglob("*.png"))
    assert len(pngs) == 100
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["scale_images"]["size"] == 100 and results["scale_csv"]["size"] == 300
    for entry in results.values():
        assert entry["value"] > 0 and entry["baseline"] > 0
        assert {"data_s", "input_pipeline_s", "fingerprint_s"} <= set(entry)
    written = pngs[0].stat().st_mtime_ns
    scale.main(images=100, rows=0, repeats=1)
    assert pngs[0].stat().st_mtime_ns == written  # the folder is reused, not written again
