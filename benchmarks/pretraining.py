"""What self-supervised pre-training buys: a digits classifier on 10% of the labels, from scratch and from a
contrastive run's encoder.

1. `pipelines/specs/digits_contrastive.yaml` pre-trains its CNN on the digits'
   training split without labels (SimCLR);
2. `pipelines/specs/digits.yaml`, with `data.split.train_fraction: 0.1` (the
   same seed and shares, so the same test images, which neither run trains
   on), trains the same CNN from scratch, then with `model.backbone:
   {from_run: <the contrastive run>}`, frozen and fine-tuned.

It prints each classifier's test accuracy and the gain over scratch, and
writes `benchmarks/pretraining.json`.

    python -m benchmarks.pretraining [--fraction 0.1] [--pretrain-epochs 30]

Example:
    >>> classifier_overrides(0.1, None)[:2]
    ['data.split={validation: 0.1, test: 0.2, train_fraction: 0.1}', 'export.enabled=false']
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "pipelines" / "specs"
RESULTS = Path(__file__).resolve().parent / "pretraining.json"


def classifier_overrides(fraction: float, source: str | None, freeze: bool = True) -> list[str]:
    """digits.yaml on `fraction` of its training labels (the contrastive spec's shares), optionally on a backbone
    taken from run `source`."""
    overrides = [f"data.split={{validation: 0.1, test: 0.2, train_fraction: {fraction}}}", "export.enabled=false",
                 "tracking.log_model=false", "training.verbose=0"]
    if source is not None:
        overrides.append(f"model.backbone={{from_run: {source}, freeze: {str(freeze).lower()}}}")
    return overrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=0.1, help="share of the training labels (default 0.1)")
    parser.add_argument("--pretrain-epochs", type=int, default=30)
    args = parser.parse_args(argv)

    from pipelines.runner import run

    results = {"fraction": args.fraction}
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        started = time.perf_counter()
        pretrained = run(SPECS / "digits_contrastive.yaml",
                         overrides=[f"training.epochs={args.pretrain_epochs}", "export.enabled=false",
                                    "training.verbose=0"])
        results["contrastive"] = {"run_id": pretrained.run_id, "seconds": round(time.perf_counter() - started, 1),
                                  **{k: pretrained.metrics[k] for k in pretrained.metrics if "probe" in k}}
        for name, source, freeze in (("scratch", None, True), ("pretrained_frozen", pretrained.run_id, True),
                                     ("pretrained_fine_tuned", pretrained.run_id, False)):
            started = time.perf_counter()
            metrics = run(SPECS / "digits.yaml", overrides=classifier_overrides(args.fraction, source, freeze)).metrics
            results[name] = {"test_accuracy": metrics["test_accuracy"],
                             "seconds": round(time.perf_counter() - started, 1)}
    scratch = results["scratch"]["test_accuracy"]
    print(f"digits classifier on {args.fraction:.0%} of the training labels (test split of "
          f"{'20%'}, unseen by both runs):")
    for name in ("scratch", "pretrained_frozen", "pretrained_fine_tuned"):
        accuracy = results[name]["test_accuracy"]
        print(f"  {name:24s} test accuracy {accuracy:.4f}  ({accuracy - scratch:+.4f} over scratch, "
              f"{results[name]['seconds']} s)")
    print(f"  contrastive pre-training: {results['contrastive']['seconds']} s, linear probe "
          f"{results['contrastive'].get('test_linear_probe_accuracy', float('nan')):.4f}")
    RESULTS.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
