"""The language model: a backbone and its vocabulary projection, LoRA, and counting what trains.

A keras-hub backbone that keras-hub pairs with a causal LM class (`GPT2Backbone` -> `GPT2CausalLM`,
`GemmaBackbone` -> `GemmaCausalLM`, Llama, Mistral, ...) is wrapped in that class, so its logits are computed
as keras-hub computes them (tied embeddings, Gemma's soft-capping). Any other text backbone (the built-in
`decoder_transformer`) gets a dense projection to the vocabulary. Either way the model takes
`{"token_ids", "padding_mask"}` [batch, length] and returns float logits [batch, length, vocabulary].

Example:
    >>> model = build_language_model(backbone, vocabulary_size=2000, name="docstrings_lm")  # doctest: +SKIP
    >>> model({"token_ids": ids, "padding_mask": mask}).shape                             # doctest: +SKIP
    TensorShape([8, 63, 2000])
"""

from __future__ import annotations


def build_language_model(backbone, vocabulary_size: int, name: str):
    """The backbone with its logits: keras-hub's causal LM class for it, else a dense projection.

    Example:
        >>> build_language_model(backbone, 2000, "lm").output.shape   # doctest: +SKIP
        (None, None, 2000)
    """
    import keras

    from models.backbones.keras_hub import task_class_for
    from models.tasks.text_model import sequence_output

    known = task_class_for(backbone, "CausalLM")
    if known is not None:
        return known(backbone=backbone, preprocessor=None, name=name)
    inputs = {"token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
              "padding_mask": keras.Input((None,), dtype="bool", name="padding_mask")}
    logits = keras.layers.Dense(vocabulary_size, dtype="float32", name="logits")(sequence_output(backbone, inputs))
    return keras.Model(inputs, logits, name=name)


def enable_lora(backbone, rank: int) -> None:
    """`backbone.enable_lora(rank)` (keras-hub backbones): only the low-rank adapters train.

    The layers LoRA freezes are marked `models.backbones.FROZEN`, so the training phases (which set the
    backbone trainable) leave them frozen.

    Example:
        >>> enable_lora(backbone, 4)   # doctest: +SKIP
    """
    from models.backbones import FROZEN

    if not hasattr(backbone, "enable_lora"):
        raise ValueError(f"model.head.lora_rank: backbone {backbone.name!r} ({type(backbone).__name__}) has no "
                         f"enable_lora; LoRA needs a keras-hub backbone (source: keras_hub)")
    backbone.enable_lora(rank)
    for layer in backbone._flatten_layers(include_self=False):
        leaf = not list(layer._flatten_layers(include_self=False, recursive=False))
        if leaf and not layer.trainable:
            setattr(layer, FROZEN, True)


def parameter_counts(model) -> tuple[int, int]:
    """(trainable, total) parameters of a built model.

    Example:
        >>> import keras
        >>> parameter_counts(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
        (8, 8)
    """
    import numpy as np

    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    return trainable, sum(int(np.prod(v.shape)) for v in model.weights)
