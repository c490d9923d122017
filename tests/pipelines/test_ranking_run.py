"""Ranking end to end on the shipped spec, cut small: it beats most-popular on NDCG@10 through the export."""

from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
import yaml

from data.sources.interactions import InteractionsOptions, load_interactions
from models.tasks.ranking.candidates import candidate_lists
from models.tasks.leave_last_out import leave_last_out
from pipelines.cli import main
from pipelines.runner import run
from serving.loading import load_export
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SPEC = REPO / "pipelines" / "specs" / "interactions_ranking.yaml"


@pytest.fixture(scope="module")
def ranking_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ranking")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        spec = yaml.safe_load(SPEC.read_text())
        source = spec["data"]["source"]
        source["path"], source["items"]["path"] = str(root / "interactions.csv"), str(root / "items.csv")
        source["generate"].update(users=300, items=120, groups=6)
        spec["data"]["batch_size"] = 128
        spec["training"].update(epochs=6, verbose=0)
        spec["export"].update(gates=[], parity_samples=8, warmup_samples=1)
        result = run(spec)
    examples = load_interactions(InteractionsOptions(path=source["path"], timestamp_column="timestamp"))
    train, _, test = leave_last_out(examples.inputs["user_id"], examples.labels)
    return SimpleNamespace(result=result, export=root / result.export_path, users=examples.inputs["user_id"],
                           items=examples.inputs["item_id"], train=train, test=test, seed=spec["seed"])


def test_ranking_beats_most_popular_on_ndcg_at_10_through_the_export(ranking_run):
    run_ = ranking_run
    corpus = sorted(set(run_.items.tolist()))
    position = {item: i for i, item in enumerate(corpus)}
    interacted: dict[str, set[int]] = {}
    for user, item in zip(run_.users.tolist(), run_.items.tolist()):
        interacted.setdefault(user, set()).add(position[item])
    users = run_.users[run_.test]
    lists = candidate_lists(users, np.array([position[i] for i in run_.items[run_.test]]), interacted, len(corpus),
                            100, run_.seed)
    names = np.array(corpus, object)[lists.items]
    scores = load_export(run_.export).signatures["score"](user_ids=tf.constant(users.astype(str)),
                                                          item_ids=tf.constant(names.astype(str)))["scores"].numpy()
    assert scores.shape == lists.items.shape
    counts = np.bincount([position[i] for i in run_.items[run_.train]], minlength=len(corpus))

    def ndcg_at_10(table):  # one relevant item: 1 / log2(rank + 1) of its 1-based rank among the real candidates
        table = np.where(lists.mask, table, -np.inf)
        target = table[np.arange(len(table)), lists.targets]
        rank = 1 + (table > target[:, None]).sum(axis=1)
        return float(np.mean(np.where(rank <= 10, 1 / np.log2(rank + 1), 0.0)))

    model, baseline = ndcg_at_10(scores), ndcg_at_10(counts[lists.items].astype(float))
    metrics = run_.result.metrics
    print(f"through the export: NDCG@10 {model:.4f}, most popular {baseline:.4f}")
    assert model == pytest.approx(metrics["test_ndcg_at_10"], abs=0.01)  # the export ranks as evaluation did
    assert baseline == pytest.approx(metrics["test_popularity_baseline_ndcg_at_10"], abs=0.03)  # up to ties
    assert model > baseline + 0.05, (model, baseline)
    assert any("beat every baseline" in verdict for verdict in run_.result.verdicts)


def test_score_answers_unknown_ids_and_serving_default_is_score(ranking_run):
    loaded = load_export(ranking_run.export)
    known_user, known_item = str(ranking_run.users[0]), str(ranking_run.items[0])
    request = {"user_ids": tf.constant([known_user, "nobody"]),
               "item_ids": tf.constant([[known_item, "no such item"], [known_item, known_item]])}
    scored = loaded.signatures["score"](**request)["scores"].numpy()
    default = loaded.signatures["serving_default"](**request)["scores"].numpy()
    assert scored.shape == (2, 2) and np.isfinite(scored).all()
    np.testing.assert_allclose(default, scored)
    assert scored[1, 0] == scored[1, 1]


def test_the_export_passed_parity_and_kpipe_predict_scores_pairs(ranking_run, tmp_path, capsys):
    from mlflow import MlflowClient

    result = ranking_run.result
    logged = MlflowClient(result.tracking_uri).get_run(result.run_id).data.metrics
    assert logged["export_parity_max_abs_diff"] <= 1e-4 and logged["export_parity_top1_agreement"] == 1.0
    rows = tmp_path / "pairs.csv"
    rows.write_text(f"user_ids,item_ids\n{ranking_run.users[0]},{ranking_run.items[0]}\nnobody,nothing\n")
    capsys.readouterr()
    assert main(["predict", str(ranking_run.export), "--rows", str(rows)]) == 0
    printed = capsys.readouterr().out
    assert "scores" in printed and len(printed.splitlines()) >= 5, printed
