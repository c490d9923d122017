"""Byte-pair merges trained here load into keras-hub's BytePairTokenizer and tokenize as trained."""

import keras_hub
import pytest
import tensorflow as tf

from data.text.byte_pair_training import (
    SPECIAL_TOKENS,
    byte_characters,
    load_byte_pair,
    save_byte_pair,
    train_byte_pair,
)

CORPUS = [
    "The cat sat on the mat.",
    "The dog sat on the log!",
    "A cat and a dog, 2024 cats  and\tdogs\n",
    "Ünïcödé text: 日本語 and émigré <s> cats",
    "It's the cat's hat; don't touch it.",
] * 4
UNSEEN = "Zebras don't sit on mats: 12345 <pad> ÿ\u00a0end"


def tokenizer(vocabulary, merges, **kwargs):
    """A BytePairTokenizer on its TensorFlow path even in eager calls (what tf.data and serving run)."""
    return keras_hub.tokenizers.BytePairTokenizer(
        vocabulary=vocabulary, merges=merges, unsplittable_tokens=list(SPECIAL_TOKENS),
        _allow_python_workflow=False, **kwargs,
    )


def ids(layer, texts):
    return [list(map(int, row)) for row in layer.tokenize(list(texts))]


@pytest.fixture(scope="module")
def trained():
    return train_byte_pair(CORPUS, 300)


def test_vocabulary_is_specials_then_bytes_then_merges_with_contiguous_ids(trained):
    vocabulary, merges = trained
    assert len(vocabulary) == 300
    assert sorted(vocabulary.values()) == list(range(300))
    assert [vocabulary[token] for token in SPECIAL_TOKENS] == [0, 1, 2, 3]
    assert all(vocabulary[char] == 4 + value for value, char in enumerate(byte_characters()))
    assert len(merges) == 300 - 4 - 256
    for merge in merges:
        left, right = merge.split(" ")
        assert left in vocabulary and right in vocabulary and left + right in vocabulary


def test_keras_hub_tokenizer_round_trips_training_and_unseen_text_in_tf_data(trained):
    texts = [*sorted(set(CORPUS)), UNSEEN]
    layer = keras_hub.tokenizers.BytePairTokenizer(
        vocabulary=trained[0], merges=trained[1], unsplittable_tokens=list(SPECIAL_TOKENS)
    )

    def round_trip(batch):
        tokens = layer.tokenize(batch)
        return tokens, layer.detokenize(tokens)

    dataset = tf.data.Dataset.from_tensor_slices(texts).batch(len(texts)).map(round_trip)
    tokens, detokenized = next(iter(dataset))
    assert tokens.flat_values.numpy().min() >= 0 and tokens.flat_values.numpy().max() < len(trained[0])
    assert [text.decode("utf-8") for text in detokenized.numpy()] == texts
    assert tokens.to_list() == ids(tokenizer(*trained), texts)
    # The eager (Hugging Face tokenizers) path round-trips too and agrees on these texts.
    assert layer.detokenize(layer.tokenize(texts)) == texts
    assert layer.tokenize(texts) == tokens.to_list()


def test_frequent_words_become_single_tokens(trained):
    vocabulary, _ = trained
    words = ["The", " cat", " sat", " on", " the", "<s>"]
    assert ids(tokenizer(*trained), words) == [[vocabulary[word.replace(" ", "Ġ")]] for word in words]


def test_training_stops_when_no_pair_occurs_twice():
    vocabulary, merges = train_byte_pair(["abab abab abab", "xyz"], 10_000)
    assert merges == ["a b", "ab ab", "Ġ abab"]
    assert len(vocabulary) == 4 + 256 + 3
    layer = tokenizer(vocabulary, merges)
    assert ids(layer, ["abab abab"]) == [[vocabulary["abab"], vocabulary["Ġabab"]]]


def test_training_is_deterministic_and_ignores_text_order(trained):
    assert train_byte_pair(CORPUS, 300) == trained
    assert train_byte_pair(reversed(CORPUS), 300) == trained


def test_lowercase_counts_lowercased_text():
    vocabulary, _ = train_byte_pair(["Hello HELLO hello"] * 3, 300, lowercase=True)
    assert "Ġhello" in vocabulary and not any(char.isupper() for char in vocabulary if len(char) > 1)


def test_prefix_space_matches_the_tokenizer_option():
    vocabulary, merges = train_byte_pair(["hello"] * 3, 300, add_prefix_space=True)
    layer = tokenizer(vocabulary, merges, add_prefix_space=True)
    assert ids(layer, ["hello"]) == [[vocabulary["Ġhello"]]]


def test_too_small_a_vocabulary_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 260"):
        train_byte_pair(CORPUS, 100)
    with pytest.raises(ValueError, match="distinct"):
        train_byte_pair(CORPUS, 300, special_tokens=["<pad>", "<pad>"])


def test_saved_files_reload_into_an_identical_tokenizer(trained, tmp_path):
    paths = save_byte_pair(tmp_path / "bpe", *trained)
    assert [path.name for path in paths] == ["vocabulary.json", "merges.txt"]
    assert load_byte_pair(tmp_path / "bpe") == trained
    original, reloaded = tokenizer(*trained), tokenizer(*load_byte_pair(tmp_path / "bpe"))
    texts = [*CORPUS[:5], UNSEEN]
    assert ids(reloaded, texts) == ids(original, texts)
    # Same files as keras-hub's own save_assets / load_assets.
    original.save_assets(str(tmp_path))
    assert load_byte_pair(tmp_path) == trained
    from_assets = tokenizer(None, None)
    from_assets.load_assets(str(tmp_path / "bpe"))
    assert ids(from_assets, texts) == ids(original, texts)
