"""Generations as a CSV table (an MLflow text artifact): one row per prompt.

Example:
    >>> print(generations_table(["the model"], ["is trained"], [2]), end="")
    prompt,generated,num_tokens
    the model,is trained,2
"""

from __future__ import annotations


def generations_table(prompts, generated, num_tokens) -> str:
    """CSV text with the columns prompt, generated, num_tokens (quoted where needed)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["prompt", "generated", "num_tokens"])
    for prompt, text, count in zip(prompts, generated, num_tokens):
        writer.writerow([_text(prompt), _text(text), int(count)])
    return out.getvalue()


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
