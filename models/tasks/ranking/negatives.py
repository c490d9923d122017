"""Negative sampling inside the training graph: items drawn uniformly among those a user has not interacted with.

Exact, not by rejection: a user's seen items (sorted positions s_0 < s_1 < ...)
are stored as `s_j - j`, the count of unseen items before each; the r-th unseen
item is r plus the count of those at most r, which one `searchsorted` over all
users' entries (offset by user, so one sorted array holds every user) finds.
Memory is one int64 per training interaction, whatever the corpus' size.

Example:
    >>> import keras
    >>> index = SeenItems.build(users=[1, 1, 2], items=[0, 2, 1], user_count=2, item_count=4)
    >>> drawn = index.sample(keras.ops.convert_to_tensor([1, 1, 2]), 50, keras.random.SeedGenerator(0))
    >>> sorted(set(drawn.numpy()[:2].ravel().tolist())), sorted(set(drawn.numpy()[2].tolist()))
    ([1, 3], [0, 2, 3])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeenItems:
    """Each user's seen item positions, as one sorted array of keys (see the module docstring).

    Users are lookup indices 0 ... `user_count` (0: unknown, nothing seen); items are positions 0 ... `item_count`-1.
    """

    keys: np.ndarray
    """int64 [interactions]: user * item_count + (s_j - j), sorted."""
    starts: np.ndarray
    """int64 [user_count + 1]: where each user's keys start."""
    counts: np.ndarray
    """int64 [user_count + 1]: how many distinct items each user has seen."""
    item_count: int

    @classmethod
    def build(cls, users, items, user_count: int, item_count: int) -> SeenItems:
        """From parallel (user index, item position) arrays of the training interactions (repeats allowed).

        Example:
            >>> SeenItems.build([1, 1], [3, 0], user_count=1, item_count=5).keys.tolist()
            [5, 7]
        """
        pairs = np.unique(np.asarray(users, "int64") * item_count + np.asarray(items, "int64"))
        user, item = pairs // item_count, pairs % item_count
        counts = np.bincount(user, minlength=user_count + 1).astype("int64")
        starts = np.r_[0, np.cumsum(counts)[:-1]].astype("int64")
        rank = np.arange(len(pairs)) - starts[user]  # j: the item's place among its user's seen items
        return cls(user * item_count + (item - rank), starts, counts, int(item_count))

    def sample(self, users, count: int, seed_generator):
        """[len(users), count] int64 item positions, uniform among each user's unseen items (a user who has seen
        every item gets any item). `users` is an int tensor of lookup indices; the draw is seeded by
        `seed_generator` (`keras.random.SeedGenerator`), different at each call.

        Example:
            >>> index.sample(tf.constant([1, 2]), 4, keras.random.SeedGenerator(0)).shape   # doctest: +SKIP
            TensorShape([2, 4])
        """
        import keras
        import tensorflow as tf

        users = tf.cast(users, tf.int64)
        unseen = tf.maximum(self.item_count - tf.gather(tf.constant(self.counts), users), 1)
        uniform = keras.random.uniform((tf.shape(users)[0], count), seed=seed_generator, dtype="float32")
        draw = tf.minimum(tf.cast(tf.floor(uniform * tf.cast(unseen[:, None], tf.float32)), tf.int64),
                          unseen[:, None] - 1)
        if len(self.keys) == 0:
            return draw
        wanted = users[:, None] * self.item_count + draw
        found = tf.searchsorted(tf.constant(self.keys)[None, :], tf.reshape(wanted, [1, -1]), side="right")
        before = tf.reshape(tf.cast(found, tf.int64), tf.shape(draw)) - tf.gather(tf.constant(self.starts),
                                                                                 users)[:, None]
        return draw + before
