"""Leave-last-out: each user's last interaction is test, the one before it validation, the rest training.

Time decides, never chance: a user's interactions are ordered by their time
(the examples' labels), ties by their order in the source. A user with two
interactions gives one to training and one to test; a user with one gives it
to training. So every held-out user has trained.

Example:
    >>> import numpy as np
    >>> users = np.array(["a", "a", "a", "b", "b", "c"], object)
    >>> train, validation, test = leave_last_out(users, np.array([3.0, 1.0, 2.0, 5.0, 4.0, 9.0]))
    >>> train.tolist(), validation.tolist(), test.tolist()
    ([1, 4, 5], [2], [0, 3])
"""

from __future__ import annotations

import numpy as np


def leave_last_out(users: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row indices (sorted) of the training, validation and test interactions."""
    order = np.lexsort((np.arange(len(users)), np.asarray(times, "float64"), np.asarray(users, str)))
    ordered = np.asarray(users, str)[order]
    last = np.r_[ordered[1:] != ordered[:-1], True]  # the last interaction of each user
    count = np.diff(np.r_[0, np.flatnonzero(last) + 1])  # interactions per user, in user order
    per_row = np.repeat(count, count)
    position_from_end = np.concatenate([np.arange(n)[::-1] for n in count])
    test = order[(position_from_end == 0) & (per_row >= 2)]
    validation = order[(position_from_end == 1) & (per_row >= 3)]
    held = np.zeros(len(users), bool)
    held[test] = held[validation] = True
    return np.flatnonzero(~held), np.sort(validation), np.sort(test)
