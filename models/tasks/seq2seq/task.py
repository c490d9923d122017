"""`seq2seq`: an encoder-decoder that turns a source text into a target text (translation, normalization,
rewriting), trained with teacher forcing.

Data: a table (`csv` or `parquet`) with `target_column: <target>` and `feature_columns: [<source>]`, read as
(source, target) pairs. The `tokenize` stage (trained on the training split's sources and targets, or a preset's
tokenizer) encodes both with one vocabulary; its `sequence_length` bounds the source and the target alike.
`byte_pair` keeps every character (punctuation, digits, spacing within words) when it turns ids back into text,
which exact match needs.

Model (`models.tasks.seq2seq.model`): a keras-hub seq2seq LM for a keras-hub encoder-decoder backbone
(`BartBackbone`, `T5Backbone` from `config:` or `preset:`), or the built-in `encoder_decoder_transformer` with a
vocabulary projection.

Metrics: token loss and next-token accuracy every epoch; exact match of the generations of `model.head.
eval_samples` validation sources (`val_exact_match`, the task's metric: early stopping keeps the best epoch);
on the held-out split exact match, BLEU and chrF (sacreBLEU, 0-100) and ROUGE-L, beside the same scores of the
copy baseline (each source as its own answer) and the margin `test_exact_match_above_copy_baseline` (an export
gate). After every epoch the generations for a fixed set of sources are logged as `generations/epoch_NNN.csv`;
the held-out generations as `predictions.csv`.

Export (`models.tasks.generation`): `serving_default(inputs)` -> `generated`, `num_tokens` with the spec's
sampler (`model.head.sampling`), `generate(inputs, max_new_tokens, temperature)` and `greedy(inputs)`, which the
parity check compares with the Keras model's greedy generations; tokenizer and decoding loop run inside the
SavedModel.

Example (YAML):
    task: seq2seq
    data:
      source: {type: csv, path: pairs.csv, target_column: target, feature_columns: [source],
               column_types: {source: text}}
    stages: [{tokenize: {tokenizer: byte_pair, vocabulary_size: 300, sequence_length: 32}}]
    model:
      backbone: {source: builtin, name: encoder_decoder_transformer, config: {hidden_dim: 64, num_layers: 2}}
      head: {sampling: {sampler: greedy, max_new_tokens: 16}}
"""

from __future__ import annotations

import sys

import numpy as np
from pydantic import Field

from models.tasks.base import Evaluation
from models.tasks.generation.task import TextGenerationTask
from models.tasks.generation.sampling import SamplingOptions
from pipelines.options import Options, PositiveInt
from pipelines.registry import tasks

GENERATION_BATCH = 256
"""Sources generated per call when scoring a split."""


class Seq2SeqHead(Options):
    """seq2seq: the sampler, the sources generated from every epoch, and how many validation sources are scored."""

    sampling: SamplingOptions = Field(default_factory=SamplingOptions, description="How the export, the "
                                      "per-epoch table and the held-out scores generate (overridable per request: "
                                      "the generate signature).")
    prompts: list[str] | None = Field(None, min_length=1, description="Sources generated from after every epoch "
                                      "and at the end; default: the first num_prompts validation sources.")
    num_prompts: PositiveInt = Field(8, le=256, description="How many validation sources when prompts is unset.")
    eval_samples: int = Field(256, ge=0, le=100_000, description="Validation sources generated after every epoch "
                              "for val_exact_match (the default early-stopping metric); 0: none (early "
                              "stopping then watches val_loss).")


def numbers_as_text(values) -> list[str]:
    """A target column the source read as numbers (every cell numeric), back as text: whole numbers without
    a decimal point. Leading zeros and trailing decimal zeros are lost (a note on stderr says so).

    Example:
        >>> numbers_as_text(np.array([312.0, 1.5]))
        ['312', '1.5']
    """
    print("seq2seq: every target is a number, read as such; they are compared as text written back without "
          "leading zeros or trailing decimal zeros", file=sys.stderr)
    return [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values]


@tasks.register("seq2seq", Seq2SeqHead)
class Seq2Seq(TextGenerationTask):
    """Encoder-decoder text generation; sources in, generated targets out (strings-in TF Serving export)."""

    input_name = "inputs"
    metric = "exact_match"
    direction = "max"
    generates_each_epoch = True
    tokenize_example = "{tokenizer: byte_pair, vocabulary_size: 300, sequence_length: 32}"
    sequence_length_is = "the longest source and target in tokens (start and end tokens included)"

    def __init__(self, spec):
        super().__init__(spec)
        self.encoder = None
        self.datasets = None
        self.splits = None
        self.train = None
        self._generate = None

    # Data -------------------------------------------------------------------------------------

    def read_targets(self, examples):
        """A table's source and target columns as (N, 2) text pairs."""
        from data.examples import Examples

        columns = list(examples.inputs) if examples.kind == "columns" else []
        if examples.kind != "columns" or len(columns) != 1 or examples.class_names:
            got = (f"features {columns}{' and a class target' if examples.class_names else ''}"
                   if examples.kind == "columns" else f"{examples.kind} examples")
            raise ValueError(f"data.source: task seq2seq reads a table as source/target pairs: give target_column: "
                             f"<target column> (text) and feature_columns: [<source column>] with column_types: "
                             f"{{<source column>: text}}, or two line-aligned files with type: text_pairs "
                             f"(got {got})")
        pairs = np.empty((examples.size, 2), dtype=object)
        pairs[:, 0] = [str(s) for s in examples.inputs[columns[0]]]
        pairs[:, 1] = [str(t) for t in examples.labels] if examples.labels.dtype == object else numbers_as_text(
            examples.labels)
        return Examples(pairs, np.zeros(examples.size, "int64"), [], kind="table", skipped=examples.skipped,
                        origin=examples.origin, skipped_records=examples.skipped_records)

    def check(self, examples) -> None:
        """Fail early unless there are at least 3 pairs to split."""
        if examples.size < 3:
            raise ValueError(f"task seq2seq needs at least 3 source/target pairs to split; data.source gives "
                             f"{examples.size}")

    def prepare(self, examples, train) -> None:
        """Keeps the training pairs (their lengths are checked once the tokenizer is trained)."""
        self.train = train

    def targets(self):
        """Teacher forcing (`models.tasks.seq2seq.targets.teacher_forcing`)."""
        from models.tasks.seq2seq.targets import teacher_forcing

        return lambda features, labels: teacher_forcing(features)

    def data_figures(self, datasets, examples) -> dict:
        """No figures; keeps the tokenize stage's encoder (the model's vocabulary, the export's tokenizer)."""
        from models.tasks.generation.export import text_encoder

        self.encoder, self.datasets = text_encoder(datasets), datasets
        vocabulary = self.encoder.vocabulary
        if vocabulary.start_id is None or vocabulary.end_id is None:
            raise ValueError("stages.tokenize: task seq2seq needs a tokenizer with start and end tokens")
        for warning in self.length_warnings(self.train):
            print(warning, file=sys.stderr)
        return {}

    def length_warnings(self, train) -> list[str]:
        """What the training pairs lose to `sequence_length` (cut sources or targets) and to `max_new_tokens`
        (targets longer than a generation may be), each naming the key to raise.

        Example:
            >>> task.length_warnings(train)   # doctest: +SKIP
            ['seq2seq: 12 of 6400 training targets are longer than stages.tokenize.sequence_length (24) ...']
        """
        from data.text.encoder import token_counts

        if train is None or not train.size:
            return []
        length, most = self.encoder.sequence_length, self.head.sampling.max_new_tokens
        warnings = []
        for column, what in ((0, "sources"), (1, "targets")):
            counts = token_counts(self.encoder.vocabulary, [str(t) for t in train.inputs[:, column]])
            cut = int((counts > length).sum())
            if cut:
                warnings.append(f"seq2seq: {cut} of {train.size} training {what} are longer than "
                                f"stages.tokenize.sequence_length ({length} tokens, start and end included; the "
                                f"longest has {int(counts.max())}) and are cut: raise it")
            if column == 1 and int(counts.max()) - 1 > most:
                warnings.append(f"seq2seq: the longest training target has {int(counts.max()) - 2} tokens (and its "
                                f"end token), more than model.head.sampling.max_new_tokens ({most}) lets a "
                                f"generation have: raise it")
        return warnings

    def backbone_input_shape(self, input_shape) -> tuple[int, ...]:
        from models.tasks.text_model import check_tokenized

        check_tokenized("seq2seq", input_shape)
        return (int(input_shape["token_ids"][-1]),)

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """keras-hub's seq2seq LM for the backbone, or the backbone plus a vocabulary projection."""
        from models.tasks.seq2seq.model import build_seq2seq_model

        model = build_seq2seq_model(backbone, self.encoder.vocabulary_size, self.spec.name.replace("-", "_"))
        trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
        total = sum(int(np.prod(v.shape)) for v in model.weights)
        print(f"seq2seq: {trainable:,} of {total:,} parameters train", file=sys.stderr)
        return model

    # Generation -------------------------------------------------------------------------------

    def generator_class(self):
        """`EncoderDecoderGenerator`: the decoder starts from the start token, the encoder reads the source."""
        from models.tasks.generation.encoder_decoder import EncoderDecoderGenerator

        return EncoderDecoderGenerator

    def generate(self, model, sources: list[str]) -> tuple[list[str], list[int]]:
        """(generations, token counts) of `sources` with the spec's sampler, `GENERATION_BATCH` at a time."""
        import tensorflow as tf

        if self._generate is None or self._generate[0] is not model:
            signature = [tf.TensorSpec([None], tf.string)]
            self._generate = (model, tf.function(self.generator(model).generate, input_signature=signature))
        texts, counts = [], []
        for start in range(0, len(sources), GENERATION_BATCH):
            out = self._generate[1](tf.constant(sources[start:start + GENERATION_BATCH]))
            texts += [t.decode("utf-8", errors="replace") for t in out["generated"].numpy()]
            counts += out["num_tokens"].numpy().tolist()
        return texts, counts

    def lowercase(self) -> bool:
        """Whether the tokenizer lowercases (the model can then only write lowercase: scores compare lowercased)."""
        vocabulary = self.encoder.vocabulary
        return bool(vocabulary.lowercase_inputs or getattr(vocabulary.tokenizer, "lowercase", False))

    def table_prompts(self, splits) -> list[str]:
        """`model.head.prompts`, else the first `num_prompts` validation (or test) sources."""
        if self.head.prompts:
            return list(self.head.prompts)
        held = splits[1] if splits[1].size else splits[2]
        return [str(s) for s in held.inputs[: self.head.num_prompts, 0]]

    def generations(self, model, sources: list[str]) -> str:
        """The generations table (CSV text) for `sources`."""
        from models.tasks.generation.table import generations_table

        texts, counts = self.generate(model, sources)
        return generations_table(sources, texts, counts)

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """`val_exact_match` of `eval_samples` validation sources and the generations table, every epoch."""
        from models.tasks.seq2seq.metrics import text_scores

        self.splits = splits
        metrics = {}
        validation = splits[1]
        if self.head.eval_samples and validation.size:
            pairs = validation.inputs[: self.head.eval_samples]
            texts, _ = self.generate(model, [str(s) for s in pairs[:, 0]])
            metrics["val_exact_match"] = text_scores(texts, pairs[:, 1], self.lowercase())["exact_match"]
        return Evaluation(metrics, tables={f"generations/epoch_{epoch + 1:03d}.csv":
                                           self.generations(model, self.table_prompts(splits))})

    # Evaluation -------------------------------------------------------------------------------

    def calibrate(self, model, datasets, splits) -> None:
        """Keeps the splits (the generations table's sources)."""
        self.splits, self.datasets = splits, datasets

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Held-out exact match, BLEU, chrF and ROUGE-L of the generations beside the copy baseline's; token loss
        and accuracy; the held-out generations (`predictions.csv`) and the fixed sources' (`generations.csv`)."""
        import csv
        import io

        from models.tasks.seq2seq.baseline import copy_baseline
        from models.tasks.seq2seq.metrics import text_scores
        from models.tasks.verdict import beat_baselines

        sources = [str(s) for s in held_out.inputs[:, 0]]
        references = [str(t) for t in held_out.inputs[:, 1]]
        texts, counts = self.generate(model, sources)
        lowercase = self.lowercase()
        metrics = {f"test_{name}": value for name, value in text_scores(texts, references, lowercase).items()}
        metrics.update(copy_baseline(sources, references, lowercase))
        metrics["test_exact_match_above_copy_baseline"] = (metrics["test_exact_match"]
                                                           - metrics["test_copy_baseline_exact_match"])
        scores = model.evaluate(dataset, verbose=0, return_dict=True)
        metrics.update({f"test_{name}": float(value) for name, value in scores.items()})
        verdicts = beat_baselines("exact match", metrics["test_exact_match"],
                                  {"copy": metrics["test_copy_baseline_exact_match"]}, higher_is_better=True)
        verdicts.append(f"On {len(sources)} held-out pairs: BLEU {metrics['test_bleu']:.4g} (copy "
                        f"{metrics['test_copy_baseline_bleu']:.4g}), chrF {metrics['test_chrf']:.4g} (copy "
                        f"{metrics['test_copy_baseline_chrf']:.4g}), ROUGE-L {metrics['test_rouge_l']:.4g} (copy "
                        f"{metrics['test_copy_baseline_rouge_l']:.4g}).")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["source", "target", "generated", "num_tokens"])
        writer.writerows(zip(sources, references, texts, counts))
        tables = {"predictions.csv": out.getvalue()}
        if self.splits is not None:
            tables["generations.csv"] = self.generations(model, self.table_prompts(self.splits))
        return Evaluation(metrics, tables=tables, verdicts=verdicts)

    # Export -----------------------------------------------------------------------------------

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per example: its source as UTF-8 bytes."""
        return [{self.input_name: np.array([str(examples.inputs[i][0]).encode("utf-8")], dtype=object)}
                for i in indices]
