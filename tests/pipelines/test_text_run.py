"""End to end text pipelines: the shipped specs train, and their strings-in exports answer like Keras."""

import numpy as np
import pytest
import tensorflow as tf
import yaml
from mlflow import MlflowClient

from data.errors import BadRecordError
from models.tasks.text_model import model_features
from pipelines.cli import main
from pipelines.runner import run
from pipelines.tracking_uri import default_tracking_uri
from serving.loading import load_export
from tests.helpers import REPO

pytestmark = pytest.mark.slow

SENTIMENT_SPEC = REPO / "pipelines" / "specs" / "sentiment.yaml"
NER_SPEC = REPO / "pipelines" / "specs" / "ner.yaml"
SENTIMENT_DATA = REPO / "data" / "samples" / "sentiment.csv"
NER_DATA = REPO / "data" / "samples" / "ner.conll"
TINY_TEXT = [
    "training.epochs=2", "training.verbose=0", "tracking.log_model=false", "export.gates=[]",
    "export.parity_samples=8", "export.warmup_samples=2",
    "model.backbone={source: builtin, name: bilstm, config: {embedding_dim: 16, units: 16}}",
]


def loaded(path):
    return yaml.safe_load(path.read_text())


def odd_texts(sequence_length: int) -> list[str]:
    return ["What a wonderful, lovely film", "", " ".join(["great"] * (10 * sequence_length)), "awful"]


def test_shipped_sentiment_spec_beats_the_majority_baseline(in_tmp_dir, capsys):
    code = main(["run", str(SENTIMENT_SPEC), "--set", f"data.source.path={SENTIMENT_DATA}",
                 "--set", "training.verbose=0"])
    assert code == 0
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("sentiment").experiment_id])
    metrics = record.data.metrics
    assert record.info.status == "FINISHED"
    assert metrics["test_accuracy"] >= metrics["test_majority_baseline_accuracy"] + 0.2
    assert metrics["test_accuracy_over_baseline"] == pytest.approx(
        metrics["test_accuracy"] - metrics["test_majority_baseline_accuracy"])
    artifacts = {a.path for a in client.list_artifacts(record.info.run_id, "stages/tokenize")}
    assert artifacts == {"stages/tokenize/vocabulary.txt"}
    export = in_tmp_dir / "serving" / "models" / "sentiment" / "1"
    assert (export / "saved_model.pb").is_file()
    vocabulary = client.download_artifacts(record.info.run_id, "stages/tokenize/vocabulary.txt", str(in_tmp_dir))
    assert (export / "assets.extra" / "tokenize" / "vocabulary.txt").read_text() == open(vocabulary).read()
    capsys.readouterr()
    assert main(["predict", "serving/models/sentiment", "--text", "What a lovely film", "--text", ""]) == 0
    printed = capsys.readouterr().out
    assert "What a lovely film" in printed and ("positive" in printed or "negative" in printed)


def test_text_classification_export_answers_strings_like_the_keras_model(in_tmp_dir):
    result = run(SENTIMENT_SPEC, overrides=[f"data.source.path={SENTIMENT_DATA}", *TINY_TEXT])
    texts = odd_texts(48)
    served = load_export(result.export_path).signatures["serving_default"](texts=tf.constant(texts))
    expected = np.asarray(result.model(model_features(result.preprocess(np.array(texts, dtype=object)))))
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-5)
    np.testing.assert_array_equal(served["class_ids"].numpy(), expected.argmax(-1))
    assert {name.decode() for name in served["class_names"].numpy()} <= {"negative", "positive"}


def test_token_classification_export_tags_whitespace_tokens_like_the_keras_model(in_tmp_dir):
    result = run(NER_SPEC, overrides=[f"data.source.path={NER_DATA}", *TINY_TEXT])
    assert 0 <= result.metrics["test_entity_f1"] <= 1
    texts = ["Alice Smith visited Paris with Acme Corp", *odd_texts(48)]
    served = load_export(result.export_path).signatures["serving_default"](texts=tf.constant(texts))
    tokens, tags = served["tokens"].numpy(), served["tags"].numpy()
    features = result.preprocess(np.array(texts, dtype=object))
    pieces = np.asarray(result.model(model_features(features))).argmax(-1)
    word_ids = np.asarray(features["word_ids"])
    names = np.array(["B-LOC", "B-ORG", "B-PER", "I-LOC", "I-ORG", "I-PER", "O"])
    for row, text in enumerate(texts):
        words = text.split()
        assert served["num_tokens"].numpy()[row] == len(words)
        assert [t.decode() for t in tokens[row][: len(words)]] == words
        expected = [names[pieces[row][word_ids[row] == w][0]] if (word_ids[row] == w).any() else ""
                    for w in range(len(words))]
        assert [t.decode() for t in tags[row][: len(words)]] == expected
    long_row = tags[3][: len(texts[3].split())]
    assert long_row[0] != b"" and long_row[-1] == b""  # words past sequence_length get no tag


def test_multi_label_texts_train_and_export_sigmoid_labels(in_tmp_dir):
    rows = ["text,label"] + [f"{'great ' * (i % 3 + 1)}fun{' and cheap' * (i % 2)},{'good|cheap' if i % 2 else 'good'}"
                             for i in range(30)] + [f"awful {'noisy ' * (i % 2)}food,{'bad|loud' if i % 2 else 'bad'}"
                                                    for i in range(30)]
    (in_tmp_dir / "multi.csv").write_text("\n".join(rows) + "\n")
    spec = loaded(SENTIMENT_SPEC)
    spec["data"]["source"].update(path=str(in_tmp_dir / "multi.csv"), label_separator="|")
    spec["model"]["head"]["multi_label"] = True
    spec["stages"][0]["tokenize"].update(tokenizer="text_vectorization", vocabulary_size=50, sequence_length=8)
    result = run(spec, overrides=TINY_TEXT)
    assert "test_exact_match" in result.metrics
    served = load_export(result.export_path).signatures["serving_default"](texts=tf.constant(["great fun"]))
    assert served["probabilities"].shape == (1, 4) and served["labels"].shape == (1, 4)


def test_mismatched_tags_fail_the_run_naming_the_line_and_skip_counts_them(in_tmp_dir):
    good = NER_DATA.read_text()
    (in_tmp_dir / "bad.conll").write_text("Alice B-PER\nsleeps\n\n" + good)
    spec = loaded(NER_SPEC)
    spec["data"]["source"]["path"] = str(in_tmp_dir / "bad.conll")
    with pytest.raises(BadRecordError, match=r"bad\.conll line 2"):
        run(spec, overrides=TINY_TEXT)
    client = MlflowClient(default_tracking_uri())
    (failed,) = client.search_runs([client.get_experiment_by_name("ner").experiment_id])
    assert failed.info.status == "FAILED"

    spec["data"]["on_bad_record"] = "skip"
    result = run(spec, overrides=[*TINY_TEXT, "training.epochs=1", "export.enabled=false"])
    assert result.skipped_records == 1


@pytest.mark.parametrize("backbone, tokenizer", [
    ({"name": "BertBackbone", "config": {"num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32}},
     "word_piece"),
    ({"name": "RobertaBackbone", "config": {"num_layers": 1, "num_heads": 2, "hidden_dim": 16,
                                             "intermediate_dim": 32}}, "byte_pair"),
])
def test_keras_hub_text_backbones_train_from_config_and_export(in_tmp_dir, backbone, tokenizer):
    spec = loaded(SENTIMENT_SPEC)
    spec["data"]["source"]["path"] = str(SENTIMENT_DATA)
    spec["model"]["backbone"] = {"source": "keras_hub", **backbone}
    spec["model"]["head"]["pooling"] = "cls"
    spec["stages"][0]["tokenize"].update(tokenizer=tokenizer, vocabulary_size=400, sequence_length=24)
    result = run(spec, overrides=[*TINY_TEXT[:-1], "training.epochs=1"])
    served = load_export(result.export_path).signatures["serving_default"](texts=tf.constant(odd_texts(24)))
    assert served["probabilities"].shape == (4, 2)
