"""The sequence-to-sequence model: an encoder-decoder backbone and its vocabulary projection.

A keras-hub backbone that keras-hub pairs with a `Seq2SeqLM` class (`BartBackbone` -> `BartSeq2SeqLM`,
`T5Backbone` -> `T5Seq2SeqLM`, ...) is wrapped in that class, so its logits are computed as keras-hub computes
them (tied embeddings). Any other encoder-decoder backbone (the built-in `encoder_decoder_transformer`) gets a
dense projection of its decoder output to the vocabulary. Either way the model takes `{"encoder_token_ids",
"encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask"}` and returns float logits
[batch, decoder length, vocabulary].

Example:
    >>> model = build_seq2seq_model(backbone, vocabulary_size=300, name="numbers")   # doctest: +SKIP
"""

from __future__ import annotations

INPUTS = ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")


def check_backbone(backbone) -> None:
    """Fail, naming `model.backbone`, unless the backbone takes encoder and decoder token ids.

    Example:
        >>> check_backbone(decoder_only_backbone)   # doctest: +SKIP
        Traceback (most recent call last):
        ValueError: model.backbone: ...
    """
    wanted = set(backbone.input) if isinstance(backbone.input, dict) else set()
    if not set(INPUTS) <= wanted:
        raise ValueError(f"model.backbone: task seq2seq needs an encoder-decoder backbone taking {list(INPUTS)} "
                         f"(builtin encoder_decoder_transformer, keras_hub BartBackbone or T5Backbone); "
                         f"{backbone.name!r} takes {sorted(wanted) or 'one tensor'}")


def build_seq2seq_model(backbone, vocabulary_size: int, name: str):
    """The backbone with its logits: keras-hub's seq2seq LM class for it, else a dense projection.

    Example:
        >>> build_seq2seq_model(backbone, 300, "numbers").output.shape   # doctest: +SKIP
        (None, None, 300)
    """
    import keras

    from models.backbones.keras_hub import task_class_for

    check_backbone(backbone)
    known = task_class_for(backbone, "Seq2SeqLM")
    if known is not None:
        return known(backbone=backbone, preprocessor=None, name=name)
    inputs = {key: keras.Input((None,), dtype="bool" if key.endswith("mask") else "int32", name=key)
              for key in INPUTS}
    outputs = backbone(inputs)
    if isinstance(outputs, dict):
        outputs = outputs["decoder_sequence_output"]
    logits = keras.layers.Dense(vocabulary_size, dtype="float32", name="logits")(outputs)
    return keras.Model(inputs, logits, name=name)
