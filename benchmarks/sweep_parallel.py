"""sweep_parallel: wall time of a 4-trial `kpipe sweep --workers 2` against `--workers 1`.

The spec is the benchmarks' digits spec cut to one short epoch (export off, no
model logged), written to a scratch folder; the grid is four head dropouts.
Each sweep is a fresh `kpipe sweep` process in its own scratch folder (its own
MLflow store). `--workers 1` runs the trials one after another in that process;
`--workers 2` runs two at a time, each trial in a fresh spawned process (which
imports TensorFlow again). The ratio is the speed-up: workers-1 wall time over
workers-2 wall time (> 1: the parallel sweep finished sooner). On 2 shared cores
expect little: the trials compete for the same cores, and with trials this short
a fresh process's start (TensorFlow imported again) outweighs the trial itself.

    python -m benchmarks.sweep_parallel
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.common import REPO, bench_spec, record

GRID = "model.head.dropout=0.1,0.2,0.3,0.4"
STEPS = 8


def tiny_spec() -> dict:
    """The bench digits spec, one epoch of STEPS steps, no export, no logged model."""
    spec = bench_spec(epochs=1)
    spec["name"] = "sweep-bench"
    spec["training"]["steps_per_epoch"] = STEPS
    return spec


def sweep_wall(workers: int) -> float:
    """Seconds a fresh `kpipe sweep --workers N` process takes over the four trials, in a scratch folder."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(yaml.safe_dump(tiny_spec()))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "sweep", str(path), "--grid", GRID,
                               "--workers", str(workers)], cwd=folder, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    finished = done.stderr.count("-> FINISHED")
    if done.returncode != 0 or finished != 4:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise RuntimeError(f"kpipe sweep --workers {workers}: exit {done.returncode}, {finished} of 4 trials finished")
    return seconds


def main() -> dict:
    one = sweep_wall(1)
    two = sweep_wall(2)
    print(f"4-trial sweep: --workers 1 {one:.1f} s, --workers 2 {two:.1f} s, {os.cpu_count()} cores", flush=True)
    return record("sweep_parallel", value=two, baseline=one, unit="s", ratio=one / two,
                  measures="4-trial kpipe sweep wall time, --workers 2 vs --workers 1 (ratio = speed-up)",
                  trials=4, steps_per_trial=STEPS, target="reported")


if __name__ == "__main__":
    main()
