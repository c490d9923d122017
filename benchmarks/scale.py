"""scale: the pipeline's start-up on data as it grows, against reading that data once.

Two generated data sets, kept between runs in the temporary folder (`kpipe-scale/`): an
image folder of small PNGs (16x16 RGB, 10 classes) and a CSV (three numeric columns, two
categorical ones, a class target). For each, the baseline reads the data once by hand
(every file's bytes; `pandas.read_csv`), then `pipelines.runner.prepare_data` loads it as a
run does (phases `data` and `input_pipeline`) and `data.fingerprint` hashes it. Each is the
best of `--repeats` in one process, so one-time imports and tracing (the fixed part, which
`time_to_model` shows) are left out. The ratio is (data + input_pipeline + fingerprint) /
read-once: it should stay flat as the data grows. No model is trained. Figures:
`scale_images` and `scale_csv` in benchmarks/results.json.

    python -m benchmarks.scale                                   (10,000 images, 100,000 rows: 20 s; in make bench)
    python -m benchmarks.scale --images 100000 --rows 1000000    (the issue's size: 430 MB on disk, a few minutes)
    python -m benchmarks.scale --images 0                        (the CSV only)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import record

IMAGES, ROWS = 10_000, 100_000
CLASSES, SIDE = 10, 16
CACHE = Path(tempfile.gettempdir()) / "kpipe-scale"


def image_folder(count: int) -> Path:
    """`count` random 16x16 RGB PNGs in 10 class folders, written once and reused."""
    import numpy as np
    from PIL import Image

    root = CACHE / f"images-{count}"
    if (root / ".complete").exists():
        return root
    rng = np.random.default_rng(0)
    for index in range(count):
        folder = root / f"class{index % CLASSES}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (SIDE, SIDE, 3), dtype="uint8")).save(folder / f"{index:07d}.png")
    (root / ".complete").touch()
    return root


def csv_file(rows: int) -> Path:
    """A `rows`-row CSV (x1..x3 numeric, city and plan categorical, target a class), written once and reused."""
    import numpy as np
    import pandas as pd

    path = CACHE / f"table-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).round(4)
    frame = pd.DataFrame({
        "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2],
        "city": rng.choice([f"city{i}" for i in range(20)], rows),
        "plan": rng.choice(["basic", "plus", "pro", "team"], rows),
        "target": np.where(x[:, 0] + x[:, 1] > 0.5, "high", np.where(x[:, 0] > -0.5, "mid", "low")),
    })
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    frame.to_csv(partial, index=False)
    partial.rename(path)
    return path


def read_files_once(root: Path) -> float:
    """Seconds to list `root` and read every file's bytes, one after the other."""
    started = time.perf_counter()
    for parent, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(parent, name), "rb") as file:
                file.read()
    return time.perf_counter() - started


def read_csv_once(path: Path) -> float:
    """Seconds `pandas.read_csv` takes on `path`, with its default type inference."""
    import pandas as pd

    started = time.perf_counter()
    pd.read_csv(path)
    return time.perf_counter() - started


def image_spec(root: Path) -> dict:
    return {
        "name": "scale-images", "task": "image_classification", "seed": 0,
        "data": {"source": {"type": "image_folder", "path": str(root), "image_size": [SIDE, SIDE]},
                 "split": {"validation": 0.1, "test": 0.1}},
        "stages": [{"rescale": 1 / 255}],
        "model": {"backbone": {"source": "builtin", "name": "cnn", "config": {"filters": [8]}}},
    }


def csv_spec(path: Path) -> dict:
    return {
        "name": "scale-csv", "task": "tabular_classification", "seed": 0,
        "data": {"source": {"type": "csv", "path": str(path), "target_column": "target"},
                 "split": {"validation": 0.1, "test": 0.1}},
        "model": {"backbone": {"source": "builtin", "name": "mlp", "config": {"units": [8]}}},
    }


def pipeline_phases(spec: dict) -> dict[str, float]:
    """Seconds of `prepare_data`'s phases (data, input_pipeline) and of the fingerprint, for `spec`."""
    from data.fingerprint import fingerprint
    from pipelines.runner import prepare_data
    from pipelines.spec_loading import load_spec
    from pipelines.timings import Timings

    timings = Timings()
    prepared = prepare_data(load_spec(spec), timings)
    started = time.perf_counter()
    fingerprint(prepared.examples)
    phases = {name: timings.as_dict()[name] for name in ("data", "input_pipeline")}
    return {**phases, "fingerprint": time.perf_counter() - started}


def measure(name: str, size: int, unit: str, read_once, spec: dict, repeats: int) -> dict:
    """Print one data set's line and record it: the best pipeline seconds / the best read-once seconds."""
    baseline_s = min(read_once() for _ in range(repeats))
    phases = min((pipeline_phases(spec) for _ in range(repeats)), key=lambda found: sum(found.values()))
    pipeline_s = sum(phases.values())
    details = " · ".join(f"{phase} {seconds:.2f} s" for phase, seconds in phases.items())
    print(f"{name}: {size:,} {unit}: read once {baseline_s:.2f} s; {details}; "
          f"{pipeline_s / baseline_s:.1f}x", flush=True)
    return record(name, value=pipeline_s, baseline=baseline_s, unit="s", size=size,
                  measures=f"data + input_pipeline + fingerprint vs reading the {unit} once",
                  **{f"{phase}_s": round(seconds, 4) for phase, seconds in phases.items()}, target="reported")


def main(images: int = IMAGES, rows: int = ROWS, repeats: int = 3) -> None:
    if images:
        root = image_folder(images)
        measure("scale_images", images, "images", lambda: read_files_once(root), image_spec(root), repeats)
    if rows:
        path = csv_file(rows)
        measure("scale_csv", rows, "rows", lambda: read_csv_once(path), csv_spec(path), repeats)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=IMAGES,
                        help=f"PNGs in the image folder (0: none; default {IMAGES:,})")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows of the CSV (0: none; default {ROWS:,})")
    parser.add_argument("--repeats", type=int, default=3, help="measures of each, the best kept (default 3)")
    arguments = parser.parse_args()
    main(arguments.images, arguments.rows, arguments.repeats)
