"""`model.head` options of the `dual_encoder` task: the shared embedding, the text tower and its tokenizer.

The spec's `stages` preprocess the images (the spec's backbone is the image
tower's body); captions are tokenized by `tokenize` here, learned from the
training split's captions and saved inside the export.

Example (YAML):
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64, 64]}}
      head: {embedding_dim: 64, image_pooling: flatten, text: {width: 64, layers: 1, heads: 2},
             tokenize: {tokenizer: word_piece, vocabulary_size: 64, sequence_length: 12}}
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from data.stages.tokenize import TokenizeOptions
from pipelines.options import Options, PositiveFloat, PositiveInt


class TextTowerOptions(Options):
    """The text tower: token and position embeddings, Transformer encoder blocks, a masked mean."""

    width: PositiveInt = Field(64, le=4096, description="Width of the token embeddings and the blocks.")
    layers: int = Field(1, ge=0, le=24, description="Transformer encoder blocks (0: the embeddings alone).")
    heads: PositiveInt = Field(2, le=64, description="Attention heads per block (dividing `width`).")
    intermediate: PositiveInt = Field(128, le=16384, description="Width of each block's feed-forward layer.")


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
        0.07, le=1.0, description="Initial temperature of the logits (learned, as CLIP; at least 0.01).")
    class_prompts: dict[str, str] | None = Field(
        None, description="Class name -> prompt (e.g. {circle: a photo of a circle}) for zero-shot accuracy on "
                          "the test split: an image's class is the one class name its caption names as a word "
                          "(images whose caption names none or several are not scored).")
    recall_at: list[PositiveInt] = Field([1, 5, 10], min_length=1,
                                         description="The k of each recall@k, both directions.")
