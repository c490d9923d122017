"""`Generator`: prompts (strings) in, generations (strings) out, with the tokenizer, model and sampler in one
Keras layer, so the export's signatures and the Keras-side reference run the same graph.

Signatures a generative task exports with `generation_endpoints`:

- `serving_default(prompts: tf.string [batch])` -> `generated` (tf.string [batch]), `num_tokens` (int32
  [batch]), with the spec's sampler;
- `generate(prompts, max_new_tokens: int32 [], temperature: float32 [])`: the same with those two
  overridden for the request (temperature only matters to the random samplers);
- `greedy(prompts)`: greedy decoding, what the parity check compares with the Keras model's.

Example:
    >>> generator = Generator(model, encoder, sampler, stop_ids=[3], max_new_tokens=16)  # doctest: +SKIP
    >>> generator.generate(tf.constant(["the model"]))["generated"]                     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib

import keras


class Generator(keras.layers.Layer):
    """Generates continuations of prompts with `model` ({"token_ids", "padding_mask"} -> logits); a keras-hub
    causal LM decodes with its key/value cache (`models.tasks.generation.decode.decoder_for`).

    `encoder` is the tokenize stage's `TextEncoder` (its `vocabulary` gives the tokenizer and special ids);
    `preprocess` (default: the encoder) turns prompt strings into its features.
    """

    def __init__(self, model, encoder, sampler, stop_ids, max_new_tokens: int, preprocess=None,
                 jit_compile: bool = False, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.model = model
        self.encoder = encoder
        self.sampler = sampler
        self.seed_generators = list(getattr(sampler, "_seed_generators", []))  # tracked: the export saves them
        self.stop_ids = [int(i) for i in stop_ids]
        self.max_new_tokens = int(max_new_tokens)
        self.jit_compile = jit_compile
        object.__setattr__(self, "_preprocess", preprocess or encoder)
        self.built = True

    def logits(self, token_ids):
        """The model's logits for every position of `token_ids` (nothing padded: the buffer is causal)."""
        import tensorflow as tf

        mask = tf.ones_like(token_ids, dtype=tf.bool)
        return self.model({"token_ids": token_ids, "padding_mask": mask}, training=False)

    def generate(self, prompts, max_new_tokens=None, temperature=None, sampler=None):
        """{"generated": tf.string [batch], "num_tokens": int32 [batch]} for prompt strings [batch]."""
        from models.tasks.generation.decode import decoder_for, generate_ids, generated_texts, prompt_ids

        vocabulary = self.encoder.vocabulary
        ids, lengths = prompt_ids(self._preprocess(prompts), vocabulary.end_id is not None)
        sampler = sampler or self.sampler
        limit = self.max_new_tokens if max_new_tokens is None else max_new_tokens
        with with_temperature(sampler, temperature):
            decode = decoder_for(self.model, self.logits, sampler)
            out, kept = generate_ids(decode, ids, lengths, self.stop_ids, limit, self.jit_compile)
        texts, counts = generated_texts(vocabulary.tokenizer, out, kept)
        return {"generated": texts, "num_tokens": counts}


@contextlib.contextmanager
def with_temperature(sampler, temperature):
    """The sampler with its temperature set to `temperature` (a tensor, read when the loop is traced)."""
    if temperature is None:
        yield
        return
    saved = sampler.temperature
    sampler.temperature = temperature
    try:
        yield
    finally:
        sampler.temperature = saved


def generation_endpoints(generator: Generator, input_name: str = "prompts") -> dict:
    # `greedy` keeps the generator's max_new_tokens and stop tokens: only the sampler changes.
    """`serving_default`, `generate` (per-request max_new_tokens and temperature) and `greedy` endpoints for
    `serving.publish.export_archive`.

    Example:
        >>> endpoints = generation_endpoints(generator)   # doctest: +SKIP
        >>> sorted(endpoints)                             # doctest: +SKIP
        ['generate', 'greedy', 'serving_default']
    """
    import keras_hub
    import tensorflow as tf

    prompts = tf.TensorSpec([None], tf.string, name=input_name)
    greedy = keras_hub.samplers.GreedySampler()

    def serve(prompts):
        return generator.generate(prompts)

    def generate(prompts, max_new_tokens, temperature):
        return generator.generate(prompts, max_new_tokens=max_new_tokens, temperature=temperature)

    def generate_greedy(prompts):
        return generator.generate(prompts, sampler=greedy)

    return {"serving_default": (serve, [prompts]),
            "generate": (generate, [prompts, tf.TensorSpec([], tf.int32, name="max_new_tokens"),
                                    tf.TensorSpec([], tf.float32, name="temperature")]),
            "greedy": (generate_greedy, [prompts])}


def text_encoder(datasets):
    """The tokenize stage's encoder among the serving preprocessing layers (the layer with a `vocabulary`).

    Example:
        >>> text_encoder(datasets).vocabulary.end_id   # doctest: +SKIP
        3
    """
    for layer in datasets.preprocessing_layers:
        if getattr(layer, "vocabulary", None) is not None:
            return layer
    raise ValueError("generative text tasks need a `tokenize` stage in `stages` (text -> token ids)")


def stop_token_ids(vocabulary, stop_tokens: list[str], key: str = "model.head.sampling.stop_tokens") -> list[int]:
    """The end token's id and those of `stop_tokens`; an unknown token is an error naming `key`.

    Example:
        >>> stop_token_ids(vocabulary, ["."])   # doctest: +SKIP
        [3, 17]
    """
    ids = [] if vocabulary.end_id is None else [int(vocabulary.end_id)]
    for token in stop_tokens:
        try:
            found = vocabulary.tokenizer.token_to_id(token)
        except (KeyError, ValueError, AttributeError):
            found = None
        if found is None or (isinstance(found, int) and found < 0):
            raise ValueError(f"{key}: {token!r} is not a token of the tokenizer's vocabulary")
        ids.append(int(found))
    return list(dict.fromkeys(ids))
