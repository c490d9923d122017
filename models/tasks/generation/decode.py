"""Decoding: prompt token ids -> prompt plus generated ids, with a keras-hub sampler, in one `tf.while_loop`.

Two loops fill the buffer after the prompts: `cached`, a keras-hub causal LM's own `generate_step` (a key/value
cache: one new token's work per step), and `uncached` for any other causal model (the built-in decoder), which
runs the model over the whole buffer at every step and samples the logits before the next position.
`decoder_for` picks one. Prompts shorter than the longest in a batch start generating sooner; each row keeps
its own prompt, gets at most `max_new_tokens` new tokens and stops at its first stop token.

Example:
    >>> decode = decoder_for(model, logits_fn, sampler)                                           # doctest: +SKIP
    >>> ids, kept = generate_ids(decode, token_ids, lengths, stop_ids=[3], max_new_tokens=8)       # doctest: +SKIP
    >>> generated_texts(tokenizer, ids, kept)                                                     # doctest: +SKIP
"""

from __future__ import annotations


def generate_ids(decode, token_ids, lengths, stop_ids, max_new_tokens, jit_compile: bool = False):
    """(ids [batch, buffer], kept [batch, buffer] bool: the generated tokens before each row's stop token).

    `token_ids` [batch, length] hold each prompt in its first `lengths` [batch] positions; the buffer is cut to
    the longest prompt plus `max_new_tokens` (at most `length`, the model's positions). `decode(prompt,
    prompt_mask, stop_ids)` fills the buffer after each prompt (`uncached` or `cached`), compiled with XLA when
    `jit_compile`.

    Example:
        >>> decode = uncached(logits_fn, GreedySampler())                      # doctest: +SKIP
        >>> ids, kept = generate_ids(decode, token_ids, lengths, [3], 16)       # doctest: +SKIP
    """
    import tensorflow as tf

    token_ids = tf.convert_to_tensor(token_ids, tf.int32)
    lengths = tf.cast(lengths, tf.int32)
    max_new_tokens = tf.cast(max_new_tokens, tf.int32)
    buffer = tf.minimum(tf.shape(token_ids)[1], tf.reduce_max(lengths) + max_new_tokens)
    positions = tf.range(buffer)[None, :]
    prompt_mask = positions < lengths[:, None]
    prompt = tf.where(prompt_mask, token_ids[:, :buffer], tf.zeros_like(token_ids[:, :buffer]))
    stops = tf.constant(list(stop_ids), tf.int32)
    run = tf.function(decode, jit_compile=True) if jit_compile else decode
    ids = tf.cast(run(prompt, prompt_mask, tuple(stop_ids) or None), tf.int32)
    generated = (~prompt_mask) & (positions < (lengths + max_new_tokens)[:, None])
    is_stop = tf.reduce_any(ids[:, :, None] == stops[None, None, :], axis=-1) & generated
    after_stop = tf.cumsum(tf.cast(is_stop, tf.int32), axis=1) > 0
    return ids, generated & ~after_stop


def uncached(logits_fn, sampler, context=None):
    """Decoding for any causal model: `logits_fn(ids)` ([batch, length] -> logits [batch, length, vocabulary]) runs
    over the whole buffer at every step and the logits before the next position are sampled.

    With `context` (a tensor or nested tensors with the batch first: an encoder's output, the source ids),
    `logits_fn(ids, context)` is called instead, and the context travels as the sampler's cache, so a beam
    sampler repeats and reorders it with its beams.

    Example:
        >>> logits = lambda ids: model({"token_ids": ids, "padding_mask": ids >= 0})  # doctest: +SKIP
        >>> decode = uncached(logits, sampler)                                      # doctest: +SKIP
    """
    import tensorflow as tf

    def decode(prompt, prompt_mask, stop_ids):
        def next_logits(ids, cache, index):
            logits = logits_fn(ids) if context is None else logits_fn(ids, cache)
            return tf.cast(logits[:, index - 1, :], tf.float32), None, cache

        start = tf.reduce_min(tf.reduce_sum(tf.cast(prompt_mask, tf.int32), axis=-1))
        return sampler(next_logits, prompt, cache=context, index=start, mask=prompt_mask, stop_token_ids=stop_ids)

    return decode


def cached(causal_lm, sampler):
    """Decoding with a keras-hub `CausalLM`'s own `generate_step`: a key/value cache, one new token per step.

    Example:
        >>> decode = cached(gpt2_causal_lm, keras_hub.samplers.GreedySampler())  # doctest: +SKIP
    """

    def decode(prompt, prompt_mask, stop_ids):
        saved = getattr(causal_lm, "sampler", None)
        causal_lm.sampler = sampler  # what `compile(sampler=...)` sets; generate_step reads it
        try:
            return causal_lm.generate_step({"token_ids": prompt, "padding_mask": prompt_mask}, stop_ids)["token_ids"]
        finally:
            causal_lm.sampler = saved

    return decode


def decoder_for(model, logits_fn, sampler):
    """`cached` for a model with keras-hub's cached generation (`generate_step`, `call_with_cache`), else
    `uncached`.

    Example:
        >>> decode = decoder_for(model, generator.logits, sampler)  # doctest: +SKIP
    """
    if hasattr(model, "generate_step") and hasattr(model, "call_with_cache"):
        return cached(model, sampler)
    return uncached(logits_fn, sampler)


def generated_texts(tokenizer, ids, kept):
    """(texts [batch] tf.string, num_tokens [batch] int32): each row's kept ids detokenized, spaces stripped.

    Example:
        >>> texts, counts = generated_texts(vocabulary.tokenizer, ids, kept)  # doctest: +SKIP
    """
    import tensorflow as tf

    ragged = tf.ragged.boolean_mask(ids, kept)
    texts = tokenizer.detokenize(ragged)
    texts = tf.strings.strip(tf.reshape(tf.convert_to_tensor(texts), [-1]))
    return texts, tf.cast(ragged.row_lengths(), tf.int32)


def prompt_ids(features: dict, has_end_token: bool):
    """(token ids, lengths) of encoded prompts: the tokenize stage's ids without their end token, which would
    tell the model the text is over.

    Example:
        >>> ids, lengths = prompt_ids(encoder(prompts), has_end_token=True)  # doctest: +SKIP
    """
    import tensorflow as tf

    lengths = tf.reduce_sum(tf.cast(features["padding_mask"], tf.int32), axis=-1) - int(has_end_token)
    return tf.cast(features["token_ids"], tf.int32), tf.maximum(lengths, 1)
