"""Time-series classification on public UCR sets (issue 13): the shipped spec, scored through its export.

Each case points `pipelines/specs/series_shapes.yaml` at one UCR problem (the
`ucr` source on the archive's own `<Name>_TRAIN.ts` / `<Name>_TEST.ts` files,
the archive's TRAIN/TEST split kept) and changes nothing else but what a
benchmark must: `training.verbose=0`, no model logging, no export gates (the
shipped gate is the shapes set's), MLflow store and export in a temporary
folder. The TEST cases then go, as float32 series, to the exported SavedModel's
`serving_default`, and its `class_ids` give the accuracy reported here. Beside
it: the published ResNet and FCN accuracies of Fawaz et al. 2019, and a 1-NN
Euclidean classifier (scikit-learn `KNeighborsClassifier(1)`) fit on the same
TRAIN cases. The goal: within `MARGIN` of the better of ResNet and FCN.
Results go to `benchmarks/tsc_quality.json`.

    python -m benchmarks.tsc_quality [--only GunPoint ItalyPowerDemand] [--set key=value ...] [--data DIR]

Data: the UCR/UEA archive cannot be downloaded here, but the sktime wheel on
PyPI ships a few of its problems as `.ts` files. `ensure_data` runs
`pip download --no-deps sktime==1.2.0` once and extracts them to
`data/generated/ucr/<Name>/` (git-ignored). (sktime is not a dependency:
installing it would move our pinned pandas.) `--data DIR` reads
`DIR/<Name>/<Name>_TRAIN.ts` instead, e.g. a folder unpacked from
timeseriesclassification.com.

Published numbers: the mean accuracy (and standard deviation) over 10 runs on
the UCR/UEA archive (85 problems, 2015 version) in the README's results table
of the paper's companion repository, github.com/hfawaz/dl-4-tsc (also
results/results-ucr.csv there, rounded to two places): Fawaz, Forestier,
Weber, Idoumghar, Muller, "Deep learning for time series classification: a
review", Data Mining and Knowledge Discovery 33, 2019. There ResNet trained
1500 epochs and FCN 2000, in batches of a tenth of the training set (at most
64 and 16), the learning rate halved after 50 epochs without a lower training
loss, the weights of least training loss kept (classifiers/resnet.py, fcn.py);
on GPUs. The shipped spec trains at most 300 epochs in batches of 8, on the
same rule (`early_stopping` and `reduce_lr_on_plateau` on the training loss).

Example:
    >>> PUBLISHED["GunPoint"]
    (0.991, 1.0)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "tsc_quality.json"
SHIPPED_SPEC = REPO / "pipelines" / "specs" / "series_shapes.yaml"
DATA = REPO / "data" / "generated" / "ucr"
SKTIME = "sktime==1.2.0"
MARGIN = 0.03
"""The goal: test accuracy through the export at least the better published accuracy less this."""

PUBLISHED = {  # name: (ResNet, FCN) mean test accuracy over 10 runs, dl-4-tsc README (Fawaz et al. 2019)
    "GunPoint": (0.991, 1.0),
    "ItalyPowerDemand": (0.963, 0.961),
    "ArrowHead": (0.845, 0.843),
    "OSULeaf": (0.979, 0.977),
}
DEFAULT_CASES = ["GunPoint", "ItalyPowerDemand", "ArrowHead", "OSULeaf"]


def ensure_data(names: list[str], folder: Path = DATA) -> Path:
    """`folder/<Name>/<Name>_TRAIN.ts` and `_TEST.ts` of each name, extracted from the sktime wheel if missing."""
    missing = [n for n in names if not (folder / n / f"{n}_TEST.ts").is_file()]
    if not missing:
        return folder
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", download, SKTIME],
                       check=True)
        wheel = next(Path(download).glob("sktime-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name in missing:
                for part in ("TRAIN", "TEST"):
                    member = f"sktime/datasets/data/{name}/{name}_{part}.ts"
                    target = folder / name / f"{name}_{part}.ts"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(member))
    return folder


def run_case(name: str, folder: Path, overrides: list[str]) -> dict:
    """The shipped spec on UCR problem `name`; its accuracy through the export, the published ones, 1-NN's."""
    import numpy as np
    import yaml

    from data.sources.ucr import UcrOptions, load_ucr
    from pipelines.runner import run

    path = str(folder / name)
    spec = yaml.safe_load(SHIPPED_SPEC.read_text())
    spec["data"]["source"] = {"type": "ucr", "path": path}
    spec["training"]["verbose"] = 0
    spec["tracking"]["log_model"] = False
    spec["export"]["gates"] = []
    examples = load_ucr(UcrOptions(path=path))
    train, test = (examples.subset(np.flatnonzero(examples.assigned_split == part)) for part in ("train", "test"))
    started = time.perf_counter()
    result = run(spec, overrides=overrides)
    seconds = time.perf_counter() - started
    resnet, fcn = PUBLISHED.get(name, (float("nan"), float("nan")))
    accuracy = export_accuracy(result.export_path, test)
    goal = max(resnet, fcn) - MARGIN
    return {"case": name, "train": train.size, "test": test.size, "steps": int(examples.inputs.shape[1]),
            "classes": examples.num_classes, "export_accuracy": round(accuracy, 4),
            "test_accuracy": round(result.metrics.get("test_accuracy", float("nan")), 4),
            "resnet": resnet, "fcn": fcn, "one_nn": round(one_nn_accuracy(train, test), 4),
            "goal": round(goal, 4), "within_goal": bool(accuracy >= goal), "seconds": round(seconds, 1),
            "epochs_trained": _epochs_trained(result)}


def export_accuracy(export_path, test) -> float:
    """Accuracy of the export's `serving_default` class ids on the test cases (NaN-padded float32 series)."""
    import numpy as np
    import tensorflow as tf

    from serving.loading import load_export

    serve = load_export(export_path).signatures["serving_default"]
    found = [serve(series=tf.constant(test.inputs[i:i + 256]))["class_ids"].numpy() for i in range(0, test.size, 256)]
    return float(np.mean(np.concatenate(found) == test.labels))


def one_nn_accuracy(train, test) -> float:
    """1-NN with the Euclidean distance on the same TRAIN/TEST cases (missing values and padding as 0)."""
    import numpy as np
    from sklearn.neighbors import KNeighborsClassifier

    flat = lambda part: np.nan_to_num(part.inputs.reshape(part.size, -1))
    return float(KNeighborsClassifier(1).fit(flat(train), train.labels).score(flat(test), test.labels))


def _epochs_trained(result) -> int | None:
    from mlflow.tracking import MlflowClient

    try:
        return len(MlflowClient(result.tracking_uri).get_metric_history(result.run_id, "loss"))
    except Exception:  # the count is a detail of the table, never a reason to fail it
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=DEFAULT_CASES,
                        help=f"UCR problems (published numbers for: {', '.join(PUBLISHED)})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra overrides")
    parser.add_argument("--data", type=Path, help="folder of <Name>/<Name>_TRAIN.ts (default: from the sktime wheel)")
    args = parser.parse_args(argv)
    folder = args.data.resolve() if args.data else ensure_data(args.only)
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # the runs' store is the temporary folder's mlruns/
    rows, home = [], os.getcwd()
    print(f"{'dataset':17s} {'train':>5s} {'test':>5s} {'export acc':>10s} {'ResNet':>7s} {'FCN':>7s} {'1-NN':>7s} "
          f"{'epochs':>6s} {'seconds':>7s}  verdict", flush=True)
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        try:
            for name in args.only:
                row = run_case(name, folder, ["training.verbose=0", *args.set])
                rows.append(row)
                verdict = (f"within goal (>= {row['goal']:.3f})" if row["within_goal"]
                           else f"MISSED goal (>= {row['goal']:.3f})")
                print(f"{name:17s} {row['train']:5d} {row['test']:5d} {row['export_accuracy']:10.4f} "
                      f"{row['resnet']:7.3f} {row['fcn']:7.3f} {row['one_nn']:7.4f} {row['epochs_trained'] or 0:6d} "
                      f"{row['seconds']:7.1f}  {verdict}", flush=True)
        finally:
            os.chdir(home)
    RESULTS.write_text(json.dumps({"overrides": args.set, "margin": MARGIN, "cores": os.cpu_count(), "rows": rows},
                                  indent=2) + "\n")
    met = sum(r["within_goal"] for r in rows)
    print(f"{met} of {len(rows)} within {MARGIN} of the better published ResNet/FCN accuracy; written to {RESULTS}")
    return 0 if met == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
