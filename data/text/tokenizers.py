"""Tokenizers for the `tokenize` stage: from a keras-hub preset, or trained on the training split.

Every builder returns a `Vocabulary`: the keras-hub tokenizer (or Keras
`TextVectorization` layer) plus the ids the packer needs (start, end, padding)
and how words are fed to it. Trained vocabularies reserve id 0 for padding.

Example:
    >>> vocabulary = train_tokenizer("word_piece", ["a great film", "an awful film"], 40, lowercase=True)  # doctest: +SKIP
    >>> vocabulary.tokenizer(["great"])                                                                   # doctest: +SKIP
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.registry import suggest

REMOTE_SCHEMES = ("kaggle://", "hf://", "modelscope://", "gs://")
WORD_PIECE_RESERVED = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BYTE_PAIR_SPECIAL = ["<pad>", "<unk>", "<s>", "</s>"]


@dataclass
class Vocabulary:
    """A tokenizer and how to use it.

    Attributes:
        tokenizer: Maps a 1-D string tensor of words to ragged (or, for
            `text_vectorization`, dense 1-D) token ids.
        start_id, end_id: Ids put before / after each sequence (None: nothing).
        pad_id: Id that fills a sequence up to `sequence_length`.
        lowercase_inputs: Lowercase text before the tokenizer (for tokenizers
            that do not do it themselves).
        prefix_space: Put a space before each word (byte-pair tokenizers mark
            word starts with it).
        one_id_per_word: The tokenizer gives one id per word, as a dense tensor.
    """

    tokenizer: Any
    start_id: int | None
    end_id: int | None
    pad_id: int
    lowercase_inputs: bool = False
    prefix_space: bool = False
    one_id_per_word: bool = False

    @property
    def size(self) -> int:
        """Number of token ids (the embedding size a backbone needs)."""
        layer = self.tokenizer
        return int(layer.vocabulary_size()) if callable(layer.vocabulary_size) else int(layer.vocabulary_size)

    def save(self, directory: str | Path) -> list[Path]:
        """Write the vocabulary files (keras-hub asset names) into `directory`; returns them."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        before = set(directory.iterdir())
        if hasattr(self.tokenizer, "save_assets"):
            self.tokenizer.save_assets(str(directory))
        else:
            (directory / "vocabulary.txt").write_text("\n".join(self.tokenizer.get_vocabulary()) + "\n")
        return sorted(set(directory.iterdir()) - before)


def check_tokenizer_preset(preset: str) -> None:
    """Fail fast on a preset that is neither a hub handle, a local preset folder nor a known name.

    Example:
        >>> check_tokenizer_preset("no_such_preset_en")
        Traceback (most recent call last):
        ...
        ValueError: stages.tokenize.preset: 'no_such_preset_en' is neither a local folder nor a keras-hub preset; use a kaggle:// or hf:// handle for other presets
    """
    import keras_hub

    if preset.startswith(REMOTE_SCHEMES):
        return
    local = Path(preset).expanduser()
    if local.exists():
        if not (local / "tokenizer.json").is_file():
            raise ValueError(f"stages.tokenize.preset: {preset} has no tokenizer.json; not a keras-hub preset folder")
        return
    known = list(keras_hub.tokenizers.Tokenizer.presets)
    if preset not in known:
        raise ValueError(
            f"stages.tokenize.preset: {preset!r} is neither a local folder nor a keras-hub preset"
            f"{suggest(preset, known)}; use a kaggle:// or hf:// handle for other presets"
        )


def preset_tokenizer(preset: str) -> Vocabulary:
    """The tokenizer of a keras-hub preset (hub handle, preset name or local folder), with its special ids.

    Example:
        >>> preset_tokenizer("bert_tiny_en_uncased").start_id   # doctest: +SKIP
        101
    """
    import keras_hub

    check_tokenizer_preset(preset)
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
    pad_id = getattr(tokenizer, "pad_token_id", None)
    return Vocabulary(
        tokenizer,
        start_id=getattr(tokenizer, "start_token_id", None),
        end_id=getattr(tokenizer, "end_token_id", None),
        pad_id=0 if pad_id is None else int(pad_id),
        prefix_space=isinstance(tokenizer, keras_hub.tokenizers.BytePairTokenizer),
    )


def _word_piece(texts: list[str], size: int, lowercase: bool) -> Vocabulary:
    import keras_hub
    import tensorflow as tf

    vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(texts).batch(1024), size, lowercase=lowercase,
        reserved_tokens=WORD_PIECE_RESERVED,
    )
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocabulary, lowercase=lowercase, oov_token="[UNK]")
    return Vocabulary(tokenizer, start_id=vocabulary.index("[CLS]"), end_id=vocabulary.index("[SEP]"), pad_id=0)


def _sentence_piece(texts: list[str], size: int, lowercase: bool) -> Vocabulary:
    """SentencePiece (unigram); a vocabulary larger than the data allows is cut to the largest possible."""
    import keras_hub
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(texts)
    try:
        proto = keras_hub.tokenizers.compute_sentence_piece_proto(data, size, lowercase=lowercase)
    except RuntimeError as error:
        most = re.search(r"value <= (\d+)", str(error))
        if not most:
            raise
        print(f"tokenize: vocabulary_size {size} is more than the training texts allow; using {most.group(1)}",
              file=sys.stderr)
        proto = keras_hub.tokenizers.compute_sentence_piece_proto(data, int(most.group(1)), lowercase=lowercase)
    # compute_sentence_piece_proto fixes pad 0, unk 1, bos 2, eos 3.
    return Vocabulary(keras_hub.tokenizers.SentencePieceTokenizer(proto=proto), start_id=2, end_id=3, pad_id=0)


def _byte_pair(texts: list[str], size: int, lowercase: bool) -> Vocabulary:
    import keras_hub

    from data.text.byte_pair_training import train_byte_pair

    texts = [t.lower() for t in texts] if lowercase else texts
    vocabulary, merges = train_byte_pair(texts, size, special_tokens=BYTE_PAIR_SPECIAL, add_prefix_space=True)
    tokenizer = keras_hub.tokenizers.BytePairTokenizer(
        vocabulary=vocabulary, merges=merges, unsplittable_tokens=BYTE_PAIR_SPECIAL
    )
    return Vocabulary(tokenizer, start_id=vocabulary["<s>"], end_id=vocabulary["</s>"], pad_id=vocabulary["<pad>"],
                      lowercase_inputs=lowercase, prefix_space=True)


def _text_vectorization(texts: list[str], size: int, lowercase: bool) -> Vocabulary:
    """One id per whitespace word (Keras TextVectorization): 0 pads, 1 is out of vocabulary."""
    import keras
    import tensorflow as tf

    layer = keras.layers.TextVectorization(
        max_tokens=size, standardize="lower_and_strip_punctuation" if lowercase else "strip_punctuation",
        split=None, output_mode="int",
    )
    layer.adapt(tf.data.Dataset.from_tensor_slices(tf.strings.split(texts).flat_values).batch(4096))
    return Vocabulary(layer, start_id=None, end_id=None, pad_id=0, one_id_per_word=True)


TRAINERS = {
    "word_piece": _word_piece,
    "sentence_piece": _sentence_piece,
    "byte_pair": _byte_pair,
    "text_vectorization": _text_vectorization,
}


def train_tokenizer(kind: str, texts: list[str], vocabulary_size: int, lowercase: bool) -> Vocabulary:
    """Train a `kind` tokenizer (word_piece, sentence_piece, byte_pair, text_vectorization) on `texts`.

    Example:
        >>> vocabulary = train_tokenizer("word_piece", ["good film", "bad film"], 30, lowercase=True)  # doctest: +SKIP
        >>> vocabulary.start_id                                                                       # doctest: +SKIP
        2
    """
    if not texts:
        raise ValueError("tokenize: no training texts to learn a vocabulary from")
    return TRAINERS[kind](list(texts), vocabulary_size, lowercase)
