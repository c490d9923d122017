"""The retrieval and ranking drafts: a table of interactions, read as the `interactions` source reads it.

A table is an interaction log when one column is named like a user id and
another like an item id (`interaction_columns`: user/user_id/userId/customer...,
item/item_id/movieId/product...), besides which a column named like a time
orders each user's interactions and one named like a rating is kept as
`rating`. The models are the shipped interactions specs'
(pipelines/specs/interactions_retrieval.yaml and interactions_ranking.yaml);
both tasks split each user's last interaction off for test (leave-last-out),
so the draft has no `split`. A table beside it that holds the item (or user)
id column once per row is named in a comment, as features to join.

Example:
    >>> interaction_columns(["userId", "movieId", "rating", "timestamp"])
    {'user_column': 'userId', 'item_column': 'movieId', 'timestamp_column': 'timestamp', 'rating_column': 'rating'}
    >>> interaction_columns(["age", "income", "target"]) is None
    True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.init.names import sanitize_name
from pipelines.init.render import (
    Draft,
    Lines,
    common_bottom,
    common_top,
    count,
    flow,
    header,
    path_comment,
    render,
    wrap,
)

INTERACTION_TASKS = ("retrieval", "ranking")
USER_WORDS = ("user", "customer", "client", "member", "visitor", "viewer", "listener", "reader", "reviewer",
              "buyer", "shopper", "account", "person", "player", "subscriber", "uid", "session")
ITEM_WORDS = ("item", "movie", "film", "product", "article", "book", "track", "song", "video", "sku", "asin",
              "artist", "album", "business", "restaurant", "recipe", "game", "anime", "show", "post", "course",
              "listing", "offer", "page", "news", "doc", "document", "content", "iid")
TIME_WORDS = ("timestamp", "time", "date", "datetime", "ts", "when")
RATING_WORDS = ("rating", "score", "stars", "rate", "grade", "overall")


@dataclass(frozen=True)
class Model:
    """One task's model and training, as its shipped spec has them."""

    description: str
    backbone: dict
    head: dict
    head_comment: str
    gate: str
    other_task: str


MODELS = {
    "retrieval": Model(
        "Two-tower retrieval on {path}, against the most-popular-items baseline.",
        {"source": "builtin", "name": "mlp", "config": {"units": [64], "dropout": 0.3}},
        {"id_embedding_dim": 32, "embedding_dim": 32, "temperature": 0.1, "top_k": 10},
        "top_k: items the export's `recommend` returns by default",
        "test_ndcg_at_10_over_popularity >= 0.02",
        "ranking: score candidate items (kpipe init --task ranking)"),
    "ranking": Model(
        "DCN-v2 ranking of candidate items on {path}, against the most-popular-items baseline.",
        {"source": "builtin", "name": "mlp", "config": {"units": [64, 32], "dropout": 0.2}},
        {"id_embedding_dim": 32, "interaction": "cross", "cross_layers": 2, "negatives": 4,
         "objective": "pointwise", "candidates": 100},
        "negatives: unseen items sampled per interaction; candidates: the list each test item is ranked in",
        "test_ndcg_at_10_over_popularity >= 0.05",
        "retrieval: recommend from every item (kpipe init --task retrieval)"),
}
BATCH_SIZE = 256
EPOCHS = 20
OPTIMIZER = {"name": "adam", "learning_rate": 3.0e-3}
PATIENCE = 4
FEATURE_TABLE_MAX_BYTES = 50 << 20  # larger tables beside the interactions are not read as feature tables


def interaction_columns(columns) -> dict[str, str] | None:
    """The source's user_column, item_column and, when found, timestamp_column and rating_column; None without
    both a user and an item column.

    Example:
        >>> interaction_columns(["customer_id", "product", "score"])
        {'user_column': 'customer_id', 'item_column': 'product', 'rating_column': 'score'}
    """
    stems = {column: _stem(str(column)) for column in columns}
    user = next((c for c, stem in stems.items() if stem in USER_WORDS), None)
    item = next((c for c, stem in stems.items() if stem in ITEM_WORDS and c != user), None)
    if user is None or item is None:
        return None
    found = {"user_column": user, "item_column": item}
    rest = [c for c in columns if c not in (user, item)]
    time = next((c for c in rest if _stem(str(c)) in TIME_WORDS or re.search(r"(time|date)$|_at$", str(c).lower())),
                None)
    if time is not None:
        found["timestamp_column"] = time
    rating = next((c for c in rest if c != time and (_stem(str(c)) in RATING_WORDS or
                                                     re.search(r"(rating|score)$", str(c).lower()))), None)
    if rating is not None:
        found["rating_column"] = rating
    return found


def _stem(name: str) -> str:
    """`name` lowercased, without separators, a trailing id and a plural s: userId -> user, Movie_IDs -> movie."""
    stem = re.sub(r"[^a-z0-9]", "", name.lower())
    if stem in ("uid", "iid"):
        return stem
    stem = re.sub(r"ids?$", "", stem) or stem
    return stem[:-1] if stem.endswith("s") and stem[:-1] in USER_WORDS + ITEM_WORDS else stem


def interactions_spec(path: str, source_type: str, name: str | None, columns: dict[str, str], task: str) -> Draft:
    """The `task` (retrieval or ranking) draft for the interactions table at `path`, read by the source first."""
    if source_type == "parquet" and not path.lower().endswith(".parquet"):
        raise ValueError(f"{path}: the interactions source reads Parquet from files ending with .parquet; rename it")
    name = name or f"{sanitize_name(Path(path).stem)}-{task}"
    model = MODELS[task]
    examples = _load({"type": "interactions", "path": path, **columns})
    users, items = examples.inputs["user_id"], examples.inputs["item_id"]
    per_user = _per_user(users)
    skipped = list(examples.skipped_records)
    notes = [f"read {path} as an interaction log (users: {columns['user_column']!r}, items: "
             f"{columns['item_column']!r}); --target COLUMN drafts a table model instead"]
    if skipped:
        notes.append(f"skipped {count(len(skipped), 'bad row')} (first: {skipped[0]}); the draft says "
                     "on_bad_record: skip")
    summary = (f"Recommendations ({task}): {count(len(users), 'interaction')} of {count(len(set(users)), 'user')} "
               f"with {count(len(set(items)), 'item')}, from {path}.")
    lines = header(summary, measured=_measured(examples, columns, per_user, skipped, task))
    lines += common_top(name, task, model.description.format(path=path), task_comment=f"or {model.other_task}")
    lines += _data(path, columns, skipped)
    lines += [
        ("model:", None),
        (f"  backbone: {flow(model.backbone)}", "the MLP over each id's embedding (and features)"),
        (f"  head: {flow(model.head)}", model.head_comment),
        ("training:", None),
        (f"  epochs: {EPOCHS}", "early stopping usually ends sooner"),
        (f"  optimizer: {flow(OPTIMIZER)}", None),
        ("  callbacks:", None),
        (f"    - early_stopping: {{patience: {PATIENCE}}}", "on val_ndcg_at_10; keeps the best weights"),
        ("    - terminate_on_nan", None),
    ]
    lines += common_bottom(name)
    lines.append((f"  # gates: [\"{model.gate}\"]", "uncomment to refuse exporting a model that barely beats "
                                                    "the most popular items"))
    return Draft(render(lines), task, name, notes)


def _load(source: dict):
    """The examples of `source`, read as a run reads them, bad rows skipped (and counted)."""
    import pipelines.components  # noqa: F401  (fills the registries)
    from pipelines import registry

    component = registry.sources.get(source["type"])
    options = component.options(**{key: value for key, value in source.items() if key != "type"})
    return component.build(options, on_bad_record="skip")


def _per_user(users) -> list[int]:
    import numpy as np

    return np.unique(users, return_counts=True)[1].tolist()


def _measured(examples, columns: dict, per_user: list[int], skipped: list[str], task: str) -> list[str]:
    import numpy as np

    lines = [f"Counted: {np.median(per_user):g} interactions per user in the median ({min(per_user)} to "
             f"{max(per_user)}). Split leave-last-out: each user's last interaction is test "
             f"({sum(n >= 2 for n in per_user)} users have 2 or more), the one before it validation "
             f"({sum(n >= 3 for n in per_user)} have 3 or more), the rest training."]
    if "timestamp_column" in columns:
        first, last = (datetime.fromtimestamp(float(t), timezone.utc).strftime("%Y-%m-%d")
                       for t in (examples.labels.min(), examples.labels.max()))
        lines.append(f"Times from {first} to {last} order each user's interactions.")
    else:
        lines.append("No column named like a time: the rows' order is taken as each user's order.")
    if "rating" in examples.inputs:
        ratings = examples.inputs["rating"]
        lines.append(f"Ratings from {float(ratings.min()):g} to {float(ratings.max()):g}"
                     + ("; `head: {target: rating}` trains on them." if task == "ranking" else "."))
    if skipped:
        lines.append(f"{count(len(skipped), 'row')} the run leaves out (on_bad_record: skip); first: {skipped[0]}.")
    lines.append(f"Scored by NDCG@10, recall@k and MRR on the test interactions against the most popular items"
                 f"{' among 100 candidates per user' if task == 'ranking' else ' of the whole corpus'}.")
    return wrap(lines)


def _data(path: str, columns: dict, skipped: list[str]) -> Lines:
    comments = {
        "user_column": "user ids (read as strings)",
        "item_column": "item ids (read as strings)",
        "timestamp_column": "numbers or dates: each user's last interaction is test, the one before validation",
        "rating_column": "numbers, kept as the input `rating`",
    }
    lines = [("data:", None), ("  source:", None),
             ("    type: interactions", "see `kpipe components` for its options"),
             (f"    path: {flow(path)}", path_comment(path, "CSV, or Parquet ending with .parquet"))]
    lines += [(f"    {key}: {flow(value)}", comments[key]) for key, value in columns.items()]
    if "timestamp_column" not in columns:
        lines.append(("    # timestamp_column: COLUMN", "left out: the rows' order is each user's order"))
    for role in ("item", "user"):
        table = _feature_table(path, columns[f"{role}_column"])
        if table is not None:
            lines.append((f"    # {role}s: {flow({'path': table[0], 'id_column': table[1]})}",
                          f"uncomment: {role} features, joined by id ({count(table[2], 'column')})"))
    bad = (f"skip: leave the {count(len(skipped), 'bad row')} found here out (counted, logged)" if skipped
           else "or skip: leave rows without ids or with bad times or ratings out (counted, logged)")
    return lines + [
        (f"  batch_size: {BATCH_SIZE}", None),
        (f"  on_bad_record: {'skip' if skipped else 'error'}", bad),
    ]


def _feature_table(path: str, id_column: str) -> tuple[str, str, int] | None:
    """(path, id column, feature columns) of a CSV/Parquet table beside `path`, of at most FEATURE_TABLE_MAX_BYTES,
    that holds `id_column` once per row and other columns; None when there is none."""
    import pandas as pd
    import pyarrow.parquet as pq

    folder = os.path.dirname(path)
    for name in sorted(os.listdir(folder or ".")):
        other = os.path.join(folder, name)
        parquet = name.lower().endswith(".parquet")
        if (os.path.abspath(other) == os.path.abspath(path) or name.startswith(".") or not os.path.isfile(other)
                or not (parquet or name.lower().endswith(".csv")) or os.path.getsize(other) > FEATURE_TABLE_MAX_BYTES):
            continue
        try:
            columns = pq.read_schema(other).names if parquet else list(pd.read_csv(other, nrows=0).columns)
            if id_column not in columns or len(columns) < 2:
                continue
            ids = (pd.read_parquet(other, columns=[id_column]) if parquet else pd.read_csv(other, usecols=[id_column]))
        except Exception:  # noqa: BLE001  (an unreadable table is not a feature table)
            continue
        if ids[id_column].is_unique:
            return other, id_column, len(columns) - 1
    return None
