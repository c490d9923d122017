"""The evaluation protocol's candidate lists: each held-out item among items the user never interacted with.

For a held-out interaction (user, item), the list holds the item and
`count - 1` others drawn without replacement from the items the user has no
interaction with at all (in any split), in a shuffled order, so ties between
scores favour no position. Each list is drawn from its own generator, seeded by
the run's seed and the (user, item) pair, so the same interaction always gets
the same list (evaluation, the export's parity requests, the tests). A user
with fewer unseen items gets a shorter list, padded and masked out.

Example:
    >>> import numpy as np
    >>> lists = candidate_lists(np.array(["a"], object), np.array([2]), {"a": {0, 2}}, item_count=5, count=3, seed=0)
    >>> sorted(lists.items[0].tolist()), lists.items[0][lists.targets[0]], lists.mask.tolist()
    ([1, 2, 3], np.int64(2), [[True, True, True]])
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass
class CandidateLists:
    """Item positions [rows, count] to rank, where each row's held-out item is, and which entries are real."""

    items: np.ndarray
    """int64 [rows, count]."""
    targets: np.ndarray
    """int64 [rows]: the column of each row's held-out item."""
    mask: np.ndarray
    """bool [rows, count]: False for padding (a user with fewer unseen items than `count - 1`)."""

    def labels(self) -> np.ndarray:
        """float32 [rows, count]: 1 at each row's held-out item.

        Example:
            >>> CandidateLists(np.zeros((1, 3), "int64"), np.array([1]), np.ones((1, 3), bool)).labels().tolist()
            [[0.0, 1.0, 0.0]]
        """
        labels = np.zeros(self.items.shape, "float32")
        labels[np.arange(len(self.targets)), self.targets] = 1.0
        return labels


def candidate_lists(users: np.ndarray, targets: np.ndarray, seen: dict[str, set[int]], item_count: int,
                    count: int, seed: int) -> CandidateLists:
    """Each row's held-out item `targets[row]` (a position) among `count - 1` items `seen[user]` lacks.

    `count` is capped at `item_count`; see the module docstring for the draw.

    Example:
        >>> candidate_lists(np.array(["a"], object), np.array([0]), {}, item_count=50, count=10, seed=0).items.shape
        (1, 10)
    """
    count = min(count, item_count)
    rows = len(targets)
    items = np.zeros((rows, count), "int64")
    mask = np.zeros((rows, count), bool)
    where = np.zeros(rows, "int64")
    everything = np.arange(item_count)
    for row, (user, target) in enumerate(zip(np.asarray(users).tolist(), np.asarray(targets).tolist())):
        rng = np.random.default_rng([seed, zlib.crc32(f"{user}\0{target}".encode("utf-8"))])
        known = np.zeros(item_count, bool)
        known[list(seen.get(user, ()))] = True
        known[target] = True
        pool = everything[~known]
        drawn = rng.choice(pool, size=min(count - 1, len(pool)), replace=False)
        chosen = rng.permutation(np.r_[drawn, target])
        items[row, :len(chosen)] = chosen
        items[row, len(chosen):] = target  # padding, masked out
        mask[row, :len(chosen)] = True
        where[row] = int(np.flatnonzero(chosen == target)[0])
    return CandidateLists(items, where, mask)
