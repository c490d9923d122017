"""split_examples: seeded, stratified, disjoint and complete."""

import numpy as np
import pytest

from data.examples import Examples
from data.split import split_examples


def _examples(counts=(70, 30)):
    labels = np.concatenate([np.full(n, i) for i, n in enumerate(counts)])
    ids = np.arange(len(labels), dtype="float32")[:, None]  # each input is its own index
    return Examples(ids, labels, [f"c{i}" for i in range(len(counts))])


def _ids(part):
    return part.inputs[:, 0].astype(int).tolist()


def test_same_seed_same_split_other_seed_other_split():
    examples = _examples()
    first = split_examples(examples, validation=0.2, test=0.1, seed=7)
    again = split_examples(examples, validation=0.2, test=0.1, seed=7)
    other = split_examples(examples, validation=0.2, test=0.1, seed=8)
    assert [_ids(p) for p in first] == [_ids(p) for p in again]
    assert _ids(first[0]) != _ids(other[0])


def test_disjoint_complete_and_stratified():
    examples = _examples()
    train, validation, test = split_examples(examples, validation=0.2, test=0.1, seed=0)
    assert (len(train.labels), len(validation.labels), len(test.labels)) == (70, 20, 10)
    ids = _ids(train) + _ids(validation) + _ids(test)
    assert sorted(ids) == list(range(100))
    for part in (train, validation, test):
        assert np.mean(part.labels == 1) == pytest.approx(0.3)
        assert part.class_names == examples.class_names
        assert (part.labels == examples.labels[_ids(part)]).all()


def test_zero_share_gives_an_empty_part():
    train, validation, test = split_examples(_examples(), validation=0.25, test=0.0, seed=0)
    assert len(test.labels) == 0 and test.inputs.shape == (0, 1)
    assert len(train.labels) + len(validation.labels) == 100
    train, validation, test = split_examples(_examples(), validation=0.0, test=0.0, seed=0)
    assert len(train.labels) == 100 and len(validation.labels) == 0


def test_too_few_examples_of_a_class_name_the_class():
    examples = _examples((20, 2))
    with pytest.raises(ValueError) as caught:
        split_examples(examples, validation=0.2, test=0.2, seed=0)
    assert "'c1'" in str(caught.value) and "2 examples" in str(caught.value)
    train, validation, test = split_examples(examples, validation=0.2, test=0.2, seed=0, stratify=False)
    assert len(train.labels) + len(validation.labels) + len(test.labels) == 22


def test_bad_shares():
    with pytest.raises(ValueError, match="sum to less than 1"):
        split_examples(_examples(), validation=0.6, test=0.4, seed=0)


def test_train_fraction_keeps_a_share_of_training_and_the_same_held_out_splits():
    import yaml

    from models.tasks.image_classification import ImageClassification
    from pipelines.spec_loading import load_spec
    from tests.helpers import REPO

    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "digits.yaml").read_text())
    examples = Examples(np.zeros((500, 4, 4, 1), "uint8"), np.arange(500) % 10, [str(i) for i in range(10)])
    full = ImageClassification(load_spec(spec)).split(examples, seed=3)
    spec["data"]["split"]["train_fraction"] = 0.1
    few = ImageClassification(load_spec(spec)).split(examples, seed=3)
    assert few[0].size == round(0.1 * full[0].size) and set(few[0].labels.tolist()) == set(range(10))
    assert few[1].size == full[1].size and few[2].size == full[2].size
