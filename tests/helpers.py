"""Constants and small helpers shared by the tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DIGITS_SPEC = REPO / "pipelines" / "specs" / "digits.yaml"

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
