"""`model.head` options of the `captioning` task: the image tokens' encoder, the text decoder, the captions'
tokenizer and how captions are generated.

The spec's `stages` preprocess the images and its backbone reads them; every position of the backbone's
feature map becomes one image token, which the decoder attends to. Captions are tokenized by `tokenize`
(learned from the training captions, saved inside the export).

Example (YAML):
    model:
      backbone: {source: builtin, name: cnn, config: {filters: [32, 64, 64]}}
      head:
        decoder: {hidden_dim: 128, num_layers: 2, num_heads: 4, intermediate_dim: 256}
        tokenize: {tokenizer: word_piece, vocabulary_size: 64, sequence_length: 16}
        sampling: {sampler: beam, num_beams: 3, max_new_tokens: 14}
"""

from __future__ import annotations

from pydantic import Field

from data.stages.tokenize import TokenizeOptions
from models.backbones.transformer_encoder import TransformerEncoderOptions
from models.tasks.generation.sampling import SamplingOptions
from pipelines.options import Options, PositiveInt


class CaptionDecoderOptions(TransformerEncoderOptions):
    """Sizes of the image-token encoder and the text decoder (one width for both)."""

    hidden_dim: PositiveInt = Field(128, le=4096, description="Width of the image tokens, the token embeddings and "
                                                              "the blocks (a multiple of num_heads).")
    num_layers: PositiveInt = Field(2, le=48, description="Decoder blocks (causal self-attention, then attention "
                                                          "to the image tokens).")
    num_heads: PositiveInt = Field(4, le=64, description="Attention heads per block.")
    intermediate_dim: PositiveInt = Field(256, le=16384, description="Hidden size of each block's feed-forward part.")
    encoder_layers: int = Field(1, ge=0, le=48, description="Transformer encoder blocks over the image tokens "
                                                            "before the decoder reads them (0: the projected "
                                                            "feature map as it is).")


class CaptioningHead(Options):
    """The decoder, the captions' tokenizer, the sampler, and what is captioned during training."""

    decoder: CaptionDecoderOptions = Field(default_factory=CaptionDecoderOptions,
                                           description="The image-token encoder and the text decoder.")
    tokenize: TokenizeOptions = Field(
        default_factory=TokenizeOptions, description="The captions' tokenizer (the `tokenize` stage's options, one "
                                                     "with start and end tokens), learned from the training "
                                                     "captions; sequence_length bounds a caption's tokens.")
    sampling: SamplingOptions = Field(default_factory=SamplingOptions, description="How the export, the "
                                      "per-epoch table and the held-out scores caption (greedy by default; beam "
                                      "for beam search).")
    eval_samples: int = Field(256, ge=0, le=100_000, description="Validation images captioned after every epoch for "
                              "val_cider_d (the default early-stopping metric); 0: none (early stopping then "
                              "watches val_loss).")
    num_prompts: PositiveInt = Field(8, le=256, description="Validation images whose captions are written to "
                                                            "generations/epoch_NNN.csv after every epoch.")
