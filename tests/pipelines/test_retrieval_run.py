"""Retrieval end to end on the shipped spec, cut small: it beats most-popular on NDCG@10 through the export."""

from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
import yaml

from data.sources.interactions import InteractionsOptions, load_interactions
from models.tasks.leave_last_out import leave_last_out
from pipelines.cli import main
from pipelines.runner import run
from serving.loading import load_export
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SPEC = REPO / "pipelines" / "specs" / "interactions_retrieval.yaml"


@pytest.fixture(scope="module")
def retrieval_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("retrieval")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        spec = yaml.safe_load(SPEC.read_text())
        source = spec["data"]["source"]
        source["path"] = str(root / "interactions.csv")
        source["generate"].update(users=300, items=120, groups=6)
        spec["data"]["batch_size"] = 128
        spec["training"].update(epochs=8, verbose=0)
        spec["export"].update(gates=[], parity_samples=8, warmup_samples=1)
        result = run(spec)
    examples = load_interactions(InteractionsOptions(path=source["path"], timestamp_column="timestamp"))
    train, _, test = leave_last_out(examples.inputs["user_id"], examples.labels)
    return SimpleNamespace(result=result, export=root / result.export_path, root=root, users=examples.inputs["user_id"],
                           items=examples.inputs["item_id"], train=train, test=test)


def _ndcg_at_10(ranked: list[list[str]], targets, seen: list[set[str]]) -> float:
    """NDCG@10 with one relevant item: 1 / log2(rank + 1) of the target's 1-based rank among unseen items."""
    gains = []
    for items, target, known in zip(ranked, targets, seen):
        unseen = [item for item in items if item not in known or item == target][:10]
        gains.append(1 / np.log2(unseen.index(target) + 2) if target in unseen else 0.0)
    return float(np.mean(gains))


def test_retrieval_beats_most_popular_on_ndcg_at_10_through_the_export(retrieval_run):
    run_ = retrieval_run
    seen: dict[str, set[str]] = {}
    for i in run_.train:
        seen.setdefault(run_.users[i], set()).add(run_.items[i])
    users = run_.users[run_.test]
    targets = run_.items[run_.test]
    recommend = load_export(run_.export).signatures["recommend"]
    corpus = len(set(run_.items))
    answered = recommend(user_ids=tf.constant(users.astype(str)), k=tf.constant(corpus))["item_ids"].numpy()
    ranked = [[item.decode() for item in row] for row in answered]
    counts = {}
    for i in run_.train:
        counts[run_.items[i]] = counts.get(run_.items[i], 0) + 1
    popular = sorted(counts, key=lambda item: -counts[item])
    user_seen = [seen[user] for user in users]
    model = _ndcg_at_10(ranked, targets, user_seen)
    baseline = _ndcg_at_10([popular] * len(users), targets, user_seen)
    metrics = run_.result.metrics
    print(f"through the export: NDCG@10 {model:.4f}, most popular {baseline:.4f}")
    assert model == pytest.approx(metrics["test_ndcg_at_10"], abs=0.01)  # the export ranks as evaluation did
    assert model > baseline + 0.05 and model > 1.4 * baseline, (model, baseline)
    assert metrics["test_ndcg_at_10_over_popularity"] > 0.05
    assert any("beat every baseline" in verdict for verdict in run_.result.verdicts)


def test_recommend_takes_k_and_answers_an_unknown_user_with_the_most_popular_items(retrieval_run):
    loaded = load_export(retrieval_run.export)
    known = str(retrieval_run.users[0])
    default = loaded.signatures["serving_default"](user_ids=tf.constant([known, "nobody"]))
    assert default["item_ids"].shape == (2, 10) and default["scores"].shape == (2, 10)
    answered = loaded.signatures["recommend"](user_ids=tf.constant([known, "nobody", "nobody either"]),
                                               k=tf.constant(3))
    assert answered["item_ids"].shape == (3, 3)
    scores = answered["scores"].numpy()
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first
    counts = {}
    for i in retrieval_run.train:
        counts[retrieval_run.items[i]] = counts.get(retrieval_run.items[i], 0) + 1
    top = sorted(counts, key=lambda item: -counts[item])[:3]
    assert [v.decode() for v in answered["item_ids"].numpy()[1]] == top
    assert answered["item_ids"].numpy()[1].tolist() == answered["item_ids"].numpy()[2].tolist()
    assert scores[1, 0] == pytest.approx(counts[top[0]] / len(retrieval_run.train))
    assert default["item_ids"].numpy()[0, :3].tolist() == answered["item_ids"].numpy()[0].tolist()
    everything = loaded.signatures["recommend"](user_ids=tf.constant([known]), k=tf.constant(10**6))
    assert everything["item_ids"].shape[1] == len(set(retrieval_run.items))  # k: at most the corpus


def test_the_export_passed_parity_and_kpipe_predict_lists_the_items(retrieval_run, tmp_path, capsys):
    from mlflow import MlflowClient

    result = retrieval_run.result
    logged = MlflowClient(result.tracking_uri).get_run(result.run_id).data.metrics
    assert logged["export_parity_topk_agreement"] == 1.0
    rows = tmp_path / "users.csv"
    rows.write_text(f"user_ids\n{retrieval_run.users[0]}\n")
    capsys.readouterr()
    assert main(["predict", str(retrieval_run.export), "--rows", str(rows)]) == 0
    printed = capsys.readouterr().out
    assert "item_ids" in printed and printed.count(", ") >= 9, printed
