"""What tasks on an interactions table share: their base class, refusing a random split, checking the examples,
feature tables.

An interactions source (`data.sources.interactions`) gives `user_id` and
`item_id` columns, each interaction's time as its label, and optionally
`user_<column>` / `item_<column>` feature columns. Tasks on it split by time
per user (leave-last-out), never at random.

Example:
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> examples = SimpleNamespace(columns={"user_id": "categorical", "item_id": "categorical",
    ...                                     "item_genre": "categorical"},
    ...                            inputs={"item_id": np.array(["b", "a", "b"], object),
    ...                                    "item_genre": np.array(["pop", "rock", "pop"], object)})
    >>> types, table = feature_table(examples, "item", ["a", "b"])
    >>> types, table["item_genre"].tolist()
    ({'item_genre': 'categorical'}, ['rock', 'pop'])
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation, Task

RANDOM_SPLIT_KEYS = ("validation", "test", "stratify")
"""`data.split` keys of a random split, which tasks on interactions refuse."""


def refuse_random_split(spec) -> None:
    """Raise naming `data.split.<key>` when the spec sets a random split's key.

    Example:
        >>> refuse_random_split(spec)   # doctest: +SKIP
        ValueError: data.split.test: task <task> splits by time per user (leave-last-out: ...), never at random; ...
    """
    split = spec.data.split
    for key in RANDOM_SPLIT_KEYS:
        if key in split.model_fields_set:
            raise ValueError(f"data.split.{key}: task {spec.task} splits by time per user (leave-last-out: each "
                             f"user's last interaction is test, the one before it validation), never at "
                             f"random; remove it")


def check_interactions(examples, task: str) -> None:
    """Fail early unless the source gives interactions (`user_id` and `item_id` columns, times as labels).

    Example:
        >>> check_interactions(examples, spec.task)   # doctest: +SKIP
    """
    inputs = examples.inputs if isinstance(examples.inputs, dict) else {}
    if examples.kind != "columns" or not {"user_id", "item_id"} <= set(inputs) or examples.labels.dtype.kind != "f":
        raise ValueError(f"task {task} needs interactions (data.source type: interactions); data.source "
                         f"gives {examples.kind} examples")


def feature_table(examples, role: str, ids: list[str]):
    """(types, {column: (len(ids),) values}) of the `<role>_<column>` feature columns, one row per id (its first
    interaction's), or None without such columns (`role`: "user" or "item"; see the module's example)."""
    key = f"{role}_id"
    types = {name: kind for name, kind in examples.columns.items() if name.startswith(f"{role}_") and name != key}
    if not types:
        return None
    first: dict[str, int] = {}
    for row, value in enumerate(examples.inputs[key].tolist()):
        first.setdefault(value, row)
    rows = np.array([first[i] for i in ids], "int64")
    return types, {name: examples.inputs[name][rows] for name in types}


class InteractionsTask(Task):
    """A task on an interactions table: ids looked up inside the model, a leave-last-out split, NDCG@10 to beat.

    Subclasses say what they train on (`trains_on`, for the refusal of
    `training.loss`) and what they rank each epoch (`ranks`, for the refusal of
    `training.metrics`), and implement `ranking(model, held_out)`: the model's
    and the most-popular baseline's metrics (NDCG@10 among them) on held-out
    interactions, which the validation split reports each epoch and the test
    split at the end.
    """

    input_name = "user_ids"
    metric = "ndcg_at_10"
    direction = "max"
    default_epochs = 10
    backends = ("tensorflow",)
    backend_notes = {"jax": "it looks up raw string ids inside the model; JAX arrays hold no strings"}
    trains_on = "its own loss"
    ranks = "its evaluation lists"

    @classmethod
    def check_spec(cls, spec) -> None:
        """No random split, no loss or Keras metrics other than the task's, no stages."""
        super().check_spec(spec)
        refuse_random_split(spec)
        if spec.training.loss != "auto":
            raise ValueError(f"training.loss: {spec.task} trains on {cls.trains_on}; use auto")
        if spec.training.metrics:
            raise ValueError(f"training.metrics: {spec.task} ranks {cls.ranks} each epoch itself; remove it")
        if spec.stages:
            raise ValueError(f"stages: task {spec.task} looks its ids up inside the model; remove `stages`")

    def check(self, examples) -> None:
        """Fail early unless the source gives interactions."""
        check_interactions(examples, self.spec.task)

    def split(self, examples, seed: int) -> tuple:
        """Leave-last-out per user, by time (seed unused: time decides)."""
        from models.tasks.leave_last_out import leave_last_out

        return tuple(examples.subset(rows) for rows in leave_last_out(examples.inputs["user_id"], examples.labels))

    def ranking(self, model, held_out) -> tuple[dict, dict]:
        """(the model's, the most-popular baseline's) metrics by name on `held_out`, `ndcg_at_10` among them."""
        raise NotImplementedError

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """`val_ndcg_at_10` (and the other ranking metrics) on the validation interactions, each epoch."""
        validation = splits[1]
        if not len(validation.labels):
            return Evaluation()
        found, _ = self.ranking(model, validation)
        return Evaluation({f"val_{name}": value for name, value in found.items()})

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """The held-out metrics next to the most-popular baseline's (`ranking_metrics.csv`); a verdict on NDCG@10."""
        from models.tasks.verdict import beat_baselines

        found, popular = self.ranking(model, held_out)
        metrics = {f"test_{name}": value for name, value in found.items()}
        metrics.update({f"test_popularity_baseline_{name}": value for name, value in popular.items()})
        metrics["test_ndcg_at_10_over_popularity"] = found["ndcg_at_10"] - popular["ndcg_at_10"]
        lines = ["metric,model,most_popular"] + [f"{name},{found[name]:.6g},{popular[name]:.6g}" for name in found]
        verdicts = beat_baselines("NDCG@10", found["ndcg_at_10"], {"most popular": popular["ndcg_at_10"]},
                                  higher_is_better=True)
        return Evaluation(metrics, tables={"ranking_metrics.csv": "\n".join(lines) + "\n"}, verdicts=verdicts)
