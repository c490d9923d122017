"""`TextEncoder`: raw strings in, fixed-length token ids out, with each word's first piece marked.

Texts are split on whitespace into words, each word is tokenized into pieces,
and the pieces are packed (start token, truncation, end token, padding) to
`sequence_length`. Besides `token_ids` and `padding_mask` the encoder returns
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

from collections.abc import Callable

import keras
import tensorflow as tf

from data.text.tokenizers import Vocabulary


class TextEncoder(keras.layers.Layer):
    """Strings [batch] -> {"token_ids", "padding_mask", "word_ids"} [batch, sequence_length].

    A single string (a scalar) gives [sequence_length] features.
    """

    def __init__(self, vocabulary: Vocabulary | None, sequence_length: int,
                 trainer: Callable[[list[str]], Vocabulary] | None = None, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.sequence_length = sequence_length
        self.trainer = trainer
        self.vocabulary = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def adapt(self, dataset) -> None:
        """Learn the vocabulary with `trainer` from a dataset of string batches (the training split)."""
        texts = [text.decode("utf-8") for batch in dataset.as_numpy_iterator() for text in batch]
        self.set_vocabulary(self.trainer(texts))

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

    def _pieces(self, words: tf.Tensor) -> tf.RaggedTensor:
        """Token ids of each word: ragged [words, pieces]."""
        vocabulary = self.vocabulary
        if vocabulary.lowercase_inputs:
            words = tf.strings.lower(words)
        if vocabulary.prefix_space:
            words = tf.strings.join([" ", words])
        pieces = self.tokenizer(words)
        if vocabulary.one_id_per_word:
            pieces = tf.RaggedTensor.from_tensor(tf.reshape(pieces, [-1, 1]))
        return tf.cast(pieces, tf.int32)

    def call(self, texts):
        if self.vocabulary is None:
            raise RuntimeError("TextEncoder has no vocabulary yet: adapt it on the training texts first")
        texts = tf.convert_to_tensor(texts, tf.string)
        if texts.shape.rank == 0:  # one example (tf.data before batching)
            return {name: value[0] for name, value in self._encode(texts[None]).items()}
        return self._encode(texts)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)], autograph=False)
    def _encode(self, texts):
        # Always a graph: keras-hub tokenizers run a pure-Python path when called eagerly.
        words = tf.strings.split(texts)
        pieces = self._pieces(words.flat_values)
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
