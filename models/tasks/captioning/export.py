"""`Captioner`: image bytes in, captions (strings) out, with the image decoding, the spec's image stages, the
model, the tokenizer and the sampler in one Keras layer, so the export and the Keras-side scores run the same
graph (exported by `models.tasks.generation.export.generation_endpoints`).

Each image is encoded once (`image_encoder`); the decoder starts from the start token and fills its buffer
in one `tf.while_loop`, attending to the image tokens, up to `max_new_tokens` tokens (and the tokenizer's
sequence_length) or its first stop token. A beam sampler carries the image tokens with its beams.

Signatures: `serving_default(image_bytes)` and `generate(image_bytes, max_new_tokens, temperature)` ->
`generated` (tf.string [batch]), `num_tokens` (int32 [batch]); `greedy(image_bytes)` for the parity check.

Example:
    >>> captioner = Captioner(model, encoder, sampler, [3], 16, preprocess=datasets.preprocess,
    ...                       image_shape=(32, 48, 3))                                    # doctest: +SKIP
    >>> captioner.generate(tf.constant([png_bytes]))["generated"]                        # doctest: +SKIP
    <tf.Tensor: shape=(1,), dtype=string, numpy=array([b'a red circle left of a blue square'], dtype=object)>
"""

from __future__ import annotations

from models.tasks.generation.encoder_decoder import EncoderDecoderGenerator


class Captioner(EncoderDecoderGenerator):
    """Captions images with a `models.tasks.captioning.model.build_captioner` model; `preprocess` is the spec's
    image stages and `image_shape` the shape images are decoded to."""

    def __init__(self, model, encoder, *args, image_shape, **kwargs):
        super().__init__(model, encoder, *args, **kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)

    def generate(self, image_bytes, max_new_tokens=None, temperature=None, sampler=None):
        """{"generated": tf.string [batch], "num_tokens": int32 [batch]} for encoded images [batch]."""
        import tensorflow as tf

        from data.images import decode_image

        images = tf.map_fn(lambda b: decode_image(b, self.image_shape), image_bytes,
                           fn_output_signature=tf.TensorSpec(self.image_shape, tf.float32))
        return self.caption(self._preprocess(images), max_new_tokens, temperature, sampler)

    def caption(self, images, max_new_tokens=None, temperature=None, sampler=None):
        """The same for images already preprocessed as in training ([batch, height, width, channels])."""
        import tensorflow as tf

        decoder = self.model.get_layer("text_decoder")

        def logits(ids, image_tokens):
            return decoder({"image_tokens": image_tokens, "decoder_token_ids": ids,
                            "decoder_padding_mask": tf.ones_like(ids, tf.bool)}, training=False)

        image_tokens = self.model.get_layer("image_encoder")(images, training=False)
        return self.from_start(logits, image_tokens, self.encoder.sequence_length, max_new_tokens, temperature,
                               sampler)
