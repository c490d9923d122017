"""The `ranking` task's parts: negative sampling, candidate lists, the cross and dot models, refused spec keys."""

import copy

import numpy as np
import pytest

from models.tasks.ranking.candidates import candidate_lists
from models.tasks.ranking.negatives import SeenItems
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "interactions_ranking.yaml"


def _draw(index, users, count, seed):
    import keras

    return index.sample(keras.ops.convert_to_tensor(np.asarray(users, "int64")), count,
                        keras.random.SeedGenerator(seed)).numpy()


def test_negatives_are_never_items_the_user_trained_on_and_cover_the_rest():
    rng = np.random.default_rng(0)
    users, items = rng.integers(1, 21, 300), rng.integers(0, 50, 300)
    index = SeenItems.build(users, items, user_count=20, item_count=50)
    drawn = _draw(index, np.arange(0, 21), 400, seed=1)
    for user in range(21):
        seen = set(items[users == user].tolist())
        assert not seen & set(drawn[user].tolist()), user
        assert set(drawn[user].tolist()) == set(range(50)) - seen  # uniform over the unseen: every one appears


def test_negatives_are_seeded():
    index = SeenItems.build([1, 1, 2], [0, 3, 5], user_count=2, item_count=30)
    first, again, other = (_draw(index, [1, 2, 0], 8, seed) for seed in (7, 7, 8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_a_candidate_list_holds_the_held_out_item_once_and_only_items_never_interacted_with():
    seen = {"a": {0, 1, 2, 5}, "b": {3}}
    lists = candidate_lists(np.array(["a", "b", "a"], object), np.array([5, 3, 1]), seen, item_count=40,
                            count=10, seed=0)
    assert lists.items.shape == (3, 10) and lists.mask.all()
    for row, (user, target) in enumerate([("a", 5), ("b", 3), ("a", 1)]):
        items = lists.items[row].tolist()
        assert items.count(target) == 1 and items[lists.targets[row]] == target
        assert not (set(items) - {target}) & seen[user] and len(set(items)) == 10
    assert lists.labels().sum(axis=1).tolist() == [1.0, 1.0, 1.0]
    again = candidate_lists(np.array(["a"], object), np.array([5]), seen, item_count=40, count=10, seed=0)
    assert np.array_equal(again.items[0], lists.items[0])  # the same interaction, the same list
    other = candidate_lists(np.array(["a"], object), np.array([5]), seen, item_count=40, count=10, seed=1)
    assert not np.array_equal(other.items[0], lists.items[0])


def test_a_user_with_few_unseen_items_gets_a_shorter_masked_list():
    lists = candidate_lists(np.array(["a"], object), np.array([0]), {"a": {0, 1, 2}}, item_count=5, count=100,
                            seed=0)
    assert lists.items.shape == (1, 5) and lists.mask.tolist() == [[True, True, True, False, False]]
    assert sorted(lists.items[0][lists.mask[0]].tolist()) == [0, 3, 4]


def _ranker(interaction, **features):
    from models.backbones.mlp import MlpOptions, mlp
    from models.tasks.ranking.head import RankingHead
    from models.tasks.ranking.model import build_ranker, interaction_width

    head = RankingHead(id_embedding_dim=4, interaction=interaction, negatives=3)
    seen = SeenItems.build([1, 2], [0, 1], user_count=2, item_count=3)
    return build_ranker(mlp(MlpOptions(units=[5]), input_shape=(interaction_width(head),)), users=["a", "b"],
                        items=["x", "y", "z"], seen=seen, head=head, seed=0, **features)


@pytest.mark.parametrize("interaction, layer", [("cross", "cross_1"), ("dot", "dot")])
def test_cross_and_dot_models_score_a_pair_or_a_list_and_unknown_ids(interaction, layer):
    import tensorflow as tf

    item_features = ({"item_genre": "categorical"}, {"item_genre": np.array(["rock", "pop", "rock"], object)})
    model = _ranker(interaction, item_features=item_features)
    assert model.scorer.get_layer(layer) is not None
    pairs = model({"user_id": tf.constant(["a", "stranger"]), "item_id": tf.constant(["z", "unknown"])})
    lists = model({"user_id": tf.constant(["a", "b"]), "item_id": tf.constant([["x", "y", "z", "new"]] * 2)})
    assert pairs.shape == (2,) and lists.shape == (2, 4) and np.isfinite(lists.numpy()).all()
    assert lists.numpy()[0, 2] == pytest.approx(float(pairs[0]), abs=1e-5)  # a list scores each pair alike
    x = {"user_id": tf.constant(["a", "b"]), "item_id": tf.constant(["x", "y"])}
    assert float(model.compute_loss(x, None, model(x))) > 0


@pytest.mark.parametrize("change, key", [({"training": {"loss": "mse"}}, "training.loss"),
                                         ({"training": {"metrics": ["accuracy"]}}, "training.metrics"),
                                         ({"data": {"split": {"test": 0.1}}}, "data.split.test"),
                                         ({"model": {"head": {"interaction": "concat"}}}, "model.head.interaction")])
def test_keys_the_task_owns_are_refused(change, key):
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    for section, values in change.items():
        spec[section].update(values) if section != "model" else spec["model"]["head"].update(values["head"])
    with pytest.raises(SpecError, match=key.replace(".", r"\.")):
        load_spec(copy.deepcopy(spec))


def test_a_rating_target_needs_ratings_and_the_pointwise_objective():
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    spec["model"]["head"].update(target="rating", objective="pairwise")
    with pytest.raises(SpecError, match=r"model\.head\.objective: pairwise"):
        load_spec(copy.deepcopy(spec))
    spec["model"]["head"]["objective"] = "pointwise"
    assert load_spec(copy.deepcopy(spec)).model.head.target == "rating"
    del spec["data"]["source"]["rating_column"]
    with pytest.raises(SpecError, match=r"model\.head\.target: rating needs the ratings"):
        load_spec(spec)


def test_the_rating_loss_fits_ratings_and_zero_for_sampled_items():
    import tensorflow as tf

    from models.tasks.ranking.head import RankingHead

    model = _ranker("cross")
    model.objective = "rating"
    x = {"user_id": tf.constant(["a", "b"]), "item_id": tf.constant(["x", "y"])}
    near = float(model.compute_loss(x, tf.constant([0.0, 0.0]), model(x)))
    far = float(model.compute_loss(x, tf.constant([5.0, 5.0]), model(x)))
    assert far > near + 5  # the observed ratings are the positives' targets
    assert RankingHead(target="rating").target == "rating"


def test_the_shipped_spec_validates():
    assert load_spec(SPEC).task == "ranking"
