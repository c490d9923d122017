"""`model.head` options of the `dual_encoder` task: the shared embedding, the text tower and its tokenizer.

The spec's `stages` preprocess the images (the spec's backbone is the image
tower's body); captions are tokenized by `tokenize` here, learned from the
training split's captions (or a keras-hub preset's tokenizer) and saved
inside the export.

The text tower is built in (`text: {width, layers, heads, intermediate}`) or
a keras-hub text backbone (`text: {backbone: {source: keras_hub, ...}}`, typed
as the spec's `model.backbone` with `source: keras_hub`), from a config or a
preset. A backbone from a preset needs that preset's tokenizer
(`tokenize.preset`); one from a config gets the tokenizer's vocabulary size
and sequence length as its `vocabulary_size` and `max_sequence_length` unless
its config sets them (then they must be at least as large).

With a keras-hub CLIP or SigLIP model as the spec's `model.backbone`, that
model is both towers (`models.tasks.dual_encoder.joint`): the head then sets
only `tokenize` (a preset's own tokenizer for a preset), `temperature`,
`class_prompts` and `recall_at`.

Example (YAML):
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64, 64]}}
      head: {embedding_dim: 64, image_pooling: flatten, text: {width: 64, layers: 1, heads: 2},
             tokenize: {tokenizer: word_piece, vocabulary_size: 64, sequence_length: 12}}
      # or a keras-hub text tower, randomly initialized ...
      head: {text: {backbone: {source: keras_hub, name: BertBackbone,
                               config: {num_layers: 2, num_heads: 2, hidden_dim: 64, intermediate_dim: 128}}},
             tokenize: {vocabulary_size: 64, sequence_length: 12}}
      # ... or pretrained, with its preset's tokenizer
      head: {text: {backbone: {source: keras_hub, name: BertBackbone, preset: bert_tiny_en_uncased}},
             tokenize: {preset: bert_tiny_en_uncased, sequence_length: 16}}

Example:
    >>> TextTowerOptions(backbone={"source": "keras_hub", "name": "BertBackbone", "preset": "bert_tiny_en_uncased"}
    ...                  ).backbone.name
    'BertBackbone'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from data.stages.tokenize import TokenizeOptions
from models.backbones.keras_hub import KerasHubOptions
from pipelines.options import Options, PositiveFloat, PositiveInt

BUILT_IN = ("width", "layers", "heads", "intermediate")
"""The built-in text tower's options (a text backbone sets its own sizes)."""


class TextBackboneOptions(KerasHubOptions):
    """A keras-hub text backbone (`BertBackbone`, ...) from a config (random) or a preset (pretrained)."""

    source: Literal["keras_hub"] = Field(description="The backbone library: keras_hub (its text backbones).")


class TextTowerOptions(Options):
    """The text tower: token and position embeddings, Transformer encoder blocks, a masked mean; or a keras-hub
    text backbone's sequence output, masked-mean pooled."""

    width: PositiveInt = Field(64, le=4096, description="Width of the token embeddings and the blocks.")
    layers: int = Field(1, ge=0, le=24, description="Transformer encoder blocks (0: the embeddings alone).")
    heads: PositiveInt = Field(2, le=64, description="Attention heads per block (dividing `width`).")
    intermediate: PositiveInt = Field(128, le=16384, description="Width of each block's feed-forward layer.")
    backbone: TextBackboneOptions | None = Field(
        None, description="A keras-hub text backbone instead of the built-in blocks (`{source: keras_hub, name: "
                          "BertBackbone, config: {...}}` or with `preset:`); its config gets the tokenizer's "
                          "vocabulary_size and max_sequence_length unless it sets them.")

    @model_validator(mode="after")
    def _backbone_or_blocks(self):
        given = [key for key in BUILT_IN if key in self.model_fields_set]
        if self.backbone is not None and given:
            raise ValueError(f"{', '.join(given)}: the built-in tower's options; with a backbone its config sets "
                             f"the sizes (backbone.config), so remove them")
        return self


class DualEncoderHead(Options):
    """Two towers that end in unit-length embeddings of one width, scored by a learnable temperature."""

    embedding_dim: PositiveInt = Field(64, le=4096, description="Width of both towers' (normalised) output.")
    image_pooling: Literal["average", "flatten"] = Field(
        "average", description="How the image backbone's feature map becomes a vector: global average (any "
                               "image size) or flatten (keeps where things are: 'left of'; small maps only).")
    text: TextTowerOptions = Field(default_factory=TextTowerOptions, description="The text tower.")
    tokenize: TokenizeOptions = Field(
        default_factory=TokenizeOptions, description="The captions' tokenizer (the `tokenize` stage's options), "
                                                     "learned from the training captions.")
    temperature: PositiveFloat = Field(
        0.07, le=1.0, description="Initial temperature of the logits (learned, as CLIP; at least 0.01); a joint "
                                  "CLIP/SigLIP model from a preset starts from its own unless this is set.")
    class_prompts: dict[str, str] | None = Field(
        None, description="Class name -> prompt (e.g. {circle: a photo of a circle}) for zero-shot accuracy on "
                          "the test split: an image's class is the one class name its caption names as a word "
                          "(images whose caption names none or several are not scored).")
    recall_at: list[PositiveInt] = Field([1, 5, 10], min_length=1,
                                         description="The k of each recall@k, both directions.")
