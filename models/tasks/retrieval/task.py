"""`retrieval`: recommend items to users, trained as a two-tower model on an interactions table (keras-rs).

User and item features (the source's `users:` and `items:` tables, joined as
`user_<column>` and `item_<column>` columns) are encoded inside each tower
with the tabular column handling (a FeatureSpace), from a copy of each id's row
kept in the model, so the export still takes user ids alone. With user
features, the export also recommends for a new user given by features alone
(`recommend_by_features`, cold start).

Owns the split (leave-last-out by time per user: each user's last interaction
is test, the one before it validation, never a random split:
`models.tasks.leave_last_out`), the corpus (every item of the source), the
model (`models.tasks.retrieval.model`: user and item towers, an in-batch
softmax with keras-rs's popularity correction, accidental-hit removal and
optional hard-negative mining), the metrics (`models.tasks.retrieval.scoring`:
keras-rs recall@k, NDCG@10 and MRR over the whole corpus, leaving out the
items each user interacted with in the training split, next to the
most-popular-items baseline of the training split; `val_ndcg_at_10` each
epoch drives early stopping) and the export (`models.tasks.retrieval.export`:
`serving_default(user_ids)` and `recommend(user_ids, k)` -> `item_ids`,
`scores`, with the item index rebuilt inside the SavedModel at each export;
an unknown user gets the most popular items; with user features also
`recommend_by_features(user_<column>..., k)`: one raw input per user feature
column, the user tower run on the unknown id joined by them). The parity
check: the export's top-k items of the test users are the Keras model's, in
the same order.

Example (YAML):
    task: retrieval
    data:
      source: {type: interactions, path: data/generated/interactions.csv, timestamp_column: timestamp,
               generate: {users: 1000, items: 500}}
      batch_size: 256
    model:
      backbone: {source: builtin, name: mlp, config: {units: [64]}}
      head: {embedding_dim: 32, top_k: 10}
"""

from __future__ import annotations

import sys

import numpy as np

from models.tasks.interactions import InteractionsTask
from models.tasks.retrieval.head import RetrievalHead
from pipelines.registry import tasks

@tasks.register("retrieval", RetrievalHead)
class Retrieval(InteractionsTask):
    """Recommend items to users: two towers, in-batch softmax, a top-k export with the item index inside."""

    trains_on = "the in-batch softmax of its two towers"
    ranks = "the whole corpus for recall@k, NDCG@10 and MRR (model.head.recall_at sets the k)"

    # Data -------------------------------------------------------------------------------------

    def prepare(self, examples, train) -> None:
        """The corpus (every item of the source), the trained users, popularity and each user's training items."""
        from models.tasks.interactions import feature_table

        self.items = sorted(set(examples.inputs["item_id"].tolist()))
        self.users = sorted(set(train.inputs["user_id"].tolist()))
        self.item_index = {item: i for i, item in enumerate(self.items)}
        train_items = self._indices(train)
        counts = np.bincount(train_items, minlength=len(self.items))
        self.shares = counts / max(counts.sum(), 1)
        self.popular = np.argsort(-counts, kind="stable")
        self.user_features = feature_table(train, "user", self.users)
        self.item_features = feature_table(examples, "item", self.items)
        self.seen: dict[str, set[int]] = {}
        for user, item in zip(train.inputs["user_id"].tolist(), train_items.tolist()):
            self.seen.setdefault(user, set()).add(item)
        print(f"Retrieval: {len(self.users)} users, {len(self.items)} items, {len(train_items)} training "
              f"interactions", file=sys.stderr)

    def _indices(self, examples) -> np.ndarray:
        return np.array([self.item_index[item] for item in examples.inputs["item_id"].tolist()], "int64")

    def targets(self):
        """(user and item ids, a dummy target): the loss is the model's own in-batch softmax."""
        import tensorflow as tf

        return lambda columns, time: ({"user_id": columns["user_id"], "item_id": columns["item_id"]},
                                      tf.zeros([], tf.float32))

    # Model ------------------------------------------------------------------------------------

    def backbone_input_shape(self, input_shape):
        """The id embedding's width: the backbone is the user tower's body (a copy of it the item tower's)."""
        return (self.head.id_embedding_dim,)

    def build_model(self, backbone, input_shape):
        """`TwoTower` (`models.tasks.retrieval.model`) over the trained users and the whole corpus."""
        from models.tasks.retrieval.model import build_two_tower

        return build_two_tower(backbone, users=self.users, items=self.items, item_shares=self.shares,
                               head=self.head, name=self.spec.name.replace("-", "_"),
                               user_features=self.user_features, item_features=self.item_features)

    def compile_options(self) -> dict:
        """Nothing: the model computes its own loss (`TwoTower.compute_loss`); ranking metrics come each epoch."""
        return {}

    # Evaluation -------------------------------------------------------------------------------

    def ranking(self, model, held_out) -> tuple[dict, dict]:
        """(the model's, the most-popular baseline's) recall@k, NDCG@10 and MRR on `held_out` interactions."""
        from models.tasks.retrieval.scoring import item_embeddings, ranking_metrics, user_scores

        users = held_out.inputs["user_id"]
        targets = self._indices(held_out)
        seen = [self.seen.get(user, set()) for user in users.tolist()]
        scores = user_scores(model, users, item_embeddings(model, self.items))
        found = ranking_metrics(scores, targets, seen, self.head.recall_at)
        shares = self.shares.astype("float32")
        popular = ranking_metrics(lambda rows: np.broadcast_to(shares, (len(rows), len(shares))), targets, seen,
                                  self.head.recall_at)
        return found, popular

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default(user_ids)`, `recommend(user_ids, k)` and, with user features,
        `recommend_by_features(<user feature columns>, k)`; the item index embedded afresh."""
        from models.tasks.retrieval.export import recommend_endpoints
        from models.tasks.retrieval.scoring import item_embeddings

        return recommend_endpoints(model, self.items, item_embeddings(model, self.items), self.popular,
                                   self.shares, self.head.top_k)

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per held-out interaction: its user id."""
        users = examples.inputs["user_id"]
        return [{self.input_name: np.array([users[i].encode("utf-8")], object)} for i in indices]

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --rows` with a one-column CSV of the request's user ids."""
        from pathlib import Path

        path = Path(folder) / "users.csv"
        ids = [value.decode("utf-8") if isinstance(value, bytes) else str(value) for value in request[self.input_name]]
        path.write_text("\n".join([self.input_name, *ids]) + "\n", encoding="utf-8")
        return ["--rows", str(path)]

    def reference(self, model, datasets, requests) -> dict:
        """The Keras model's top `top_k` item ids and scores for the requests' users (unknown: most popular)."""
        from models.tasks.retrieval.export import top_items
        from models.tasks.retrieval.scoring import item_embeddings

        users = np.concatenate([r[self.input_name] for r in requests])
        users = np.array([u.decode("utf-8") if isinstance(u, bytes) else str(u) for u in users], object)
        ids, scores = top_items(model, users, self.items, item_embeddings(model, self.items), self.head.top_k)
        known = np.isin(users, self.users)
        k = ids.shape[1]
        popular = self.popular[:k]
        ids[~known] = np.array([self.items[i].encode("utf-8") for i in popular], object)
        scores[~known] = self.shares[popular]
        return {"item_ids": ids, "scores": scores}

    def parity(self, served: dict, reference: dict) -> dict[str, float]:
        """The share of users whose top-k items (in order) match, and the largest score difference."""
        same = np.all(np.asarray(served["item_ids"]) == reference["item_ids"], axis=1)
        difference = np.abs(np.asarray(served["scores"], "float64") - reference["scores"])
        return {"export_parity_topk_agreement": float(same.mean()),
                "export_parity_max_abs_diff": float(difference.max())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Every user's top-k items the same, in the same order, and every score within `tolerance`."""
        return parity["export_parity_topk_agreement"] == 1.0 and parity["export_parity_max_abs_diff"] <= tolerance

