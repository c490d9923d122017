"""The tf-idf + logistic regression text baseline, and the docstring corpus it is measured on."""

import numpy as np

from data.synthetic.docstrings import docstring_corpus
from models.tasks.text_baseline import tfidf_baseline


def test_predicts_class_ids_and_finds_a_small_class():
    big = [f"alpha gamma delta {i}" for i in range(40)]
    small = [f"beta gamma {i}" for i in range(4)]
    labels = np.array([0] * 40 + [1] * 4)
    predicted = tfidf_baseline(big + small, labels, ["beta delta", "alpha", "beta beta gamma"], seed=0)
    assert predicted.tolist() == [1, 0, 1]  # balanced class weights: 4 examples are enough
    assert predicted.dtype.kind in "iu"


def test_is_deterministic_and_keeps_the_label_ids():
    texts = ["red apple", "green apple", "red car", "blue car", "green pear", "blue bus"]
    labels = np.array([7, 7, 3, 3, 7, 3])
    first = tfidf_baseline(texts, labels, ["red pear", "blue car"], seed=1)
    assert first.tolist() == tfidf_baseline(texts, labels, ["red pear", "blue car"], seed=1).tolist()
    assert set(first.tolist()) <= {3, 7}


def test_degenerate_inputs_fall_back_to_the_majority_class():
    assert tfidf_baseline(["a b", "c d"], np.array([2, 2]), ["a", "z"], seed=0).tolist() == [2, 2]
    assert tfidf_baseline(["!!", "?", "..."], np.array([0, 1, 1]), ["a b"], seed=0).tolist() == [1]
    assert tfidf_baseline(["a", "b"], np.array([0, 1]), [], seed=0).shape == (0,)


def test_beats_the_majority_class_on_real_docstrings():
    frame = docstring_corpus({"json": 40, "argparse": 20}, seed=0)
    assert frame["label"].value_counts().to_dict() == {"json": 40, "argparse": 20}
    assert frame.equals(docstring_corpus({"json": 40, "argparse": 20}, seed=0))  # deterministic
    labels = (frame["label"] == "argparse").to_numpy().astype(int)
    texts = frame["text"].tolist()
    test = np.arange(len(texts)) % 4 == 0
    predicted = tfidf_baseline([t for t, held in zip(texts, test) if not held], labels[~test],
                               [t for t, held in zip(texts, test) if held], seed=0)
    accuracy = float(np.mean(predicted == labels[test]))
    majority = float(np.mean(labels[test] == 0))
    assert accuracy > majority
