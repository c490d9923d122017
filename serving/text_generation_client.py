"""Texts from a text generator's export: prompts in, generations out (`kpipe predict EXPORT --text PROMPT`).

A text generator's `serving_default` takes one string input (`prompts` for a language model, `inputs` for a
sequence-to-sequence model: tf.string [batch]) and returns `generated` (tf.string [batch]) and `num_tokens`
(int32 [batch]), with the sampler its spec set.

Example:
    >>> generate_texts("serving/models/docstrings_lm", ["Return the indices of"])   # doctest: +SKIP
    [{'prompt': 'Return the indices of', 'generated': 'the maximum values along an axis .', 'num_tokens': 8}]
"""

from __future__ import annotations

import os

from serving.client import SIGNATURE, latest_version_dir
from serving.loading import load_export

INPUT = "prompts"
OUTPUT = "generated"


def text_input(serve) -> str | None:
    """The name of a generator signature's one string input (None: not a text generator's signature)."""
    import tensorflow as tf

    inputs = serve.structured_input_signature[1]
    if OUTPUT not in serve.structured_outputs or len(inputs) != 1:
        return None
    name, spec = next(iter(inputs.items()))
    return name if spec.dtype == tf.string else None


def takes_prompts(export_dir: str | os.PathLike) -> bool:
    """Whether the export's `serving_default` takes texts and returns `generated` (a text generator's export).

    Example:
        >>> takes_prompts("serving/models/docstrings_lm")   # doctest: +SKIP
        True
    """
    return text_input(load_export(latest_version_dir(export_dir)).signatures[SIGNATURE]) is not None


def generate_texts(export_dir: str | os.PathLike, prompts: list[str]) -> list[dict]:
    """One row per text: the text (keyed `prompt`, or `input` for an export taking `inputs`), its generation and
    how many tokens were generated."""
    import tensorflow as tf

    serve = load_export(latest_version_dir(export_dir)).signatures[SIGNATURE]
    name = text_input(serve) or INPUT
    key = "prompt" if name == INPUT else name.removesuffix("s")
    outputs = serve(**{name: tf.constant(prompts, dtype=tf.string)})
    generated, counts = outputs[OUTPUT].numpy(), outputs["num_tokens"].numpy()
    return [{key: prompt, "generated": text.decode("utf-8", errors="replace"), "num_tokens": int(count)}
            for prompt, text, count in zip(prompts, generated, counts)]
