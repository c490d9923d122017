"""`tokenize`: raw text -> token ids, with a keras-hub tokenizer from a preset or trained on the training split.

Tokenizers: `word_piece`, `byte_pair`, `sentence_piece` (keras-hub) and
`text_vectorization` (Keras `TextVectorization`, one id per word, for the
built-in baselines). With `preset`, the preset's own tokenizer and special
tokens are used (give the same preset to a keras-hub backbone); without it,
a vocabulary of `vocabulary_size` is learned from the training split only, is
logged with the run (MLflow artifacts under `stages/tokenize/`) and is saved
inside the export.

Leave `vocabulary_size` or `sequence_length` out (or null) and the stage picks
it from the training split (`data.text.statistics`): the vocabulary from the
distinct words seen at least twice (1.5 x their number, in [1000, 30000]),
the length from the 95th percentile of tokens per text counted with the
tokenizer itself (a multiple of 8, in [16, 512]). It prints what it measured
and chose, and keeps it in `stage.layer.statistics`. Explicit values are used
as given.

Example (YAML):
    stages:
      - tokenize: {tokenizer: word_piece}                 # both sizes from the training split
      - tokenize: {tokenizer: word_piece, vocabulary_size: 2000, lowercase: true, sequence_length: 64}
      - tokenize: {tokenizer: word_piece, preset: bert_tiny_en_uncased, sequence_length: 128}
"""

from typing import Literal

from pydantic import Field, model_validator

from pipelines.options import Options, PositiveInt
from pipelines.registry import stages


class TokenizeOptions(Options):
    tokenizer: Literal["word_piece", "byte_pair", "sentence_piece", "text_vectorization"] = Field(
        "word_piece", description="The tokenizer kind."
    )
    preset: str | None = Field(
        None, description="keras-hub preset (hub handle, preset name or local folder) whose tokenizer to use; "
                          "default: train one on the training split."
    )
    vocabulary_size: PositiveInt | None = Field(
        None, ge=16, le=1_000_000,
        description="Size of a trained vocabulary (special tokens included); default: from the training split "
                    "(1.5 x its distinct words seen at least twice, in [1000, 30000]).",
    )
    lowercase: bool = Field(True, description="Lowercase text before a trained tokenizer.")
    sequence_length: PositiveInt | None = Field(
        None, ge=2, le=8192,
        description="Tokens per example after truncation and padding (special tokens included); default: from the "
                    "training split (95th percentile of tokens per text, a multiple of 8 in [16, 512]).",
    )

    @model_validator(mode="after")
    def _preset_kind(self):
        if self.preset is not None and self.tokenizer == "text_vectorization":
            raise ValueError("text_vectorization is always trained on the data; it takes no preset")
        return self


@stages.register("tokenize", TokenizeOptions)
def tokenize(options: TokenizeOptions, *, seed: int = 0):
    """Tokenize text into fixed-length ids (preset or trained tokenizer; runs inside the serving graph)."""
    from data.stage import Stage
    from data.text.encoder import TextEncoder
    from data.text.statistics import default_vocabulary_size, word_statistics
    from data.text.tokenizers import preset_tokenizer, train_tokenizer

    if options.preset is not None:
        encoder = TextEncoder(preset_tokenizer(options.preset), options.sequence_length, name="tokenize")
        if options.sequence_length is not None:
            return Stage("tokenize", encoder, save_assets=encoder.save_vocabulary)
        return Stage("tokenize", encoder, adapt=True, save_assets=encoder.save_vocabulary)

    def trainer(texts):
        size = options.vocabulary_size
        if size is None:
            words = word_statistics(texts, options.lowercase)
            size = default_vocabulary_size(words["repeated_words"])
            encoder.statistics.update(words, vocabulary_size=size, vocabulary_size_from_data=True)
        return train_tokenizer(options.tokenizer, texts, size, options.lowercase)

    encoder = TextEncoder(None, options.sequence_length, trainer=trainer, name="tokenize")
    return Stage("tokenize", encoder, adapt=True, save_assets=encoder.save_vocabulary)
