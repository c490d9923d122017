"""`EncoderDecoderGenerator`: source texts (strings) in, generated texts (strings) out, for an encoder-decoder
model, with the tokenizer, model and sampler in one Keras layer (so the export and the Keras-side reference run
the same graph, and `generation_endpoints` exports it like a causal `Generator`).

The model takes `{"encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask"}`
and returns logits [batch, decoder length, vocabulary]. Each source is tokenized (start and end tokens kept: the
encoder sees the whole text); the decoder starts from the start token alone and `decode.uncached` fills its
buffer in one `tf.while_loop`, running the model over the buffer at every step, up to `max_new_tokens` tokens
(and the tokenize stage's sequence_length) or the first stop token.

Example:
    >>> generator = EncoderDecoderGenerator(model, encoder, sampler, stop_ids=[3], max_new_tokens=16)  # doctest: +SKIP
    >>> generator.generate(tf.constant(["three hundred and twelve"]))["generated"]                    # doctest: +SKIP
    <tf.Tensor: shape=(1,), dtype=string, numpy=array([b'312'], dtype=object)>
"""

from __future__ import annotations

from models.tasks.generation.export import Generator, with_temperature


class EncoderDecoderGenerator(Generator):
    """Generates a target text for each source text with an encoder-decoder `model`.

    `encoder` is the tokenize stage's `TextEncoder` (its `vocabulary` gives the tokenizer and the start id the
    decoder starts from); `preprocess` (default: the encoder) turns source strings into its features.
    """

    def __init__(self, model, encoder, *args, **kwargs):
        if encoder.vocabulary.start_id is None:
            raise ValueError("stages.tokenize: an encoder-decoder needs a tokenizer with a start token (the "
                             "decoder's first input); use byte_pair, word_piece or sentence_piece")
        super().__init__(model, encoder, *args, **kwargs)

    def generate(self, sources, max_new_tokens=None, temperature=None, sampler=None):
        """{"generated": tf.string [batch], "num_tokens": int32 [batch]} for source strings [batch]."""
        import tensorflow as tf

        features = self._preprocess(sources)
        source = (tf.cast(features["token_ids"], tf.int32), tf.cast(features["padding_mask"], tf.bool))

        def logits(ids, source):
            return self.model({"encoder_token_ids": source[0], "encoder_padding_mask": source[1],
                               "decoder_token_ids": ids, "decoder_padding_mask": tf.ones_like(ids, tf.bool)},
                              training=False)

        return self.from_start(logits, source, tf.shape(source[0])[1], max_new_tokens, temperature, sampler)

    def from_start(self, logits, context, width, max_new_tokens=None, temperature=None, sampler=None):
        """{"generated", "num_tokens"}: the decoder started from the start token, `logits(ids, context)` giving
        its logits over a buffer of `width` positions; `context` (the batch first: the encoded source) goes with
        the sampler's beams."""
        import tensorflow as tf

        from models.tasks.generation.decode import generate_ids, generated_texts, uncached

        batch = tf.shape(tf.nest.flatten(context)[0])[0]
        start = tf.fill([batch, 1], tf.constant(self.encoder.vocabulary.start_id, tf.int32))
        buffer = tf.concat([start, tf.zeros([batch, width - 1], tf.int32)], axis=1)
        sampler = sampler or self.sampler
        limit = self.max_new_tokens if max_new_tokens is None else max_new_tokens
        with with_temperature(sampler, temperature):
            out, kept = generate_ids(uncached(logits, sampler, context), buffer, tf.ones([batch], tf.int32),
                                     self.stop_ids, limit, self.jit_compile)
        texts, counts = generated_texts(self.encoder.vocabulary.tokenizer, out, kept)
        return {"generated": texts, "num_tokens": counts}
