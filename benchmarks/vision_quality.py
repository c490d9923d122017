"""Detection quality as a new user gets it (issue 19): `kpipe init` on a COCO file, `kpipe run` with no edit.

Each case writes synthetic COCO scenes (`data.synthetic.scenes`: drawn here,
shaped like the issue's set, far simpler than photos), drafts the spec with
`kpipe init`'s logic, runs it unchanged (only `training.verbose=0`; MLflow
store and export in a temporary folder), then scores the export on unseen
scenes of the same kind (another seed): every image's PNG bytes go to
`serving_default`, and pycocotools' mAP@0.5 compares the answers with the
true boxes. The goal of issue 19: mAP@0.5 through the export at least 0.6
(floor), 0.8 (goal), with the run (init + run) within 600 s on the 2-core
machine. Results go to `benchmarks/vision_quality.json`.

    python -m benchmarks.vision_quality [--only issue19 wide_small] [--count N] [--set key=value ...]
    python -m benchmarks.vision_quality --spec shipped   # shapes_detection.yaml with only its source changed

Cases (name: scenes, height x width, object sizes in px, training seed):
    issue19:    600 scenes, 96x96,   objects 18-40, seed 0   (the set of the issue)
    wide_small: 400 scenes, 128x160, objects 12-30, seed 1   (a kind no default was tuned on)
Each is scored on TEST_COUNT scenes of its kind written with seed + TEST_SEED_OFFSET.

Example:
    >>> sorted(CASES), CASES["issue19"].size
    (['issue19', 'wide_small'], (96, 96))
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "vision_quality.json"
SHIPPED_SPEC = Path(__file__).resolve().parents[1] / "pipelines" / "specs" / "shapes_detection.yaml"
FLOOR, GOAL, SECONDS = 0.6, 0.8, 600
TEST_COUNT = 100
TEST_SEED_OFFSET = 100
BATCH = 32


@dataclass(frozen=True)
class Case:
    """A kind of scenes: how many to train on, their size, their objects' sizes and the seed."""

    count: int
    size: tuple[int, int]
    object_sizes: tuple[int, int]
    seed: int


CASES = {
    "issue19": Case(600, (96, 96), (18, 40), seed=0),
    "wide_small": Case(400, (128, 160), (12, 30), seed=1),
}


def draft(coco: str, how: str) -> str:
    """The spec text: `kpipe init`'s draft for the COCO file, or the shipped detection spec with that source."""
    import yaml

    if how == "shipped":
        spec = yaml.safe_load(SHIPPED_SPEC.read_text())
        spec["data"]["source"] = {"type": "coco", "path": coco}
        return yaml.safe_dump(spec, sort_keys=False)
    from pipelines.init import draft_spec

    drafted = draft_spec(coco)
    if drafted.task != "object_detection":
        raise SystemExit(f"kpipe init drafted {drafted.task} for {coco}, not object_detection; "
                         "try --spec shipped to measure the shipped detection spec instead")
    return drafted.text


def run_case(name: str, root: Path, count: int | None, how: str, overrides: list[str]) -> dict:
    """Write the case's scenes, draft and run the spec, and score its export on unseen scenes."""
    from data.synthetic.scenes import write_scenes
    from pipelines.runner import run

    case = CASES[name]
    scenes = write_scenes(str(root / name), count=count or case.count, seed=case.seed, size=case.size,
                          object_sizes=case.object_sizes)
    started = time.perf_counter()
    spec_path = root / f"{name}.yaml"
    spec_path.write_text(draft(scenes.coco, how))
    row = {"case": name, "spec": how, "scenes": len(scenes.images), "size": list(case.size),
           "object_sizes": list(case.object_sizes), "input_size": None, "epochs": None, "epochs_trained": None,
           "test_map_50": None, "export_map_50": None, "failed_gates": [], "error": None}
    try:
        result = run(spec_path, overrides=["training.verbose=0", *overrides])
    except Exception as error:  # a failed run is a result too: recorded, and the next case runs
        result, row["error"] = None, f"{type(error).__name__}: {error}"
    row["seconds"] = seconds = round(time.perf_counter() - started, 1)
    if result is not None:
        row.update(_choices(result), test_map_50=round(result.metrics.get("test_map_50", float("nan")), 4),
                   failed_gates=result.failed_gates, timings={k: round(v, 1) for k, v in result.timings.items()})
    if result is not None and result.export_path is not None:
        unseen = write_scenes(str(root / f"{name}-unseen"), count=TEST_COUNT, seed=case.seed + TEST_SEED_OFFSET,
                              size=case.size, object_sizes=case.object_sizes)
        row["export_map_50"] = round(export_map_50(result.export_path, unseen), 4)
    score = row["export_map_50"] or 0.0
    row.update(floor=score >= FLOOR and seconds <= SECONDS, goal=score >= GOAL and seconds <= SECONDS)
    return row


def _choices(result) -> dict:
    """The input size and epochs the run chose (its logged, resolved spec) and the epochs it trained."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(result.tracking_uri)
    params = client.get_run(result.run_id).data.params
    heights = sorted((k for k in params if re.fullmatch(r"stages\.\d+\.resize\.height", k)),
                     key=lambda k: int(k.split(".")[1]))
    last = heights[-1].removesuffix("height") if heights else None  # the last resize sets the model's input
    return {"input_size": [int(params[last + "height"]), int(params[last + "width"])] if last else None,
            "epochs": int(params["training.epochs"]),
            "epochs_trained": len(client.get_metric_history(result.run_id, "loss"))}


def export_map_50(export_path, scenes) -> float:
    """COCO mAP@0.5 of the export's `serving_default` answers on `scenes` (PNG bytes in, boxes out)."""
    import numpy as np
    import tensorflow as tf

    from models.tasks.detection_model import coco_map
    from serving.loading import load_export

    serve = load_export(export_path).signatures["serving_default"]
    truth, found = [], []
    for start in range(0, len(scenes.images), BATCH):
        paths = scenes.images[start:start + BATCH]
        answer = serve(image_bytes=tf.constant([Path(p).read_bytes() for p in paths]))
        answer = {k: v.numpy() for k, v in answer.items()}
        for i, index in enumerate(range(start, start + len(paths))):
            n = int(answer["num_detections"][i])
            names = [v.decode() for v in answer["class_names"][i, :n]]
            found.append({"boxes": answer["boxes"][i, :n], "scores": answer["scores"][i, :n],
                          "classes": np.array([scenes.class_names.index(v) for v in names], dtype="int64")})
            truth.append({"boxes": scenes.boxes[index], "labels": scenes.classes[index]})
    return coco_map(truth, found, num_classes=len(scenes.class_names))["map_50"]


def _line(row: dict) -> str:
    if row["error"]:
        return f"{row['case']:11s} run FAILED after {row['seconds']:.0f} s: {row['error']}"
    size = "x".join(map(str, row["input_size"])) if row["input_size"] else "?"
    export = (f"{row['export_map_50']:.3f}" if row["export_map_50"] is not None
              else f"no export ({'; '.join(row['failed_gates']) or 'export disabled'})")
    verdict = "GOAL met" if row["goal"] else "floor met" if row["floor"] else "MISSED floor"
    return (f"{row['case']:11s} {row['scenes']} scenes {'x'.join(map(str, row['size']))}, objects "
            f"{row['object_sizes'][0]}-{row['object_sizes'][1]} px | input {size}, epochs {row['epochs']} "
            f"({row['epochs_trained']} trained) | test_map_50 {row['test_map_50']:.3f} | export mAP@0.5 on "
            f"{TEST_COUNT} unseen {export} | {row['seconds']:.0f} s | {verdict} "
            f"(floor {FLOOR}, goal {GOAL}, within {SECONDS} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--count", type=int, help="training scenes of every case (default: each case's own)")
    parser.add_argument("--spec", choices=("init", "shipped"), default="init",
                        help="init: `kpipe init`'s draft (default); shipped: shapes_detection.yaml, source changed")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra overrides")
    args = parser.parse_args(argv)
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # the runs' store is the temporary folder's mlruns/
    rows, home = [], os.getcwd()
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        try:
            for name in args.only:
                rows.append(run_case(name, Path(root), args.count, args.spec, args.set))
                print(_line(rows[-1]), flush=True)
        finally:
            os.chdir(home)
    RESULTS.write_text(json.dumps({"spec": args.spec, "count": args.count, "overrides": args.set,
                                   "cores": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    print(f"{sum(r['floor'] for r in rows)} of {len(rows)} at the floor, {sum(r['goal'] for r in rows)} at the goal; "
          f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
