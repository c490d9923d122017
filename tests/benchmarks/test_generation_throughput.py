"""benchmarks/generation_throughput.py on a few short prompts: it records the export's and keras-hub's tokens/s."""

import json

import pytest

import benchmarks.common
import benchmarks.generation_throughput as generation_throughput

pytestmark = pytest.mark.slow


def test_generation_throughput_records_both_figures(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmarks.common, "RESULTS", tmp_path / "results.json")
    generation_throughput.main(prompts=2, max_new_tokens=4, repeats=1)
    entry = json.loads((tmp_path / "results.json").read_text())["generation_throughput"]
    assert entry["value"] > 0 and entry["baseline"] > 0 and entry["keras_same_loop"] > 0
    assert entry["unit"] == "tokens/s" and entry["max_new_tokens"] == 4
