"""The newcomer's path: `kpipe run pipelines/specs/digits.yaml`, then `kpipe predict` on its export."""

import re
import subprocess
import sys
import time

import pytest
from mlflow import MlflowClient

from pipelines.tracking_uri import default_tracking_uri
from tests.helpers import DIGITS_SPEC

pytestmark = pytest.mark.slow


def kpipe(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_digits_spec_reaches_95_percent_and_serves_pngs(in_tmp_dir):
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    started = time.monotonic()
    done = kpipe("run", str(DIGITS_SPEC), cwd=in_tmp_dir)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("run id", "test_accuracy", "serving/models/digits/1", "mlflow ui --backend-store-uri"):
        assert line in done.stdout
    run_id = re.search(r"run id\s*│\s*(\w+)", done.stdout).group(1)
    record = MlflowClient(default_tracking_uri()).get_run(run_id)
    accuracy = record.data.metrics["test_accuracy"]
    print(f"digits: test_accuracy={accuracy:.4f} in {seconds:.0f} s (kpipe run, wall time)")
    assert accuracy >= 0.95
    assert record.data.tags["kpipe.export_gate"] == "passed"

    digits = load_digits()
    files = []
    for index in range(3):
        Image.fromarray(np.round(digits.images[index] * 255 / 16).astype("uint8")).save(f"digit{index}.png")
        files.append(f"digit{index}.png")
    predicted = kpipe("predict", "serving/models/digits", *files, cwd=in_tmp_dir)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    for index, path in enumerate(files):
        assert re.search(rf"digit{index}\.png\s*│\s*{digits.target[index]}\s*│", predicted.stdout), predicted.stdout
