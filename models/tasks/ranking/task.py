"""`ranking`: score candidate items for a user with feature crosses (keras-rs), trained on interactions.

The data is an interactions table (`data.sources.interactions`: user id, item
id, optional rating and timestamp, optional user and item feature tables,
joined as `user_<column>` and `item_<column>` columns and encoded inside the
model with the tabular column handling). The split is by time per user,
never at random: each user's last interaction is test, the one before it
validation (`models.tasks.leave_last_out`).

Training (`models.tasks.ranking.model`): every observed training interaction is
a positive; `model.head.negatives` items per positive are sampled, seeded and
afresh each step, uniformly among the items the user has no training
interaction with (`models.tasks.ranking.negatives`); the loss is pointwise
(binary cross-entropy) or pairwise (BPR), `model.head.objective`; with
`model.head.target: rating` the squared error to the interaction's rating
(a sampled item's target is 0). The model
embeds the user and item ids (and their features), crosses them with keras-rs
`FeatureCross` layers (DCN-v2) or `DotInteraction`, then the spec's backbone
and a one-unit score.

Evaluation protocol (the leave-one-out protocol of the NCF papers): each
held-out interaction's item is ranked among `model.head.candidates` items
(default 100): itself and 99 the user never interacted with (in any split),
drawn with the run's seed (`models.tasks.ranking.candidates`). Metrics from
keras-rs on those lists: NDCG@10, recall@10 (the hit rate, one relevant item)
and MRR, next to the most-popular baseline, which ranks the same lists by
their items' counts of training interactions. The validation interactions are
ranked the same way after each epoch, so early stopping watches
`val_ndcg_at_10`.

Export (`models.tasks.ranking.export`): `serving_default` = `score(user_ids
[batch], item_ids [batch, candidates])` -> `scores [batch, candidates]`;
unknown ids get the out-of-vocabulary embedding. The parity check: the
export's scores of the test candidate lists equal the Keras model's within
`export.parity_tolerance`.

Example (YAML):
    task: ranking
    data:
      source: {type: interactions, path: data/generated/interactions.csv, timestamp_column: timestamp,
               generate: {users: 1000, items: 500}}
      batch_size: 256
    model:
      backbone: {source: builtin, name: mlp, config: {units: [64, 32]}}
      head: {interaction: cross, cross_layers: 2, negatives: 4, candidates: 100}
"""

from __future__ import annotations

import sys

import numpy as np

from models.tasks.interactions import InteractionsTask
from models.tasks.ranking.head import RankingHead
from pipelines.registry import tasks


@tasks.register("ranking", RankingHead)
class Ranking(InteractionsTask):
    """Score (user, item) pairs: id embeddings crossed by keras-rs layers, sampled negatives, a `score` export."""

    trains_on = "sampled negatives with model.head.objective (pointwise or pairwise)"
    ranks = "candidate lists for NDCG@10, recall@10 and MRR (model.head.candidates sets their length)"

    @classmethod
    def check_spec(cls, spec) -> None:
        """The rules of every interactions task, and a rating target needs ratings (and a pointwise objective)."""
        super().check_spec(spec)
        head = spec.model.head
        if head.target == "rating" and getattr(spec.data.source, "rating_column", None) is None:
            raise ValueError("model.head.target: rating needs the ratings: set data.source.rating_column "
                             "(or use target: implicit)")
        if head.target == "rating" and head.objective == "pairwise":
            raise ValueError("model.head.objective: pairwise compares two scores and has no rating to fit; use "
                             "pointwise with target: rating (or target: implicit)")

    # Data -------------------------------------------------------------------------------------

    def prepare(self, examples, train) -> None:
        """The corpus, the trained users, training popularity, the training interactions' index (negatives are
        drawn outside it) and each user's items in any split (candidate lists are drawn outside those)."""
        from models.tasks.interactions import feature_table
        from models.tasks.ranking.negatives import SeenItems

        self.items = sorted(set(examples.inputs["item_id"].tolist()))
        self.users = sorted(set(train.inputs["user_id"].tolist()))
        self.item_index = {item: i for i, item in enumerate(self.items)}
        user_index = {user: i + 1 for i, user in enumerate(self.users)}  # lookup indices: 0 is unknown
        train_items = self._positions(train)
        self.counts = np.bincount(train_items, minlength=len(self.items))
        train_users = np.array([user_index[u] for u in train.inputs["user_id"].tolist()], "int64")
        self.seen = SeenItems.build(train_users, train_items, len(self.users), len(self.items))
        self.interacted: dict[str, set[int]] = {}
        for user, item in zip(examples.inputs["user_id"].tolist(), self._positions(examples).tolist()):
            self.interacted.setdefault(user, set()).add(item)
        self.user_index = user_index
        self.user_features = feature_table(train, "user", self.users)
        self.item_features = feature_table(examples, "item", self.items)
        print(f"Ranking: {len(self.users)} users, {len(self.items)} items, {len(train_items)} training "
              f"interactions, {self.head.negatives} sampled negatives each", file=sys.stderr)

    def _positions(self, examples) -> np.ndarray:
        return np.array([self.item_index[item] for item in examples.inputs["item_id"].tolist()], "int64")

    def targets(self):
        """(user and item ids, the rating with `target: rating`, else a dummy): the loss samples its own negatives."""
        import tensorflow as tf

        rating = self.head.target == "rating"
        return lambda columns, time: ({"user_id": columns["user_id"], "item_id": columns["item_id"]},
                                      tf.cast(columns["rating"], tf.float32) if rating else tf.zeros([], tf.float32))

    def candidates(self, held_out):
        """The held-out interactions' `CandidateLists` (`models.tasks.ranking.candidates`)."""
        from models.tasks.ranking.candidates import candidate_lists

        return candidate_lists(held_out.inputs["user_id"], self._positions(held_out), self.interacted,
                               len(self.items), self.head.candidates, self.spec.seed)

    # Model ------------------------------------------------------------------------------------

    def backbone_input_shape(self, input_shape):
        """The crossed user and item vectors' width (`models.tasks.ranking.model.interaction_width`)."""
        from models.tasks.ranking.model import interaction_width

        return (interaction_width(self.head),)

    def build_model(self, backbone, input_shape):
        """`Ranker` (`models.tasks.ranking.model`) over the trained users and the whole corpus."""
        from models.tasks.ranking.model import build_ranker

        return build_ranker(backbone, users=self.users, items=self.items, seen=self.seen, head=self.head,
                            seed=self.spec.seed, name=self.spec.name.replace("-", "_"),
                            user_features=self.user_features, item_features=self.item_features)

    def compile_options(self) -> dict:
        """Nothing: the model computes its own loss (`Ranker.compute_loss`); ranking metrics come each epoch."""
        return {}

    # Evaluation -------------------------------------------------------------------------------

    def ranking(self, model, held_out) -> tuple[dict, dict]:
        """(the model's, the most-popular baseline's) NDCG@10, recall@10 and MRR on `held_out`'s candidate lists."""
        from models.tasks.ranking.scoring import list_metrics, model_scores, popularity_scores

        lists = self.candidates(held_out)
        users = np.array([self.user_index.get(u, 0) for u in held_out.inputs["user_id"].tolist()], "int64")
        found = list_metrics(model_scores(model, users, lists.items), lists)
        return found, list_metrics(popularity_scores(self.counts, lists.items), lists)

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default` = `score(user_ids, item_ids)` -> `scores`."""
        from models.tasks.ranking.export import score_endpoints

        return score_endpoints(model)

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per held-out interaction: its user id and its candidate list's item ids (as evaluated)."""
        lists = self.candidates(examples)
        users = examples.inputs["user_id"]
        names = np.asarray([item.encode("utf-8") for item in self.items], object)
        return [{"user_ids": np.array([users[i].encode("utf-8")], object),
                 "item_ids": names[lists.items[i]][None, :]} for i in indices]  # padding repeats the held-out item

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --rows` with a CSV of one (user_ids, item_ids) pair per row: every candidate of the
        request's users."""
        from pathlib import Path

        def text(value):
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)

        lines = ["user_ids,item_ids"]
        for user, items in zip(request["user_ids"], request["item_ids"]):
            lines += [f"{text(user)},{text(item)}" for item in np.asarray(items).reshape(-1)]
        path = Path(folder) / "pairs.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return ["--rows", str(path)]

    def reference(self, model, datasets, requests) -> dict:
        """The Keras model's scores of each request's candidates."""
        import tensorflow as tf

        users = np.concatenate([r["user_ids"] for r in requests])
        items = np.concatenate([r["item_ids"] for r in requests])
        return {"scores": np.asarray(model({"user_id": tf.constant(users), "item_id": tf.constant(items)}))}

    def parity(self, served: dict, reference: dict) -> dict[str, float]:
        """The largest score difference and the share of lists whose best item is the same."""
        served_scores = np.asarray(served["scores"], "float64")
        difference = np.abs(served_scores - reference["scores"])
        same = np.argmax(served_scores, axis=1) == np.argmax(reference["scores"], axis=1)
        return {"export_parity_max_abs_diff": float(difference.max()),
                "export_parity_top1_agreement": float(same.mean())}

