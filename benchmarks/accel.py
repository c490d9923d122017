"""accel: the pipeline against a hand-written Keras script on the same accelerator, both backends.

Two cases, each trained by `pipelines.run` and by a hand-written tf.data +
`model.fit` script of the same model, data, batch size and optimizer, and
measured in training steps/s after the first epoch (compilation):

- image: a keras-hub ResNetBackbone from config (no preset download) + average
  pooling + softmax, on generated uint8 images (a `numpy` source); once per
  `training.mixed_precision` (float32, mixed_float16) x `training.jit_compile`
  (XLA off, on);
- text: a keras-hub BertBackbone from config + the first token's vector +
  softmax, on generated sentences (a `csv` source, WordPiece trained on the
  training split; the script uses keras-hub's WordPieceTokenizer and
  StartEndPacker). The pipeline refuses text_classification on JAX (its
  tokenizer layer holds strings); that row records the refusal and the
  script's JAX figure alone.

Each (case, backend) runs in its own process (Keras keeps its first backend);
in a JAX process TensorFlow, which only feeds tf.data, is kept off the GPU so
that JAX has its memory. The script's and the pipeline's runs alternate in that
process. `benchmarks/accel_results.json` gets the device, the absolute steps/s
of both, their ratio (pipeline / script) and the parameter counts (equal for
images; for text they differ by the embedding rows of the vocabularies, the
pipeline's WordPiece stage and keras-hub's compute_word_piece_vocabulary not
finding quite the same number of pieces). A time budget (`--budget`, 450 s) skips what would
not fit, marking it skipped (each process gets an equal share of the time
left, and starts no variant after it), so that the whole script stays under 8
minutes.

On a machine with no GPU or TPU it says so, runs the same code paths on tiny
sizes on the CPU (two of the four image variants), prints the rows and exits 0
without touching accel_results.json.

Needs TensorFlow (tf.data and the pipeline) next to JAX with the accelerator's
runtime, e.g. on a CUDA 12 machine:
    pip install -e ".[dev]" "tensorflow[and-cuda]" "jax[cuda12]"
    python -m benchmarks.accel                   (or: make bench-accel)
On a TPU VM, JAX only (tf.distribute TPUs need strategy: tpu, which the script does not mirror):
    python -m benchmarks.accel --backends jax --precisions float32 mixed_bfloat16
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, step_timer

RESULTS = Path(__file__).resolve().parent / "accel_results.json"
MARK = "ACCEL_ROWS "
BACKENDS = ("tensorflow", "jax")
PRECISIONS = ("float32", "mixed_float16")
BUDGET_S = 450

SIZES = {
    "accelerator": {
        "image": {"count": 8192, "side": 64, "classes": 10, "batch_size": 256, "steps": 40, "eager_jax_steps": 8,
                  "resnet": {"input_conv_filters": [64], "input_conv_kernel_sizes": [7],
                             "stackwise_num_filters": [64, 128, 256], "stackwise_num_blocks": [2, 2, 2],
                             "stackwise_num_strides": [1, 2, 2], "block_type": "basic_block"}},
        "text": {"count": 8192, "words": 40, "vocabulary_size": 2000, "sequence_length": 128, "batch_size": 64,
                 "steps": 40, "eager_jax_steps": 8,
                 "bert": {"num_layers": 2, "num_heads": 4, "hidden_dim": 128, "intermediate_dim": 512}},
    },
    "smoke": {
        "image": {"count": 192, "side": 16, "classes": 4, "batch_size": 16, "steps": 3, "eager_jax_steps": 2,
                  "resnet": {"input_conv_filters": [64], "input_conv_kernel_sizes": [3], "stackwise_num_filters": [64],
                             "stackwise_num_blocks": [1], "stackwise_num_strides": [1],
                             "block_type": "basic_block"}},
        "text": {"count": 192, "words": 8, "vocabulary_size": 120, "sequence_length": 16, "batch_size": 16,
                 "steps": 3, "eager_jax_steps": 2,
                 "bert": {"num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32}},
    },
}
EPOCHS = 3  # the first compiles and is not measured
SEED = 0


# Data (numpy only: the parent writes it once for every child) ------------------------------------

def write_data(folder: Path, sizes: dict) -> None:
    """`images.npz` (uint8 images, labels) and `texts.csv` (text, label) in `folder`, from a fixed seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(SEED)
    image = sizes["image"]
    labels = rng.integers(0, image["classes"], image["count"])
    images = rng.integers(0, 256, (image["count"], image["side"], image["side"], 3), dtype=np.uint8)
    images[..., 0] = (images[..., 0] // 2 + labels[:, None, None] * (128 // image["classes"])).astype(np.uint8)
    np.savez(folder / "images.npz", x=images, y=labels)
    text = sizes["text"]
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lexicon = ["".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(text["vocabulary_size"])]
    rows = []
    for _ in range(text["count"]):
        label = int(rng.integers(0, 2))
        half = len(lexicon) // 2
        ids = rng.integers(label * half, (label + 1) * half, rng.integers(text["words"] // 2, text["words"] + 1))
        rows.append({"text": " ".join(lexicon[i] for i in ids), "label": ["negative", "positive"][label]})
    pd.DataFrame(rows).to_csv(folder / "texts.csv", index=False)


# The pipeline's side ------------------------------------------------------------------------------

def pipeline_spec(case: str, sizes: dict, data: Path, backend: str, precision: str, jit: bool, steps: int) -> dict:
    """The spec of one case and variant: tracking on (no logged model), export off, `steps` steps per epoch."""
    size = sizes[case]
    common = {
        "version": 1, "name": f"accel-{case}", "seed": SEED,
        "training": {"epochs": EPOCHS, "steps_per_epoch": steps, "backend": backend, "mixed_precision": precision,
                     "jit_compile": jit, "optimizer": {"name": "adam", "learning_rate": 1.0e-3}, "verbose": 0,
                     "metrics": ["accuracy"], "callbacks": []},
        "tracking": {"experiment": "accel", "log_model": False},
        "export": {"enabled": False},
    }
    if case == "image":
        return {**common, "task": "image_classification",
                "data": {"source": {"type": "numpy", "path": str(data / "images.npz")},
                         "split": {"validation": 0.05, "test": 0.05}, "batch_size": size["batch_size"],
                         "cache": True},
                "stages": [{"rescale": {"scale": 1 / 255}}],
                "model": {"backbone": {"source": "keras_hub", "name": "ResNetBackbone", "config": size["resnet"]},
                          "head": {"pooling": "avg", "dropout": 0.0}}}
    return {**common, "task": "text_classification",
            "data": {"source": {"type": "csv", "path": str(data / "texts.csv"), "text_column": "text",
                                "label_column": "label"},
                     "split": {"validation": 0.05, "test": 0.05}, "batch_size": size["batch_size"]},
            "stages": [{"tokenize": {"tokenizer": "word_piece", "lowercase": True,
                                     "vocabulary_size": size["vocabulary_size"],
                                     "sequence_length": size["sequence_length"]}}],
            "model": {"backbone": {"source": "keras_hub", "name": "BertBackbone", "config": size["bert"]},
                      "head": {"pooling": "cls", "dropout": 0.0}}}


def pipeline_refusal(spec: dict) -> str:
    """The validation message refusing `spec` ('' when it validates)."""
    from pipelines.spec_errors import SpecError
    from pipelines.spec_loading import load_spec

    try:
        load_spec(spec)
    except SpecError as error:
        return str(error)
    return ""


def pipeline_rate(spec: dict) -> tuple[float, int]:
    """(steps/s, parameters) of `pipelines.run(spec)`, in a scratch folder (its mlruns/ and .kpipe/)."""
    from pipelines.runner import run

    timer = step_timer()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            result = run(spec, callbacks=[timer])
        finally:
            os.chdir(cwd)
    return timer.rate, int(result.model.count_params())


# One process per (case, backend) ------------------------------------------------------------------

def variants(case: str, precisions: list[str], smoke: bool) -> list[tuple[str, bool]]:
    """(mixed_precision, jit_compile) pairs to run: all four for images (two in a smoke run), XLA on for text."""
    if case == "text":
        return [(precisions[-1] if smoke else "float32", True)]
    pairs = [(precision, jit) for precision in precisions for jit in (False, True)]
    return [pairs[0], pairs[-1]] if smoke else pairs


def child(case: str, backend: str, mode: str, data: Path, deadline: float, precisions: list[str]) -> list[dict]:
    """Every variant of `case` on this process's backend: the script, then the pipeline, until `deadline`."""
    if backend == "jax":
        import tensorflow as tf

        tf.config.set_visible_devices([], "GPU")  # tf.data only: leave the GPU's memory to JAX
    import keras

    from benchmarks.accel_handwritten import handwritten_rate

    sizes = SIZES[mode]
    rows = []
    for precision, jit in variants(case, precisions, mode == "smoke"):
        steps = sizes[case]["steps"] if jit or backend == "tensorflow" else sizes[case]["eager_jax_steps"]
        row = {"case": case, "backend": keras.backend.backend(), "mixed_precision": precision, "jit_compile": jit,
               "batch_size": sizes[case]["batch_size"], "steps_measured": steps * (EPOCHS - 1)}
        rows.append(row)
        if time.time() > deadline:
            row["skipped"] = "time budget spent"
            continue
        row["handwritten_steps_s"], row["handwritten_params"] = handwritten_rate(case, sizes, data, precision, jit,
                                                                                 steps)
        spec = pipeline_spec(case, sizes, data, backend, precision, jit, steps)
        refused = pipeline_refusal(spec)
        if refused:
            row["pipeline_refused"] = refused
            continue
        row["pipeline_steps_s"], row["pipeline_params"] = pipeline_rate(spec)
        row["ratio"] = round(row["pipeline_steps_s"] / row["handwritten_steps_s"], 4)
    return rows


def run_child(case: str, backend: str, mode: str, data: Path, deadline: float, precisions: list[str]) -> list[dict]:
    """`child` in a fresh process on `backend`; a failure becomes a row saying so."""
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = [sys.executable, "-m", "benchmarks.accel", "--child", case, backend, "--mode", mode, "--data", str(data),
            "--deadline", str(deadline), "--precisions", *precisions]
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=data,
                              timeout=max(deadline - time.time(), 0) + 150)
    except subprocess.TimeoutExpired:
        return [{"case": case, "backend": backend, "failed": "timed out"}]
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        return [{"case": case, "backend": backend, "failed": f"exit {done.returncode}: {done.stderr[-1500:]}"}]
    return json.loads(lines[-1][len(MARK):])


# The parent ---------------------------------------------------------------------------------------

PROBE = """
import json, os
found = {}
try:
    import tensorflow as tf
    found["tensorflow"] = {"version": tf.__version__, "accelerators": [
        f"{d.device_type}:{d.name}" for kind in ("GPU", "TPU") for d in tf.config.list_physical_devices(kind)]}
except Exception as error:
    found["tensorflow"] = {"error": f"{type(error).__name__}: {error}"}
os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
try:
    import jax
    found["jax"] = {"version": jax.__version__, "accelerators": [
        f"{d.platform}:{getattr(d, 'device_kind', d.platform)}" for d in jax.devices() if d.platform != "cpu"]}
except Exception as error:
    found["jax"] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(found))
"""


def probe() -> dict:
    """What TensorFlow and JAX each see, from a fresh process (this one never holds the accelerator)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_rows(rows: list[dict]) -> None:
    print(f"  {'case':6s} {'backend':10s} {'precision':14s} {'xla':5s} {'pipeline':>10s} {'script':>10s} "
          f"{'ratio':>7s}  (steps/s)")
    for row in rows:
        if "failed" in row:
            print(f"  {row['case']:6s} {row['backend']:10s} FAILED: {row['failed'][-600:]}")
            continue
        pipeline = (f"{row['pipeline_steps_s']:10.2f}" if "pipeline_steps_s" in row
                    else f"{'refused' if 'pipeline_refused' in row else 'skipped':>10s}")
        script = f"{row['handwritten_steps_s']:10.2f}" if "handwritten_steps_s" in row else f"{'skipped':>10s}"
        ratio = f"{row['ratio']:7.3f}" if "ratio" in row else f"{'-':>7s}"
        print(f"  {row['case']:6s} {row['backend']:10s} {row['mixed_precision']:14s} {str(row['jit_compile']):5s} "
              f"{pipeline} {script} {ratio}")
    for row in rows:
        if "pipeline_refused" in row:
            print(f"  {row['case']} on {row['backend']}: the pipeline refuses it: "
                  f"{row['pipeline_refused'].splitlines()[-1].strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS),
                        choices=["float32", "mixed_float16", "mixed_bfloat16"])
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for the whole run (default 450)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes even on an accelerator")
    parser.add_argument("--output", type=Path, help=f"results file (default {RESULTS.name}; none for a smoke run)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "BACKEND"), help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="smoke", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        rows = child(*args.child, args.mode, args.data, args.deadline, args.precisions)
        print(MARK + json.dumps(rows), flush=True)
        return 0

    started = time.time()
    deadline = started + args.budget - 60  # a variant started before the deadline still has to finish
    found = probe()
    if "error" in found["tensorflow"]:
        print(f"accel: TensorFlow is not importable ({found['tensorflow']['error']}); the pipeline's tf.data and "
              f"the hand-written script both need it: pip install 'tensorflow[and-cuda]'", file=sys.stderr)
        return 2
    accelerators = sorted({*found["tensorflow"].get("accelerators", []), *found["jax"].get("accelerators", [])})
    smoke = args.smoke or not accelerators
    if not accelerators:
        print("accel: found no accelerator (no GPU or TPU for TensorFlow or JAX); a tiny CPU smoke run of the same "
              "code paths follows, and accel_results.json is left as it is", flush=True)
    mode = "smoke" if smoke else "accelerator"
    backends = [b for b in args.backends if "error" not in found.get(b, {})]
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        write_data(data, SIZES[mode])
        jobs = [(case, backend) for case in ("text", "image") for backend in backends]
        rows = []
        for index, (case, backend) in enumerate(jobs):  # each gets an equal share of the time left
            share = max(deadline - time.time(), 0) / (len(jobs) - index)
            rows += run_child(case, backend, mode, data, time.time() + share, args.precisions)
    report = {"mode": mode, "device": found, "accelerators": accelerators, "cores": os.cpu_count(),
              "wall_s": round(time.time() - started, 1), "sizes": SIZES[mode], "epochs": EPOCHS,
              "measures": "training steps/s after the first epoch; ratio = pipeline / hand-written script",
              "rows": rows}
    output = args.output or (None if smoke else RESULTS)
    if output is not None:
        output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"accel ({mode}, {', '.join(accelerators) or 'CPU'}, {report['wall_s']:.0f} s):")
    print_rows(rows)
    if output is not None:
        print(f"-> {output}")
    failed = [row for row in rows if "failed" in row]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
