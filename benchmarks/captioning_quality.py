"""Captioning quality through the export (issue 17): the shipped captioning spec, only its source's count and folder
changed, scored by sending the held-out images' PNG bytes to the export's `serving_default`.

Each case runs `pipelines/specs/captioned_shapes_captioning.yaml` (three shapes per image, 504 captions) with
`count` images, in a temporary folder (MLflow store and export there too), then captions every held-out image of
the run (`predictions.csv` names them and their references) through the SavedModel. It prints and writes
(`benchmarks/captioning_quality.json`) the export's exact match next to the run's nearest-neighbour caption
baseline on the same images, and the run's share of held-out images whose caption never occurs in training
(where the nearest-neighbour caption is always wrong) with its exact match on them (the Keras model's greedy
captions, which the export's parity check found identical). Fewer images leave more test captions unseen.

    python -m benchmarks.captioning_quality [--counts 504 1008 4032] [--seed 42]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "captioning_quality.json"
SPEC = Path(__file__).resolve().parents[1] / "pipelines" / "specs" / "captioned_shapes_captioning.yaml"
BATCH = 64


def exact_through_export(export_path, predictions_csv: str) -> dict[str, float]:
    """Exact match of the export's captions of the images `predictions_csv` lists (paths, " | "-joined
    references).

    Example:
        >>> exact_through_export("serving/models/x/1", predictions_text)  # doctest: +SKIP
        {'export_exact_match': 0.99, 'images': 404}
    """
    import tensorflow as tf

    from models.tasks.captioning.metrics import normalize_caption

    rows = list(csv.DictReader(io.StringIO(predictions_csv)))
    serve = tf.saved_model.load(str(export_path)).signatures["serving_default"]
    hits = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        generated = serve(image_bytes=tf.constant([Path(row["image"]).read_bytes() for row in chunk]))["generated"]
        hits += [normalize_caption(text) in {normalize_caption(ref) for ref in row["references"].split(" | ")}
                 for text, row in zip(generated.numpy(), chunk)]
    return {"export_exact_match": sum(hits) / len(hits), "images": len(hits)}


def run_case(count: int, seed: int, root: Path) -> dict:
    """Run the spec with `count` images under `root` and score its export."""
    import yaml
    from mlflow import MlflowClient

    from pipelines import components  # noqa: F401  (fills the registries)
    from pipelines.runner import run

    spec = yaml.safe_load(SPEC.read_text())
    spec["seed"] = seed
    spec["data"]["source"].update(folder=str(root / f"shapes_{count}"), count=count)
    spec["training"]["verbose"] = 0
    started = time.perf_counter()
    result = run(spec)
    seconds = time.perf_counter() - started
    client = MlflowClient(result.tracking_uri)
    predictions = Path(client.download_artifacts(result.run_id, "predictions.csv", str(root))).read_text()
    scores = exact_through_export(result.export_path, predictions)
    metrics = result.metrics
    return {"count": count, "seed": seed, "run_seconds": round(seconds, 1), **scores,
            "test_exact_match": metrics["test_exact_match"],
            "nearest_neighbour_exact_match": metrics["test_nearest_neighbour_exact_match"],
            "test_cider_d": metrics["test_cider_d"],
            "nearest_neighbour_cider_d": metrics["test_nearest_neighbour_cider_d"],
            "unseen_caption_share": metrics["test_unseen_caption_share"],
            "exact_match_on_unseen": metrics["test_exact_match_on_unseen"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[504, 1008, 4032])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    rows, home = [], os.getcwd()
    with tempfile.TemporaryDirectory(prefix="captioning-quality-") as folder:
        os.chdir(folder)  # one MLflow store for every case (the process keeps its tracking URI)
        try:
            for count in args.counts:
                row = run_case(count, args.seed, Path(folder))
                rows.append(row)
                print(f"count {count}: export exact match {row['export_exact_match']:.4f} on {row['images']} "
                      f"held-out images (nearest neighbour {row['nearest_neighbour_exact_match']:.4f}); "
                      f"{row['unseen_caption_share']:.1%} of them have a caption unseen in training, exact match "
                      f"on those {row['exact_match_on_unseen']:.4f}; CIDEr-D {row['test_cider_d']:.3f} (nearest "
                      f"neighbour {row['nearest_neighbour_cider_d']:.3f}); run {row['run_seconds']} s", flush=True)
        finally:
            os.chdir(home)
    RESULTS.write_text(json.dumps({"spec": str(SPEC.name), "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
