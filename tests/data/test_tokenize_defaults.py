"""`tokenize` without vocabulary_size / sequence_length: sizes from the training split; explicit ones as given."""

import numpy as np
import pytest
import tensorflow as tf

from data.stages.tokenize import TokenizeOptions, tokenize
from data.text.encoder import token_counts
from data.text.statistics import (
    default_sequence_length,
    default_vocabulary_size,
    length_statistics,
    word_statistics,
)
from data.text.tokenizers import train_tokenizer


def corpus(texts: int, words_per_text, distinct: int, seed: int = 0) -> list[str]:
    """`texts` texts of made-up words w0..w<distinct>, Zipf-like (a few words common, most rare)."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, distinct + 1)
    lengths = np.broadcast_to(words_per_text, (texts,))
    return [" ".join(f"w{i}" for i in rng.choice(distinct, size=n, p=weights / weights.sum())) for n in lengths]


def adapted(options: TokenizeOptions, texts: list[str]):
    stage = tokenize(options)
    stage.layer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(32))
    return stage.layer


def test_word_statistics_count_repeated_words_case_as_asked():
    texts = ["The cat, the CAT!", "a dog_2 sat", "dog_2"]
    assert word_statistics(texts, lowercase=True) == {"texts": 3, "words": 8, "distinct_words": 5,
                                                      "repeated_words": 3}  # the, cat, dog_2
    assert word_statistics(texts, lowercase=False)["repeated_words"] == 1  # only dog_2


@pytest.mark.parametrize("repeated, size", [(0, 1000), (600, 1000), (700, 2000), (4000, 6000), (10**6, 30000)])
def test_vocabulary_grows_with_the_repeated_words_within_bounds(repeated, size):
    assert default_vocabulary_size(repeated) == size


@pytest.mark.parametrize("counts, length", [
    ([5] * 100, 16),                       # short texts: the floor
    (list(range(1, 101)), 96),             # 95 of 100 texts fit in 95 -> next multiple of 8
    ([40] * 95 + [3000] * 5, 40),          # a few very long texts do not set the length
    ([40] * 94 + [3000] * 6, 512),         # ... unless more than 1 in 20 are long: the ceiling
])
def test_sequence_length_is_the_95th_percentile_rounded_up_to_8(counts, length):
    assert default_sequence_length(counts) == length
    assert default_sequence_length(counts) % 8 == 0


def test_length_statistics():
    assert length_statistics([3, 9, 4]) == {"tokens_p50": 4, "tokens_p95": 9, "tokens_max": 9}
    assert length_statistics([]) == {"tokens_p50": 0, "tokens_p95": 0, "tokens_max": 0}


def test_token_counts_include_special_tokens_and_sub_word_pieces():
    vocabulary = train_tokenizer("word_piece", ["good film", "bad film"] * 20, 60, lowercase=True)
    counts = token_counts(vocabulary, ["good film", "", "good, good film"])
    assert counts.tolist() == [4, 2, 6]  # [CLS] ... [SEP]; the comma is a token of its own
    words = train_tokenizer("text_vectorization", ["good film"], 20, lowercase=True)
    assert token_counts(words, ["good film!", ""]).tolist() == [2, 0]  # one id per word, no specials


def test_sizes_come_from_the_training_texts_when_left_out(capsys):
    texts = corpus(300, np.arange(300) % 30 + 1, distinct=3000)
    encoder = adapted(TokenizeOptions(tokenizer="text_vectorization"), texts)
    stats = encoder.statistics
    words = word_statistics(texts, lowercase=True)
    assert {k: stats[k] for k in words} == words
    assert stats["vocabulary_size"] == default_vocabulary_size(words["repeated_words"])
    assert encoder.vocabulary_size <= stats["vocabulary_size"]
    # One id per word: the 95th percentile of 1..30 words is 29 -> 32.
    assert stats["tokens_p95"] == 29 and encoder.sequence_length == stats["sequence_length"] == 32
    assert encoder(tf.constant(["w1 w2"]))["token_ids"].shape == (1, 32)
    printed = capsys.readouterr().err
    assert "-> vocabulary_size" in printed and "-> sequence_length 32 (from the data)" in printed


def test_a_larger_corpus_gets_a_larger_vocabulary_and_longer_texts_a_longer_sequence():
    small = adapted(TokenizeOptions(tokenizer="text_vectorization"), corpus(100, 10, distinct=500))
    large = adapted(TokenizeOptions(tokenizer="text_vectorization"), corpus(600, 60, distinct=20000, seed=1))
    assert small.statistics["vocabulary_size"] == 1000 < large.statistics["vocabulary_size"]
    assert small.sequence_length == 16 < large.sequence_length == 64


def test_sub_word_pieces_are_counted_with_the_trained_tokenizer():
    texts = corpus(200, 12, distinct=2000)
    encoder = adapted(TokenizeOptions(tokenizer="word_piece"), texts)
    expected = default_sequence_length(token_counts(encoder.vocabulary, texts))
    assert encoder.sequence_length == expected >= 16
    assert encoder.statistics["tokens_p95"] >= 12 + 2  # at least a piece per word, plus [CLS] and [SEP]


def test_explicit_sizes_are_used_as_given_and_nothing_is_chosen(capsys):
    texts = corpus(100, 40, distinct=800)
    encoder = adapted(TokenizeOptions(tokenizer="word_piece", vocabulary_size=300, sequence_length=12), texts)
    assert encoder.sequence_length == 12 and encoder.statistics == {} and encoder.describe() == ""
    assert encoder.vocabulary_size <= 300
    assert encoder(tf.constant(["w1 " * 50]))["token_ids"].shape == (1, 12)
    assert "tokenize:" not in capsys.readouterr().err
    # One of the two left out: only that one is chosen.
    only_length = adapted(TokenizeOptions(tokenizer="text_vectorization", vocabulary_size=50), texts)
    assert only_length.vocabulary_size <= 50 and "vocabulary_size" not in only_length.statistics
    assert only_length.sequence_length == 40
    only_vocabulary = adapted(TokenizeOptions(tokenizer="text_vectorization", sequence_length=8), texts)
    assert only_vocabulary.sequence_length == 8 and only_vocabulary.statistics["vocabulary_size"] == 1000


def test_options_default_to_the_data_and_still_check_explicit_values():
    options = TokenizeOptions()
    assert options.vocabulary_size is None and options.sequence_length is None
    with pytest.raises(ValueError, match="greater than or equal to 16"):
        TokenizeOptions(vocabulary_size=8)
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        TokenizeOptions(sequence_length=1)
