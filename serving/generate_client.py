"""Images from a generator's export: seeds in, PNG files out (`kpipe predict EXPORT --seed N --output DIR`).

A generator export's `serving_default` takes `seed` (int64 [batch]) and
returns `pixels` and `png_bytes`; each image is written to
`<output>/seed_<N>.png` (`seed_<N>_class_<C>.png` for a conditional generator,
which also takes `class_id`). The same seed (and class) gives the same image.

Example:
    >>> generate_files("serving/models/digits-vae", [0, 1], "generated")   # doctest: +SKIP
    [{'seed': 0, 'file': 'generated/seed_0.png', 'size': '16x16x1'}, ...]
"""

from __future__ import annotations

import os
from pathlib import Path

from serving.client import latest_version_dir
from serving.loading import load_export


def generate_files(export_dir: str | os.PathLike, seeds: list[int], output: str | os.PathLike,
                   class_ids: list[int] | None = None) -> list[dict]:
    """Generate one image per seed with the export and write each as a PNG into `output`; one row per image.

    A conditional generator also takes a class per seed (`class_ids`: one for every seed, or one for all).
    """
    import tensorflow as tf

    serve = load_export(latest_version_dir(export_dir)).signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    if "seed" not in inputs:
        raise ValueError(f"{export_dir}: not a generator export (its serving_default takes {sorted(inputs)}, "
                         f"not seed)")
    request = {"seed": tf.constant(seeds, tf.int64)}
    if "class_id" in inputs:
        if not class_ids or len(class_ids) not in (1, len(seeds)):
            raise ValueError(f"{export_dir}: a conditional generator takes a class per seed: give --class-id once, "
                             f"or once for each of the {len(seeds)} seeds")
        request["class_id"] = tf.constant(class_ids * len(seeds) if len(class_ids) == 1 else class_ids, tf.int64)
    elif class_ids:
        raise ValueError(f"{export_dir}: this generator takes no class (not conditional); remove --class-id")
    answer = serve(**request)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed, png, pixels in zip(seeds, answer["png_bytes"].numpy(), answer["pixels"].numpy()):
        path = folder / f"seed_{seed}.png" if "class_id" not in request else folder / (
            f"seed_{seed}_class_{int(request['class_id'][len(rows)])}.png")
        path.write_bytes(png)
        rows.append({"seed": seed, "file": str(path), "size": "x".join(map(str, pixels.shape))})
    return rows
