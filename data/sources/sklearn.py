"""The data sets scikit-learn ships with the package (no download).

Example (YAML):
    data:
      source: {type: sklearn, name: digits}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources

_IMAGES = {"digits"}


class SklearnOptions(Options):
    name: Literal["digits", "iris", "wine", "breast_cancer"] = Field(
        description="A bundled scikit-learn data set: digits (8x8 images) or a tabular one."
    )


@sources.register("sklearn", SklearnOptions)
def load_sklearn(options: SklearnOptions, *, on_bad_record: str = "error"):
    """A data set bundled with scikit-learn: digits images, or iris/wine/breast_cancer tables."""
    import numpy as np
    from sklearn import datasets

    from data.examples import Examples

    bunch = getattr(datasets, f"load_{options.name}")()
    names = [str(n) for n in getattr(bunch, "target_names", sorted(set(bunch.target)))]
    if options.name in _IMAGES:
        scale = 255.0 / float(bunch.images.max())
        images = np.round(bunch.images * scale).astype("uint8")[..., None]
        return Examples(images, bunch.target, names, origin=f"sklearn:{options.name}")
    return Examples(bunch.data.astype("float32"), bunch.target, names, origin=f"sklearn:{options.name}")
