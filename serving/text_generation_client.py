"""Texts from a text generator's export: prompts in, generations out (`kpipe predict EXPORT --text PROMPT`).

A text generator's `serving_default` takes `prompts` (tf.string [batch]) and returns `generated` (tf.string
[batch]) and `num_tokens` (int32 [batch]), with the sampler its spec set.

Example:
    >>> generate_texts("serving/models/docstrings_lm", ["Return the indices of"])   # doctest: +SKIP
    [{'prompt': 'Return the indices of', 'generated': 'the maximum values along an axis .', 'num_tokens': 8}]
"""

from __future__ import annotations

import os

from serving.client import SIGNATURE, latest_version_dir
from serving.loading import load_export

INPUT = "prompts"


def takes_prompts(export_dir: str | os.PathLike) -> bool:
    """Whether the export's `serving_default` takes `prompts` (a text generator's export).

    Example:
        >>> takes_prompts("serving/models/docstrings_lm")   # doctest: +SKIP
        True
    """
    serve = load_export(latest_version_dir(export_dir)).signatures[SIGNATURE]
    return INPUT in serve.structured_input_signature[1]


def generate_texts(export_dir: str | os.PathLike, prompts: list[str]) -> list[dict]:
    """One row per prompt: the prompt, its generation and how many tokens were generated."""
    import tensorflow as tf

    serve = load_export(latest_version_dir(export_dir)).signatures[SIGNATURE]
    outputs = serve(**{INPUT: tf.constant(prompts, dtype=tf.string)})
    generated, counts = outputs["generated"].numpy(), outputs["num_tokens"].numpy()
    return [{"prompt": prompt, "generated": text.decode("utf-8", errors="replace"), "num_tokens": int(count)}
            for prompt, text, count in zip(prompts, generated, counts)]
