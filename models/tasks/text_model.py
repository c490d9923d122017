"""What the text tasks share: model inputs, feeding a backbone, and the features the model takes.

Every text model takes `token_ids` (int32) and `padding_mask` (bool), both
[batch, sequence_length], the names keras-hub backbones use. Backbones that
also want `segment_ids` (BERT, ALBERT, ELECTRA) get zeros: one segment.

Example:
    >>> inputs = text_inputs({"token_ids": (16,), "padding_mask": (16,), "word_ids": (16,)})  # doctest: +SKIP
    >>> sequence = sequence_output(backbone, inputs)                                        # doctest: +SKIP
"""

from __future__ import annotations

MODEL_FEATURES = ("token_ids", "padding_mask")


def check_text(task: str, examples, tokens: bool) -> None:
    """Fail early unless the source gives text (tokens: per-word tags) with at least two classes."""
    kind = "tokens" if tokens else "text"
    if examples.kind != kind:
        need = "tokens_column/tags_column or a conll source" if tokens else "text_column or a text_files source"
        raise ValueError(f"task {task} needs {kind} examples ({need}); data.source gives {examples.kind}")
    if examples.num_classes < 2:
        raise ValueError(f"task {task} needs at least 2 classes, got {examples.class_names}")


def check_tokenized(task: str, input_shape) -> None:
    """Fail with a clear message when no `tokenize` stage turned the text into token ids."""
    if not isinstance(input_shape, dict) or not set(MODEL_FEATURES) <= set(input_shape):
        raise ValueError(f"task {task} needs a `tokenize` stage in `stages` (text -> token ids)")


def model_features(features: dict) -> dict:
    """The encoder outputs the model takes (drops `word_ids`).

    Example:
        >>> sorted(model_features({"token_ids": 1, "padding_mask": 2, "word_ids": 3}))
        ['padding_mask', 'token_ids']
    """
    return {name: features[name] for name in MODEL_FEATURES}


def text_inputs(input_shape: dict):
    """`keras.Input`s for token ids and padding mask."""
    import keras

    length = input_shape["token_ids"]
    return {"token_ids": keras.Input(length, dtype="int32", name="token_ids"),
            "padding_mask": keras.Input(length, dtype="bool", name="padding_mask")}


def sequence_output(backbone, inputs: dict):
    """Per-token vectors [batch, length, hidden] from any text backbone (keras-hub or built-in)."""
    import keras

    wanted = backbone.input if isinstance(backbone.input, dict) else {"token_ids": backbone.input}
    feed = {}
    for name, spec in wanted.items():
        if name in inputs:
            feed[name] = keras.ops.cast(inputs[name], spec.dtype)
        elif name == "segment_ids":
            feed[name] = keras.ops.zeros_like(inputs["token_ids"], dtype=spec.dtype)
        else:
            raise ValueError(f"model.backbone: {backbone.name} wants an input {name!r} that text models do not give")
    outputs = backbone(feed)
    return outputs["sequence_output"] if isinstance(outputs, dict) else outputs


def text_requests(input_name: str, examples, indices) -> list[dict]:
    """One `serving_default` request per example: its text as UTF-8 bytes (parity checks, warmup records).

    Example:
        >>> import numpy as np
        >>> from data.examples import Examples
        >>> text_requests("texts", Examples(np.array(["hi"], object), np.array([0]), ["a", "b"]), [0])
        [{'texts': array([b'hi'], dtype=object)}]
    """
    import numpy as np

    return [{input_name: np.array([str(examples.inputs[i]).encode("utf-8")], dtype=object)} for i in indices]


def text_arguments(texts) -> list[str]:
    """`kpipe predict --text` arguments for a request's texts (bytes).

    Example:
        >>> text_arguments([b"a lovely film"])
        ['--text', 'a lovely film']
    """
    arguments = []
    for text in texts:
        arguments += ["--text", bytes(text).decode("utf-8")]
    return arguments
