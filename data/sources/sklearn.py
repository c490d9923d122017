"""The data sets scikit-learn ships with the package (no download).

digits gives 8x8 images (uint8) and class ids. The tables give "columns"
examples: one numeric float32 column per feature, named by `serving_name` of
the data set's feature names ("sepal length (cm)" -> "sepal_length__cm_"), and
the raw targets: class names as str (iris, wine, breast_cancer) or float64
values (diabetes, a regression).

Example (YAML):
    data:
      source: {type: sklearn, name: digits}
      # a table: {type: sklearn, name: iris}   (task: tabular_classification)
      # regression: {type: sklearn, name: diabetes}   (task: tabular_regression)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources

_IMAGES = {"digits"}
_REGRESSION = {"diabetes"}


class SklearnOptions(Options):
    name: Literal["digits", "iris", "wine", "breast_cancer", "diabetes"] = Field(
        description="A bundled scikit-learn data set: digits (8x8 images), a classification table "
                    "(iris, wine, breast_cancer) or a regression table (diabetes)."
    )


@sources.register("sklearn", SklearnOptions)
def load_sklearn(options: SklearnOptions, *, on_bad_record: str = "error"):
    """A data set bundled with scikit-learn: digits images, or the iris/wine/breast_cancer/diabetes tables.

    Example:
        >>> iris = load_sklearn(SklearnOptions(name="iris"))
        >>> iris.kind, iris.size, list(iris.columns)[:2], iris.labels[0]
        ('columns', 150, ['sepal_length__cm_', 'sepal_width__cm_'], 'setosa')
    """
    import numpy as np
    from sklearn import datasets

    from data.examples import Examples
    from data.tabular.columns import serving_names

    bunch = getattr(datasets, f"load_{options.name}")()
    origin = f"sklearn:{options.name}"
    if options.name in _IMAGES:
        names = [str(n) for n in bunch.target_names]
        scale = 255.0 / float(bunch.images.max())
        images = np.round(bunch.images * scale).astype("uint8")[..., None]
        return Examples(images, bunch.target, names, origin=origin)
    columns = serving_names([str(n) for n in bunch.feature_names])
    inputs = {name: bunch.data[:, i].astype("float32") for i, name in enumerate(columns.values())}
    if options.name in _REGRESSION:
        targets = bunch.target.astype("float64")
    else:
        targets = np.asarray([str(n) for n in bunch.target_names], dtype=object)[bunch.target]
    return Examples(inputs, targets, [], origin=origin, columns={name: "numeric" for name in inputs})
