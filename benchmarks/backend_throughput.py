"""backend_throughput: training steps/s of the same shipped spec on JAX against TensorFlow.

Each backend runs in its own process (Keras keeps the backend it was first
imported with): `python -m benchmarks.backend_throughput --child SPEC BACKEND`
runs `pipelines.run` on the shipped spec with `training.backend` set, the same
model, data and batch size, callbacks, tracking and export off, and reports
steady-state steps/s: the fastest epoch after the first (which compiles), and
the mean of those epochs as `mean_ratio`. The ratio is JAX steps/s over
TensorFlow steps/s (> 1: JAX trains faster on this machine).

Specs: digits (image_classification, built-in CNN) and demand (forecasting,
TCN; 30 steps per epoch). sentiment (text_classification) is refused on JAX
by spec validation; its message is printed instead of a number.

    python -m benchmarks.backend_throughput
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks.common import REPO, record

CASES = {  # spec -> training overrides (epochs include the first, unmeasured one)
    "digits": {"epochs": 6},
    "demand": {"epochs": 4, "steps_per_epoch": 30},
}
REFUSED = ["sentiment"]
BACKENDS = ("tensorflow", "jax")
MARK = "BACKEND_THROUGHPUT "


def shipped(name: str, backend: str) -> dict:
    """The shipped spec `name` on `backend`, data paths absolute, for timing only (no tracking, export, callbacks)."""
    import yaml

    spec = yaml.safe_load((REPO / "pipelines" / "specs" / f"{name}.yaml").read_text())
    source = spec["data"]["source"]
    if "path" in source:
        source["path"] = str(REPO / source["path"])
    spec["training"].update(backend=backend, verbose=0, callbacks=[], **CASES.get(name, {}))
    spec["tracking"] = {"enabled": False}
    spec["export"] = {"enabled": False}
    return spec


def epoch_timer():
    """A Keras callback keeping (steps, seconds) of every epoch after the first (which compiles)."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.begin, self.count, self.last = time.perf_counter(), 0, None

        def on_train_batch_end(self, batch, logs=None):
            self.count, self.last = self.count + 1, time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch >= 1 and self.last is not None:
                self.epochs.append((self.count, self.last - self.begin))

    return EpochTimer()


def child(name: str, backend: str) -> None:
    """In a process whose KERAS_BACKEND is `backend`: train `name`, print one result line.

    `steps_s` is the fastest measured epoch's rate (the other processes on a shared machine slow
    some epochs down; the fastest is the least disturbed), `mean_steps_s` all measured epochs'.
    """
    import keras

    from pipelines.runner import run

    timer = epoch_timer()
    spec = shipped(name, backend)
    result = run(spec, callbacks=[timer])
    steps, seconds = sum(n for n, _ in timer.epochs), sum(s for _, s in timer.epochs)
    print(MARK + json.dumps({"steps_s": max(n / s for n, s in timer.epochs), "mean_steps_s": steps / seconds,
                             "steps": steps, "batch_size": spec["data"]["batch_size"],
                             "jit_compile": bool(result.model.jit_compile), "backend": keras.backend.backend()}),
          flush=True)


def measure(name: str, backend: str) -> dict:
    """Steps/s of `name` on `backend`, in a fresh process in a scratch folder."""
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-m", "benchmarks.backend_throughput", "--child", name, backend],
                              cwd=folder, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{name} on {backend} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len(MARK):])
    if result["backend"] != backend:
        raise RuntimeError(f"{name}: asked for {backend}, trained on {result['backend']}")
    return result


def refusal(name: str) -> str:
    """The validation message that refuses shipped spec `name` on JAX ('' if it validates)."""
    from pipelines.spec_errors import SpecError
    from pipelines.spec_loading import load_spec

    try:
        load_spec(shipped(name, "jax"))
    except SpecError as error:
        return str(error)
    return ""


def main(cases: dict = CASES, refused: list = REFUSED) -> dict:
    entries = {}
    for name in cases:
        started = time.perf_counter()
        rates = {backend: measure(name, backend) for backend in BACKENDS}
        tf, jax = rates["tensorflow"], rates["jax"]
        entries[name] = record(
            f"backend_throughput_{name}", value=jax["steps_s"], baseline=tf["steps_s"], unit="steps/s",
            measures=f"{name}.yaml training steps/s, jax vs tensorflow, own processes, first epoch excluded",
            batch_size=tf["batch_size"], steps_measured=min(tf["steps"], jax["steps"]),
            mean_ratio=jax["mean_steps_s"] / tf["mean_steps_s"],
            jit_compile=f"tensorflow {tf['jit_compile']}, jax {jax['jit_compile']}",
            wall_s=time.perf_counter() - started)
    for name in refused:
        message = refusal(name)
        print(f"backend_throughput_{name}: no JAX figure, the spec is refused on JAX:\n  {message}"
              if message else f"backend_throughput_{name}: validates on JAX now; add it to CASES", flush=True)
    return entries


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("SPEC", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
    else:
        main()
