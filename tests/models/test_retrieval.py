"""The `retrieval` task's parts: the leave-last-out split, refused spec keys, candidate masks and ranking metrics."""

import copy

import numpy as np
import pytest

from models.tasks.retrieval.scoring import candidate_mask, ranking_metrics
from models.tasks.leave_last_out import leave_last_out
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "interactions_retrieval.yaml"


def test_leave_last_out_holds_out_each_users_last_interactions_by_time():
    users = np.array(["a", "b", "a", "a", "b", "c", "a"], object)
    times = np.array([10.0, 5.0, 30.0, 20.0, 1.0, 7.0, 40.0])
    train, validation, test = leave_last_out(users, times)
    assert test.tolist() == [1, 6]  # b's last (t=5), a's last (t=40)
    assert validation.tolist() == [2]  # a's second to last (t=30); b has two interactions, so none
    assert train.tolist() == [0, 3, 4, 5]  # the rest, c's only interaction included
    assert sorted([*train, *validation, *test]) == list(range(7))


def test_leave_last_out_breaks_time_ties_by_source_order():
    train, validation, test = leave_last_out(np.array(["u"] * 3, object), np.zeros(3))
    assert (train.tolist(), validation.tolist(), test.tolist()) == ([0], [1], [2])


def test_every_held_out_user_trained():
    rng = np.random.default_rng(0)
    users = rng.choice([f"u{i}" for i in range(30)], size=200).astype(object)
    train, validation, test = leave_last_out(users, rng.random(200))
    assert set(users[validation]) <= set(users[train]) and set(users[test]) <= set(users[train])
    assert len(test) == len(set(users[test])) and len(validation) == len(set(users[validation]))


@pytest.mark.parametrize("key, value", [("validation", 0.2), ("test", 0.1), ("stratify", False)])
def test_a_random_split_is_refused_naming_the_key(key, value):
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    spec["data"]["split"] = {key: value}
    with pytest.raises(SpecError, match=f"data.split.{key}: task retrieval splits by time per user"):
        load_spec(copy.deepcopy(spec))


def test_the_shipped_spec_validates():
    assert load_spec(SPEC).task == "retrieval"


def test_seen_items_leave_the_candidates_but_the_target_stays():
    assert candidate_mask(4, [{0, 2}, {1}], np.array([2, 3])).tolist() == [
        [False, True, True, True], [True, False, True, True]]


def test_ranking_metrics_rank_among_unseen_items_only():
    scores = np.array([[0.9, 0.8, 0.1, 0.5]], "float32")  # the target (3) ranks 3rd, 2nd without seen item 0
    plain = ranking_metrics(scores, np.array([3]), [set()], recall_at=[1, 2])
    unseen = ranking_metrics(scores, np.array([3]), [{0}], recall_at=[1, 2])
    assert plain["mrr"] == pytest.approx(1 / 3) and unseen["mrr"] == pytest.approx(1 / 2)
    assert unseen["ndcg_at_10"] == pytest.approx(1 / np.log2(3))
    assert (plain["recall_at_2"], unseen["recall_at_2"], unseen["recall_at_1"]) == (0.0, 1.0, 0.0)


def _two_tower(**features):
    from models.backbones.mlp import MlpOptions, mlp
    from models.tasks.retrieval.head import RetrievalHead
    from models.tasks.retrieval.model import build_two_tower

    head = RetrievalHead(id_embedding_dim=4, embedding_dim=3)
    return build_two_tower(mlp(MlpOptions(units=[5]), input_shape=(4,)), users=["a", "b"], items=["x", "y", "z"],
                           item_shares=[0.5, 0.3, 0.2], head=head, **features)


def test_towers_read_their_ids_features_inside_the_model_and_give_unit_embeddings():
    import tensorflow as tf

    user_features = ({"user_age": "numeric"}, {"user_age": np.array([20.0, 60.0], "float32")})
    item_features = ({"item_genre": "categorical"}, {"item_genre": np.array(["rock", "pop", "rock"], object)})
    model = _two_tower(user_features=user_features, item_features=item_features)
    table = model.user_tower.get_layer("user_age_table")
    assert np.isnan(table(tf.constant([0, 2])).numpy()[0]) and table(tf.constant([2])).numpy()[0] == 60.0
    out = model({"user_id": tf.constant(["a", "stranger"]), "item_id": tf.constant(["z", "x"])})
    assert out["user"].shape == (2, 3) and np.allclose(np.linalg.norm(out["item"], axis=1), 1.0, atol=1e-5)


def test_the_in_batch_loss_ignores_another_rows_copy_of_the_positive_item():
    import tensorflow as tf

    model = _two_tower()
    x = {"user_id": tf.constant(["a", "b"]), "item_id": tf.constant(["x", "x"])}
    loss = float(model.compute_loss(x, None, model(x)))
    assert loss == pytest.approx(0.0, abs=1e-4)  # each row's only negative is its own item again: masked


@pytest.mark.parametrize("change, key", [({"training": {"loss": "mse"}}, "training.loss"),
                                         ({"training": {"metrics": ["accuracy"]}}, "training.metrics"),
                                         ({"training": {"backend": "jax"}}, "training.backend")])
def test_keys_the_task_owns_are_refused(change, key):
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    for section, values in change.items():
        spec[section].update(values)
    with pytest.raises(SpecError, match=key.replace(".", r"\.")):
        load_spec(spec)


@pytest.mark.slow
def test_recommend_by_features_answers_new_users_from_their_features(tmp_path):
    import pandas as pd
    import tensorflow as tf
    import yaml

    from data.sources.interactions import load_interactions
    from data.synthetic.interactions import interactions_frame
    from models.backbones.mlp import MlpOptions, mlp
    from pipelines.registry import tasks
    from serving.loading import load_export
    from serving.publish import export_archive

    frame = interactions_frame(users=40, items=30, groups=3, per_user=(4, 8), seed=0)
    frame.to_csv(tmp_path / "plays.csv", index=False)
    users = sorted(set(frame.user_id))
    taste = [f"g{int(user[1:]) % 3}" for user in users]  # the synthetic taste groups, as a user feature
    pd.DataFrame({"user_id": users, "taste": taste, "age": np.linspace(18, 70, len(users))}).to_csv(
        tmp_path / "users.csv", index=False)
    spec = yaml.safe_load(SPEC.read_text())
    spec["data"]["source"] = {"type": "interactions", "path": str(tmp_path / "plays.csv"),
                              "timestamp_column": "timestamp", "users": {"path": str(tmp_path / "users.csv")}}
    spec["model"]["head"].update(id_embedding_dim=4, embedding_dim=4, top_k=3)
    spec = load_spec(spec)
    task = tasks.get("retrieval").build(spec)
    examples = load_interactions(spec.data.source)
    train, _, _ = task.split(examples, spec.seed)
    task.prepare(examples, train)
    model = task.build_model(mlp(MlpOptions(units=[8]), input_shape=(4,)), None)
    model.compile(optimizer="adam")
    pairs = {"user_id": train.inputs["user_id"].astype(str), "item_id": train.inputs["item_id"].astype(str)}
    model.fit(tf.data.Dataset.from_tensor_slices((pairs, np.zeros(len(train.labels), "float32"))).batch(16),
              steps_per_epoch=3, shuffle=False, verbose=0)
    export = export_archive(tmp_path / "export" / "1", *task.export_endpoints(model, None))

    by_features = load_export(export).signatures["recommend_by_features"]
    assert set(by_features.structured_input_signature[1]) == {"user_taste", "user_age", "k"}
    answer = by_features(user_taste=tf.constant(["g0", "g1", "g2", ""]),
                         user_age=tf.constant([25.0, 25.0, 60.0, np.nan]), k=tf.constant(5))
    ids = answer["item_ids"].numpy()
    assert ids.shape == answer["scores"].shape == (4, 5) and set(ids.ravel().astype(str)) <= set(task.items)
    assert len({tuple(row) for row in ids[:3]}) > 1  # different tastes, different lists
    popular = load_export(export).signatures["recommend"](user_ids=tf.constant(["a new user"]), k=tf.constant(5))
    assert any((row != popular["item_ids"].numpy()[0]).any() for row in ids)  # not the popularity fallback
