"""A synthetic interactions table with planted user tastes and item popularity (for the `retrieval` task).

Users belong to taste groups, items to genres (one genre per taste group), and
item popularity follows a Zipf law. Each user interacts with distinct items,
one after another in time: most of them (`taste`) drawn from the genre of the
user's group, weighted by popularity, the rest from every item by popularity.
So the most-popular-items baseline gets some hits, and a model that learns
each user's group gets many more. Columns: `user_id` (u0000 ...), `item_id`
(i000 ...), `timestamp` (ISO 8601, seconds) and `rating` (1 to 5, higher
within the user's genre); `item_genres` gives the items' genres (item_id, genre).

Example:
    >>> frame = interactions_frame(users=20, items=30, groups=3, seed=0)
    >>> list(frame.columns), frame.groupby("user_id").item_id.nunique().eq(frame.groupby("user_id").size()).all()
    (['user_id', 'item_id', 'timestamp', 'rating'], np.True_)

Run `python -m data.synthetic.interactions data/generated/interactions.csv` to write the default table.
"""

from __future__ import annotations

import numpy as np

START = np.datetime64("2024-01-01T00:00:00")
"""The first day of the generated interactions."""


def interactions_frame(users: int = 1000, items: int = 500, groups: int = 10, per_user: tuple[int, int] = (8, 30),
                       taste: float = 0.8, zipf: float = 1.0, seed: int = 0):
    """The interactions as a pandas DataFrame, one row per (user, item), in time order within each user.

    Each user has `per_user` (low, high) interactions, at most half the items.

    Example:
        >>> interactions_frame(users=5, items=20, groups=2, seed=1).shape[1]
        4
    """
    import pandas as pd

    if items < 2 * groups:
        raise ValueError(f"need at least two items per genre ({2 * groups} for {groups} groups), got {items}")
    high = min(per_user[1], items // 2)  # each user's items are distinct
    low = min(per_user[0], high)
    rng = np.random.default_rng(seed)
    genre = rng.permutation(np.arange(items) % groups)
    popularity = 1.0 / np.arange(1, items + 1) ** zipf
    popularity = popularity[rng.permutation(items)]
    rows = []
    for user in range(users):
        group = user % groups
        own = np.where(genre == group)[0]
        count = int(rng.integers(low, high + 1))
        chosen: list[int] = []
        while len(chosen) < count:
            pool = own if rng.random() < taste else np.arange(items)
            weights = popularity[pool] / popularity[pool].sum()
            item = int(rng.choice(pool, p=weights))
            if item not in chosen:
                chosen.append(item)
        seconds = np.cumsum(rng.integers(600, 5 * 86400, size=count))
        for item, second in zip(chosen, seconds):
            liked = genre[item] == group
            rating = int(np.clip(rng.normal(4.2 if liked else 2.8, 0.8), 1, 5).round())
            rows.append((f"u{user:04d}", f"i{item:03d}", str(START + np.timedelta64(int(second), "s")), rating))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "rating"])


def item_genres(items: int = 500, groups: int = 10, seed: int = 0, **_):
    """The genre of each item of `interactions_frame` with the same settings: a DataFrame (item_id, genre).

    Example:
        >>> item_genres(items=4, groups=2).genre.tolist()
        ['g0', 'g0', 'g1', 'g1']
    """
    import pandas as pd

    genre = np.random.default_rng(seed).permutation(np.arange(items) % groups)  # the frame's first draw
    return pd.DataFrame({"item_id": [f"i{i:03d}" for i in range(items)], "genre": [f"g{g}" for g in genre]})


def write_interactions(path: str | None, items_path: str | None = None, **settings) -> str | None:
    """Write `interactions_frame(**settings)` as CSV at `path` (unless None) and with `items_path` the items'
    genres there (`item_genres`), each through a temporary file; returns `path`.

    Example:
        >>> import tempfile
        >>> write_interactions(tempfile.mkdtemp() + "/x.csv", users=4, items=20, groups=2).endswith("x.csv")
        True
    """
    import os

    for target, frame in ((items_path, item_genres), (path, interactions_frame)):
        if target is None:
            continue
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        partial = f"{target}.partial-{os.getpid()}"
        frame(**settings).to_csv(partial, index=False)
        os.replace(partial, target)
    return path


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    print(write_interactions(arguments.path, users=arguments.users, items=arguments.items, seed=arguments.seed))
