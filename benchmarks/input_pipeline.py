"""input_pipeline: images/s the data stages deliver alone, against the training step's consumption.

An image folder of PNGs goes through decode, resize, augmentation (flip,
rotation) and rescale, exactly as a run builds it. The consumption rate is the
training step on ready-made batches, without any input pipeline. The stages
must not be the bottleneck: target ratio >= 2.

    python -m benchmarks.input_pipeline
"""

import tempfile
import time
from pathlib import Path

from benchmarks.common import BATCH_SIZE, record

IMAGES, SIZE = 1024, 32


def write_folder(root: Path) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(IMAGES):
        folder = root / f"class{index % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype="uint8")).save(folder / f"{index}.png")


def spec(root: Path) -> dict:
    return {
        "name": "bench-input", "task": "image_classification", "seed": 0,
        "data": {"source": {"type": "image_folder", "path": str(root), "image_size": [48, 48]},
                 "split": {"validation": 0.0, "test": 0.0, "stratify": False}, "batch_size": BATCH_SIZE},
        "stages": [{"resize": {"height": SIZE, "width": SIZE}},
                   {"augment": [{"random_flip": "horizontal"}, {"random_rotation": 0.05}]},
                   {"rescale": 1 / 255}],
        "model": {"backbone": {"source": "builtin", "name": "cnn", "config": {"filters": [32, 64]}}},
    }


def images_per_second(dataset, epochs: int) -> float:
    count, started = 0, time.perf_counter()
    for _ in range(epochs):
        for images, _ in dataset:
            count += int(images.shape[0])
    return count / (time.perf_counter() - started)


def consumption_rate(model, batch, steps: int = 40) -> float:
    """Images/s the training step takes from ready-made batches."""
    import tensorflow as tf

    ready = tf.data.Dataset.from_tensors(batch).repeat()
    model.fit(ready, steps_per_epoch=5, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(ready, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * BATCH_SIZE / (time.perf_counter() - started)


def main() -> dict:
    from models.backbones import build_backbone
    from pipelines import registry
    from pipelines.runner import prepare_data
    from pipelines.spec_loading import load_spec
    from pipelines.training import compile_model

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_folder(root)
        loaded = load_spec(spec(root))
        datasets = prepare_data(loaded).datasets
        first_epoch = images_per_second(datasets.train, 1)
        cached = images_per_second(datasets.train, 3)
        task = registry.tasks.get(loaded.task).build(loaded)
        model = task.build_model(build_backbone(loaded.model.backbone, datasets.model_input_shape),
                                 datasets.model_input_shape, 4)
        compile_model(model, task, loaded, steps=100)
        consumed = consumption_rate(model, next(iter(datasets.train)))
    return record("input_pipeline", value=cached, baseline=consumed, unit="images/s",
                  first_epoch_images_per_s=first_epoch, target=">= 2")


if __name__ == "__main__":
    main()
