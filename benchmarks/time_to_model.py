"""time_to_model: wall time of `kpipe run pipelines/specs/digits.yaml` against a hand-written script.

Both are fresh processes, started in the same run, in a scratch folder. `kpipe run` does
everything the spec asks (data checks, tracking, plots, evaluation against baselines, the
TF Serving export with its reload, warmup and parity check, the logged model); the script
(the benchmarks' hand-written model and data helpers, with the spec's resize, augmentation,
rescale and batch size) trains the same model for as many epochs as `kpipe run` ran (early
stopping may end it before `training.epochs`) and saves it as a `.keras` file. The ratio is
kpipe's time / the script's; the table is the kpipe run's own `time_<phase>_s` metrics, read
back from its MLflow run.

    python -m benchmarks.time_to_model                  (digits.yaml as it is)
    python -m benchmarks.time_to_model --epochs 3       (a quicker look)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import REPO, digits_arrays, handwritten_cnn, in_scratch_folder, record

DIGITS = REPO / "pipelines" / "specs" / "digits.yaml"
BATCH_SIZE = 32  # digits.yaml's


def handwritten(epochs: int, folder: Path) -> None:
    """Train the digits model by hand (tf.data + model.fit) for `epochs` epochs and save it."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(42)
    x_train, y_train, x_val, y_val = digits_arrays(seed=42)
    augment = keras.Sequential([keras.layers.RandomRotation(0.03), keras.layers.RandomZoom(0.05),
                                keras.layers.RandomTranslation(0.05, 0.05)])
    autotune = tf.data.AUTOTUNE

    def resize(x, y):
        return tf.image.resize(tf.cast(x, tf.float32), (16, 16)), y

    train = (tf.data.Dataset.from_tensor_slices((x_train, y_train)).map(resize, num_parallel_calls=autotune)
             .cache().shuffle(2048, seed=42).batch(BATCH_SIZE)
             .map(lambda x, y: (augment(x, training=True) / 255.0, y), num_parallel_calls=autotune)
             .prefetch(autotune))
    val = (tf.data.Dataset.from_tensor_slices((x_val, y_val)).map(resize, num_parallel_calls=autotune)
           .map(lambda x, y: (x / 255.0, y)).cache().batch(BATCH_SIZE).prefetch(autotune))
    model = handwritten_cnn()
    model.fit(train, validation_data=val, epochs=epochs, verbose=0)
    model.save(folder / "digits.keras")


def wall(args: list[str]) -> float:
    """Seconds a command takes from its start to its exit; its output is shown only when it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise RuntimeError(f"{' '.join(args[:5])} ... exited with {done.returncode}")
    return seconds


def kpipe_run(overrides: list[str]) -> tuple[float, int, dict[str, float]]:
    """`kpipe run digits.yaml` here: (wall seconds, epochs it trained, its time_<phase>_s metrics)."""
    from mlflow import MlflowClient

    from pipelines.tracking_uri import default_tracking_uri

    sets = [arg for override in overrides for arg in ("--set", override)]
    seconds = wall([sys.executable, "-m", "pipelines.cli", "run", str(DIGITS), *sets])
    client = MlflowClient(default_tracking_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("digits").experiment_id])
    epochs = len(client.get_metric_history(run.info.run_id, "loss"))
    phases = {key.removeprefix("time_").removesuffix("_s"): value
              for key, value in run.data.metrics.items() if key.startswith("time_")}
    return seconds, epochs, phases


PARTS = {"first_epoch": "training"}


def phase_table(phases: dict[str, float], wall_s: float) -> str:
    """The kpipe run's phases in the order they ran, parts indented under their phase."""
    order = ["startup", "data", "input_pipeline", "fingerprint", "tracking", "plots", "model", "compile",
             "training", "first_epoch", "evaluation", "export", "export_prepare", "export_write", "export_verify",
             "export_publish", "model_logging", "total"]
    names = [n for n in order if n in phases] + sorted(set(phases) - set(order))
    lines = [f"  {'phase':24s} {'seconds':>8s} {'share':>6s}"]
    for name in names:
        part = name in PARTS or name.startswith("export_")
        label = ("    " if part else "") + name
        lines.append(f"  {label:24s} {phases[name]:8.2f} {phases[name] / wall_s:6.1%}")
    covered = sum(v for n, v in phases.items() if n != "total" and n not in PARTS and not n.startswith("export_"))
    lines.append(f"  {'(outside the phases)':24s} {phases.get('total', wall_s) - covered:8.2f}")
    lines.append(f"  {'(run end, summary, exit)':24s} {wall_s - phases.get('total', wall_s):8.2f}")
    return "\n".join(lines)


def main(epochs: int | None = None) -> dict:
    """Both measures in a fresh scratch folder (its mlruns/, serving/ and .kpipe/ go with it)."""
    return in_scratch_folder(lambda: measure(epochs))()


def measure(epochs: int | None) -> dict:
    overrides = [f"training.epochs={epochs}"] if epochs else []
    kpipe_s, trained, phases = kpipe_run(overrides)
    script_s = wall([sys.executable, "-m", "benchmarks.time_to_model", "--handwritten", str(trained)])
    print(f"kpipe run digits.yaml: {kpipe_s:.1f} s for {trained} epochs; hand-written script: {script_s:.1f} s")
    print(phase_table(phases, kpipe_s))
    return record("time_to_model", value=kpipe_s, baseline=script_s, unit="s",
                  measures="kpipe run digits.yaml vs a hand-written train-and-save script (wall, fresh processes)",
                  epochs=trained, startup_s=phases.get("startup", 0.0), training_s=phases.get("training", 0.0),
                  export_s=phases.get("export", 0.0), target="reported")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="override digits.yaml's training.epochs")
    parser.add_argument("--handwritten", type=int, metavar="EPOCHS", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.handwritten:
        handwritten(arguments.handwritten, Path.cwd())
    else:
        main(arguments.epochs)
