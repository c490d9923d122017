"""Constants and small helpers shared by the tests."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DIGITS_SPEC = REPO / "pipelines" / "specs" / "digits.yaml"
DUAL_ENCODER_SPEC = REPO / "pipelines" / "specs" / "captioned_shapes_dual_encoder.yaml"

TINY = {
    "version": 1,
    "name": "tiny",
    "task": "image_classification",
    "seed": 1,
    "data": {"source": {"type": "sklearn", "name": "digits"}, "split": {"validation": 0.1, "test": 0.1},
             "batch_size": 64},
    "stages": [{"augment": [{"random_translation": 0.05}]}, {"rescale": {"scale": 1 / 255}}],
    "model": {"backbone": {"source": "builtin", "name": "cnn", "config": {"filters": [8], "blocks_per_stage": 1}}},
    "training": {"epochs": 2, "optimizer": {"name": "adam", "learning_rate": 0.003}, "verbose": 0,
                 "callbacks": ["backup_and_restore"]},
    "export": {"parity_samples": 8, "warmup_samples": 2},
}


def tiny_dual_encoder_spec(folder) -> dict:
    """The shipped dual encoder spec cut to 72 captioned shapes generated under `folder` and two training steps."""
    spec = yaml.safe_load(DUAL_ENCODER_SPEC.read_text())
    spec["data"]["source"].update(folder=str(folder / "shapes"), count=72)
    spec["data"]["batch_size"] = 16
    spec["training"].update(epochs=1, steps_per_epoch=2, verbose=0)
    spec["tracking"] = {"log_model": False}
    spec["export"].update(parity_samples=4, warmup_samples=2)
    return spec
