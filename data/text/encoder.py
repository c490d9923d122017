"""`TextEncoder`: raw strings in, fixed-length token ids out, with each word's first piece marked.

Texts are split on whitespace into words, each word is tokenized into pieces,
and the pieces are packed (start token, truncation, end token, padding) to
`sequence_length` (None: chosen by `adapt` from the training texts, see
`data.text.statistics`). Besides `token_ids` and `padding_mask` the encoder returns
`word_ids`: the index of the word whose first piece sits at each position, -1
elsewhere (special tokens, padding, a word's later pieces). Token
classification puts a word's tag on its first piece and maps predictions back
to words with it; text classification ignores it.

The encoder is a Keras layer, so the tokenizer and its vocabulary are tracked
into the SavedModel and run inside the serving graph.

Example:
    >>> encoder = TextEncoder(vocabulary, sequence_length=8)          # doctest: +SKIP
    >>> encoder(tf.constant(["a great film"]))["word_ids"]            # doctest: +SKIP
    <tf.Tensor: shape=(1, 8), dtype=int32, numpy=array([[-1,  0,  1,  2, -1, -1, -1, -1]], dtype=int32)>
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import keras
import tensorflow as tf

from data.text.tokenizers import Vocabulary


class TextEncoder(keras.layers.Layer):
    """Strings [batch] -> {"token_ids", "padding_mask", "word_ids"} [batch, sequence_length].

    A single string (a scalar) gives [sequence_length] features; strings [batch, k] (several texts per
    example) give [batch, k, sequence_length].
    """

    def __init__(self, vocabulary: Vocabulary | None, sequence_length: int | None,
                 trainer: Callable[[list[str]], Vocabulary] | None = None, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.sequence_length = sequence_length
        self.length_from_data = sequence_length is None
        self.trainer = trainer
        self.vocabulary = None
        self.given_vocabulary = vocabulary
        # What `adapt` measured and chose (see `describe`); the stage's trainer adds its own. A plain dict,
        # kept out of Keras/TF tracking: it is a report, not state to save.
        object.__setattr__(self, "_statistics", {})
        if vocabulary is not None and sequence_length is not None:
            self.set_vocabulary(vocabulary)

    def adapt(self, dataset) -> None:
        """Learn from a dataset of string batches (the training split): the vocabulary with `trainer`, and
        `sequence_length` when it is None (`default_sequence_length` of the tokens per text).

        Sizes chosen from the data are kept in `statistics` and printed (stderr) with what they came from.
        """
        import numpy as np

        # batches of texts, or of text pairs (a prompt and its response: both learn the vocabulary)
        texts = [text.decode("utf-8") for batch in dataset.as_numpy_iterator() for text in np.ravel(batch)]
        vocabulary = self.trainer(texts) if self.trainer is not None else self.given_vocabulary
        if vocabulary is None:
            raise RuntimeError("TextEncoder has neither a vocabulary nor a trainer")
        if self.length_from_data:
            from data.text.statistics import default_sequence_length, length_statistics

            if not texts:
                raise ValueError("tokenize: no training texts to measure a sequence_length on")
            counts = token_counts(vocabulary, texts)
            self.sequence_length = default_sequence_length(counts)
            self.statistics.update(length_statistics(counts), sequence_length=self.sequence_length,
                                   sequence_length_from_data=True)
        self.set_vocabulary(vocabulary)
        if self.describe():
            print(self.describe(), file=sys.stderr)

    @property
    def statistics(self) -> dict:
        """What `adapt` measured on the training texts and the sizes it chose from them (empty: nothing chosen)."""
        return self._statistics

    def describe(self) -> str:
        """One line: what `adapt` measured and the sizes it chose ("" before `adapt` chose anything).

        Example:
            >>> encoder = TextEncoder(None, None, name="tokenize")
            >>> encoder.statistics.update(texts=560, distinct_words=5012, repeated_words=2003, vocabulary_size=4000,
            ...                           vocabulary_size_from_data=True, tokens_p50=31, tokens_p95=157,
            ...                           tokens_max=903, sequence_length=160, sequence_length_from_data=True)
            >>> print(encoder.describe())
            tokenize: 560 training texts, 5012 distinct words (2003 seen twice or more) -> vocabulary_size 4000 (from the data); tokens per text median 31, 95th percentile 157, longest 903 -> sequence_length 160 (from the data)
        """
        stats = self.statistics
        parts = []
        if "distinct_words" in stats:
            parts.append(f"{stats['texts']} training texts, {stats['distinct_words']} distinct words "
                         f"({stats['repeated_words']} seen twice or more) -> vocabulary_size "
                         f"{stats['vocabulary_size']} (from the data)")
        if "tokens_p95" in stats:
            parts.append(f"tokens per text median {stats['tokens_p50']}, 95th percentile {stats['tokens_p95']}, "
                         f"longest {stats['tokens_max']} -> sequence_length {stats['sequence_length']} "
                         "(from the data)")
        return f"{self.name}: " + "; ".join(parts) if parts else ""

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Use `vocabulary`'s tokenizer and special ids."""
        import keras_hub

        self.vocabulary = vocabulary
        self.tokenizer = vocabulary.tokenizer
        self.token_packer = keras_hub.layers.StartEndPacker(
            self.sequence_length, start_value=vocabulary.start_id, end_value=vocabulary.end_id,
            pad_value=vocabulary.pad_id, return_padding_mask=True,
        )
        self.word_packer = keras_hub.layers.StartEndPacker(
            self.sequence_length,
            start_value=None if vocabulary.start_id is None else -1,
            end_value=None if vocabulary.end_id is None else -1,
            pad_value=-1,
        )

    @property
    def vocabulary_size(self) -> int:
        return self.vocabulary.size

    def save_vocabulary(self, directory) -> list:
        """Write the vocabulary files into `directory` (see `Vocabulary.save`)."""
        return self.vocabulary.save(directory)

    def call(self, texts):
        if self.vocabulary is None:
            raise RuntimeError("TextEncoder has no vocabulary yet: adapt it on the training texts first")
        texts = tf.convert_to_tensor(texts, tf.string)
        if texts.shape.rank == 0:  # one example (tf.data before batching)
            return {name: value[0] for name, value in self._encode(texts[None]).items()}
        if texts.shape.rank == 2:  # several texts per example (a prompt and its response): [batch, k, length]
            shape = tf.concat([tf.shape(texts), [self.sequence_length]], axis=0)
            return {name: tf.reshape(value, shape) for name, value in self._encode(tf.reshape(texts, [-1])).items()}
        return self._encode(texts)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)], autograph=False)
    def _encode(self, texts):
        # Always a graph: keras-hub tokenizers run a pure-Python path when called eagerly.
        words = tf.strings.split(texts)
        pieces = word_pieces(self.vocabulary, words.flat_values)
        word_index = tf.cast(tf.ragged.range(words.row_lengths()).flat_values, tf.int32)
        piece_rank = tf.ragged.range(pieces.row_lengths()).flat_values
        word_of_piece = tf.gather(word_index, pieces.value_rowids())
        first_piece_word = tf.where(piece_rank == 0, word_of_piece, -1)
        pieces_per_text = tf.math.unsorted_segment_sum(
            pieces.row_lengths(), words.value_rowids(), num_segments=tf.shape(texts, out_type=tf.int64)[0]
        )
        token_ids, padding_mask = self.token_packer(
            tf.RaggedTensor.from_row_lengths(pieces.flat_values, pieces_per_text)
        )
        word_ids = self.word_packer(tf.RaggedTensor.from_row_lengths(first_piece_word, pieces_per_text))
        return {"token_ids": token_ids, "padding_mask": padding_mask, "word_ids": word_ids}

    def compute_output_spec(self, texts):
        shape = (None, self.sequence_length)
        return {"token_ids": keras.KerasTensor(shape, "int32"), "padding_mask": keras.KerasTensor(shape, "bool"),
                "word_ids": keras.KerasTensor(shape, "int32")}


def word_pieces(vocabulary: Vocabulary, words: tf.Tensor) -> tf.RaggedTensor:
    """Token ids of each word with `vocabulary`'s tokenizer: ragged [words, pieces] (graph mode)."""
    if vocabulary.lowercase_inputs:
        words = tf.strings.lower(words)
    if vocabulary.prefix_space:
        words = tf.strings.join([" ", words])
    pieces = vocabulary.tokenizer(words)
    if vocabulary.one_id_per_word:
        pieces = tf.RaggedTensor.from_tensor(tf.reshape(pieces, [-1, 1]))
    return tf.cast(pieces, tf.int32)


def token_counts(vocabulary: Vocabulary, texts: list[str], batch_size: int = 1024):
    """Tokens each text gives with `vocabulary` before truncation, start and end tokens included (numpy int64).

    Example:
        >>> vocabulary = train_tokenizer("word_piece", ["good film", "bad film"], 30, lowercase=True)  # doctest: +SKIP
        >>> token_counts(vocabulary, ["good film", "", "bad, bad film"]).tolist()                   # doctest: +SKIP
        [4, 2, 6]
    """
    import numpy as np

    specials = (vocabulary.start_id is not None) + (vocabulary.end_id is not None)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)], autograph=False)
    def count(batch):
        words = tf.strings.split(batch)
        pieces = word_pieces(vocabulary, words.flat_values)
        return tf.math.unsorted_segment_sum(pieces.row_lengths(), words.value_rowids(),
                                            num_segments=tf.shape(batch, out_type=tf.int64)[0])

    counts = [count(tf.constant(texts[start:start + batch_size])).numpy()
              for start in range(0, len(texts), batch_size)]
    return np.concatenate(counts or [np.zeros(0, "int64")]) + specials
