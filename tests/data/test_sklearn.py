"""The sklearn source: bundled data sets, no download."""

import numpy as np

from data.sources.sklearn import SklearnOptions, load_sklearn


def test_digits_are_uint8_images():
    examples = load_sklearn(SklearnOptions(name="digits"))
    assert examples.inputs.shape == (1797, 8, 8, 1) and examples.inputs.dtype == np.uint8
    assert examples.inputs.max() == 255
    assert examples.num_classes == 10 and examples.class_names == [str(i) for i in range(10)]
    assert examples.labels.dtype == np.int64 and sorted(set(examples.labels.tolist())) == list(range(10))


