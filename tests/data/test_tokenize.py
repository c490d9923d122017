"""The `tokenize` stage: trained tokenizers, vocabulary round trips, and the text encoder's word alignment."""

import re

import numpy as np
import pytest
import tensorflow as tf

from data.stages.tokenize import TokenizeOptions, tokenize
from data.text.encoder import TextEncoder
from data.text.tokenizers import check_tokenizer_preset, train_tokenizer
from tests.helpers import REPO

SAMPLE = REPO / "data" / "samples" / "sentiment.csv"


@pytest.fixture(scope="module")
def sample_texts():
    import pandas as pd

    return pd.read_csv(SAMPLE)["text"].tolist()


def normalized(text: str) -> str:
    """What WordPiece sees: lowercased, punctuation split off, single spaces."""
    return " ".join(re.sub(r"([^\w\s])", r" \1 ", text.lower()).split())


def test_trained_word_piece_round_trips_and_reloads_identically(sample_texts, tmp_path):
    import keras_hub

    vocabulary = train_tokenizer("word_piece", sample_texts, 4000, lowercase=True)
    tokenizer = vocabulary.tokenizer
    pieces = tokenizer(sample_texts)
    assert [tokenizer.detokenize(p) for p in pieces] == [normalized(t) for t in sample_texts]

    files = vocabulary.save(tmp_path / "vocab")
    assert [f.name for f in files] == ["vocabulary.txt"]
    reloaded = keras_hub.tokenizers.WordPieceTokenizer(
        vocabulary=str(files[0]), lowercase=True, oov_token="[UNK]"
    )
    assert reloaded.get_vocabulary() == tokenizer.get_vocabulary()
    unseen = ["An unseen sentence, with words like zyxwv!"]
    for texts in (sample_texts[:20], unseen):
        assert reloaded(texts) == tokenizer(texts)


@pytest.mark.parametrize("kind", ["word_piece", "sentence_piece", "byte_pair", "text_vectorization"])
def test_every_tokenizer_trains_and_encodes_fixed_length_ids(kind, sample_texts):
    stage = tokenize(TokenizeOptions(tokenizer=kind, vocabulary_size=300, sequence_length=12))
    assert stage.adapt
    stage.layer.adapt(tf.data.Dataset.from_tensor_slices(sample_texts).batch(64))
    features = stage.layer(tf.constant(["A great film", "", " ".join(["word"] * 200)]))
    assert {k: tuple(v.shape) for k, v in features.items()} == {
        "token_ids": (3, 12), "padding_mask": (3, 12), "word_ids": (3, 12)
    }
    assert 16 <= stage.layer.vocabulary_size <= 300
    ids = features["token_ids"].numpy()
    assert ids.max() < stage.layer.vocabulary_size
    mask = features["padding_mask"].numpy()
    assert mask[2].all() and not mask[1].all()


def test_encoder_marks_each_words_first_piece_and_survives_empty_and_long_texts():
    vocabulary = train_tokenizer("word_piece", ["alice visited paris", "bob met alice"], 40, lowercase=True)
    encoder = TextEncoder(vocabulary, sequence_length=16)
    texts = ["alice visited zurich", "", " ".join(["a"] * 160)]
    features = encoder(tf.constant(texts))
    word_ids = features["word_ids"].numpy()
    token_ids = features["token_ids"].numpy()
    first = word_ids[0][word_ids[0] >= 0]
    assert first.tolist() == [0, 1, 2]  # one first piece per word, in order
    assert token_ids[0][0] == vocabulary.start_id
    assert (word_ids[1] == -1).all() and token_ids[1][:2].tolist() == [vocabulary.start_id, vocabulary.end_id]
    assert word_ids[2][word_ids[2] >= 0].tolist() == list(range(14))  # cut at 16 - start - end
    single = encoder(tf.constant("alice visited zurich"))
    np.testing.assert_array_equal(single["token_ids"].numpy(), token_ids[0])


def test_unknown_tokenizer_preset_is_a_clear_error_without_download(tmp_path):
    with pytest.raises(ValueError, match="neither a local folder nor a keras-hub preset; did you mean"):
        check_tokenizer_preset("bert_tiny_en_uncasd")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no tokenizer.json"):
        check_tokenizer_preset(str(tmp_path / "empty"))


def test_text_vectorization_takes_no_preset():
    with pytest.raises(ValueError, match="takes no preset"):
        TokenizeOptions(tokenizer="text_vectorization", preset="bert_tiny_en_uncased")
