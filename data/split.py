"""Seeded train / validation / test split of a source's examples, stratified by class.

Only class ids (N,) are stratified; multi-hot labels (multi-label text or
tables), per-token tags (token classification) and raw table targets (numbers
or strings, before a task encodes them) are split at random, without
stratification and without a word, whatever `stratify` says.

Examples whose source assigns the split (`Examples.assigned_split`, e.g. a
`split` column) are split as assigned: the shares, seed and `stratify` do not
apply.

Example:
    >>> import numpy as np
    >>> from data.examples import Examples
    >>> examples = Examples(np.zeros((20, 2), "float32"), np.arange(20) % 2, ["a", "b"])
    >>> [len(part.labels) for part in split_examples(examples, validation=0.2, test=0.1, seed=0)]
    [14, 4, 2]
"""

from __future__ import annotations

from data.examples import Examples


def split_examples(
    examples: Examples, validation: float, test: float, seed: int, stratify: bool = True
) -> tuple[Examples, Examples, Examples]:
    """Train, validation and test parts of `examples`; the same seed gives the same split.

    `validation` and `test` are shares of all examples; a share of 0 gives an
    empty part. With `stratify`, every part keeps the class proportions, and a
    class with fewer examples than non-empty parts is an error. `stratify` is
    ignored (the split is random) unless the labels are integer class ids (N,).
    Examples with an `assigned_split` are split as assigned (`assigned_parts`).

    Example:
        >>> train, val, test = split_examples(examples, validation=0.1, test=0.1, seed=42)  # doctest: +SKIP
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    if examples.assigned_split is not None:
        return assigned_parts(examples)
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError(f"validation ({validation}) and test ({test}) must be in [0, 1) and sum to less than 1")
    count = len(examples.labels)
    parts = 1 + (validation > 0) + (test > 0)
    if count < parts:
        raise ValueError(f"cannot split {count} examples into {parts} non-empty parts")
    stratify = stratify and examples.labels.ndim == 1 and examples.labels.dtype.kind in "iu"
    if stratify and parts > 1:
        ids, counts = np.unique(examples.labels, return_counts=True)
        for label, n in zip(ids.tolist(), counts.tolist()):
            if n < parts:
                name = examples.class_names[label] if 0 <= label < len(examples.class_names) else str(label)
                raise ValueError(
                    f"cannot stratify: class {name!r} has {n} example{'s' * (n != 1)}, fewer than the {parts} "
                    f"parts of a split with validation={validation} and test={test}; "
                    "add examples, set the share to 0 or turn stratify off"
                )

    def cut(indices: np.ndarray, share: float, what: str) -> tuple[np.ndarray, np.ndarray]:
        labels = examples.labels[indices] if stratify else None
        try:
            return train_test_split(indices, test_size=share, random_state=seed, stratify=labels)
        except ValueError as error:  # e.g. fewer examples in a part than classes
            raise ValueError(f"cannot split off the {what} part ({share:g} of {count} examples): {error}") from None

    rest = np.arange(count)
    test_indices = validation_indices = np.array([], dtype="int64")
    if test > 0:
        rest, test_indices = cut(rest, test, "test")
    if validation > 0:
        rest, validation_indices = cut(rest, validation / (1 - test), "validation")
    return examples.subset(rest), examples.subset(validation_indices), examples.subset(test_indices)


def assigned_parts(examples: Examples) -> tuple[Examples, Examples, Examples]:
    """Train, validation and test parts as `examples.assigned_split` says, each in the examples' order.

    Example:
        >>> import numpy as np
        >>> assigned = Examples(np.zeros((4, 2), "float32"), np.array([0, 1, 0, 1]), ["a", "b"],
        ...                     assigned_split=["train", "test", "train", "validation"])
        >>> [part.size for part in assigned_parts(assigned)]
        [2, 1, 1]
    """
    import numpy as np

    parts = ("train", "validation", "test")
    assigned = examples.assigned_split
    unknown = [i for i, value in enumerate(assigned) if value not in parts]
    if unknown:
        raise ValueError(f"assigned split {assigned[unknown[0]]!r} (example {unknown[0]}, and {len(unknown) - 1} "
                         f"more) is not one of {', '.join(parts)}")
    if not np.any(assigned == "train"):
        raise ValueError(f"the assigned split gives no training examples ({examples.size} examples)")
    return tuple(examples.subset(np.flatnonzero(assigned == part)) for part in parts)


def keep_share(examples: Examples, share: float, seed: int, stratify: bool = True) -> Examples:
    """A seeded share of `examples` (at least one example, and with `stratify` one per class when it can).

    Example:
        >>> import numpy as np
        >>> few = keep_share(Examples(np.zeros((100, 2), "float32"), np.arange(100) % 4, list("abcd")), 0.1, seed=1)
        >>> few.size, sorted(np.bincount(few.labels).tolist())
        (10, [2, 2, 3, 3])
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    if not 0 < share <= 1:
        raise ValueError(f"the share kept must be in (0, 1], got {share}")
    count = len(examples.labels)
    kept = max(1, int(round(share * count)))
    if kept >= count:
        return examples
    indices = np.arange(count)
    labels = examples.labels if stratify and examples.labels.ndim == 1 and examples.labels.dtype.kind in "iu" else None
    if labels is not None and kept < len(np.unique(labels)):
        labels = None
    chosen, _ = train_test_split(indices, train_size=kept, random_state=seed, stratify=labels)
    return examples.subset(np.sort(chosen))


def split_by_group(examples: Examples, groups, validation: float, test: float,
                   seed: int) -> tuple[Examples, Examples, Examples]:
    """Train, validation and test parts that never share a group: `groups` [N] names each example's group (the
    image of a caption, when an image has several), and whole groups are split at random, the shares counting
    groups. Parts keep the examples' order.

    Example:
        >>> import numpy as np
        >>> examples = Examples(np.arange(12).reshape(6, 2).astype("float32"), np.arange(6), list("abcdef"))
        >>> parts = split_by_group(examples, ["x", "x", "y", "y", "z", "z"], validation=0.3, test=0.3, seed=0)
        >>> sorted(part.size for part in parts)
        [2, 2, 2]
    """
    import numpy as np

    names, group_of = np.unique(np.asarray(groups), return_inverse=True)
    one_each = Examples(np.arange(len(names)), np.arange(len(names)), [])
    parts = split_examples(one_each, validation, test, seed=seed, stratify=False)
    return tuple(examples.subset(np.flatnonzero(np.isin(group_of, part.inputs))) for part in parts)
