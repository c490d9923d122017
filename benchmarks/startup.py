"""startup: wall time of `kpipe --help`, `kpipe validate` and `kpipe run` to its first training step.

`--help` and `validate` must not import TensorFlow (target: under 1 second).
The baseline is `python -c "import tensorflow"`, measured in the same run; the
ratio is that import time / the validate time.

    python -m benchmarks.startup
"""

import subprocess
import sys
import time

from benchmarks.common import REPO, in_scratch_folder, record

DIGITS = str(REPO / "pipelines" / "specs" / "digits.yaml")


def wall(args: list[str], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def to_first_step() -> float:
    """Seconds from starting `kpipe run` to Keras' first 'Epoch 1/' line."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pipelines.cli", "run", DIGITS, "--set", "training.verbose=2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("Epoch 1/"):
                return time.perf_counter() - started
        raise RuntimeError("kpipe run ended before its first epoch")
    finally:
        proc.kill()
        proc.wait()


@in_scratch_folder
def main() -> dict:
    kpipe = [sys.executable, "-m", "pipelines.cli"]
    help_s = wall([*kpipe, "--help"])
    validate_s = wall([*kpipe, "validate", DIGITS])
    import_tf_s = wall([sys.executable, "-c", "import tensorflow"])
    return record("startup", value=validate_s, baseline=import_tf_s, unit="s",
                  measures="kpipe validate vs import tensorflow",
                  ratio=import_tf_s / validate_s, help_s=help_s, run_to_first_step_s=to_first_step(),
                  target="help and validate < 1 s")


if __name__ == "__main__":
    main()
