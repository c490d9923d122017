"""`causal_lm`: a next-token language model that generates text: continued pre-training or instruction tuning.

Data: plain texts (a `text_files` folder, or a CSV `text_column`; labels are ignored), packed end to end into
full rows (`model.head.packing`); or prompt/response pairs from a table (`csv` with `target_column:
<response>` and `feature_columns: [<prompt>]`), where the loss is on the response only. The `tokenize` stage
(trained on the training split, or a preset's tokenizer) encodes both, with its start and end tokens around
each text; its `sequence_length` is the model's context.

Model (`models.tasks.causal_lm.model`): a keras-hub causal LM for a keras-hub backbone (`GPT2Backbone`,
`GemmaBackbone`, `LlamaBackbone`, ... from `config:` or `preset:`), or the built-in `decoder_transformer` with a
vocabulary projection; `model.head.lora_rank` trains LoRA adapters only (the trainable-parameter count is
printed and logged).

Metrics: loss (mean negative log-likelihood per predicted token), perplexity and next-token accuracy on the
validation split every epoch and on the held-out split at the end, beside the perplexity of unigram and bigram
models of the training split's tokens (`models.tasks.causal_lm.baseline`) and the margin
`test_perplexity_below_bigram_baseline` (positive: the model is better; an export gate). After every epoch the
generations for a fixed set of prompts are logged as `generations/epoch_NNN.csv`.

Export (`models.tasks.generation.export`): `serving_default(prompts)` -> `generated`, `num_tokens` with the
spec's sampler (`model.head.sampling`), `generate(prompts, max_new_tokens, temperature)` for per-request
settings, and `greedy(prompts)`, which the parity check compares with the Keras model's greedy generations;
the tokenizer and the decoding loop run inside the SavedModel.

Example (YAML):
    task: causal_lm
    stages: [{tokenize: {tokenizer: byte_pair, vocabulary_size: 1000, sequence_length: 64}}]
    model:
      backbone: {source: builtin, name: decoder_transformer, config: {hidden_dim: 64, num_layers: 2}}
      head: {sampling: {sampler: top_k, k: 10, max_new_tokens: 24}}
"""

from __future__ import annotations

import sys

import numpy as np
from pydantic import Field

from models.tasks.base import Choice, Evaluation
from models.tasks.generation.task import TextGenerationTask
from models.tasks.generation.sampling import SamplingOptions
from pipelines.options import Options, PositiveInt
from pipelines.registry import tasks

TOKENS_PER_WORD = 1.3
"""Subword tokens per whitespace word assumed when choosing steps per epoch for packed rows."""


class CausalLMHead(Options):
    """causal_lm: packing, LoRA, the prompts generated from every epoch and the sampler."""

    packing: bool = Field(True, description="Join plain texts end to end into full rows of sequence_length tokens "
                                            "(no padding); false: one text per row. Prompt/response pairs are "
                                            "never packed.")
    lora_rank: PositiveInt | None = Field(None, le=1024, description="Train LoRA adapters of this rank only "
                                                                     "(keras-hub backbones: backbone.enable_lora).")
    prompts: list[str] | None = Field(None, min_length=1, description="Prompts generated from after every epoch "
                                      "and at the end; default: the first num_prompts validation prompts.")
    num_prompts: PositiveInt = Field(8, le=256, description="How many validation prompts when prompts is unset.")
    prompt_words: PositiveInt = Field(4, le=256, description="Plain texts: a validation text's first words are "
                                                             "its prompt (per-epoch table, parity, warmup).")
    sampling: SamplingOptions = Field(default_factory=SamplingOptions, description="How the export and the "
                                      "per-epoch table generate (overridable per request: the generate signature).")


@tasks.register("causal_lm", CausalLMHead)
class CausalLM(TextGenerationTask):
    """Next-token language model; prompts in, generated text out (strings-in TF Serving export)."""

    input_name = "prompts"
    metric = "perplexity"
    direction = "min"
    sequence_length_is = "it is the model's context (tokens per row, generated tokens included)"

    def __init__(self, spec):
        super().__init__(spec)
        self.instructions = False
        self.sequence_length: int | None = None
        self.encoder = None
        self.datasets = None
        self.splits = None
        self.parameters: tuple[int, int] | None = None
        self._generate = None


    # Data -------------------------------------------------------------------------------------

    def read_targets(self, examples):
        """Plain texts as they are; a table (prompt and response columns) as (N, 2) text pairs."""
        from data.examples import Examples

        if examples.kind != "columns":
            return examples
        columns = list(examples.inputs)
        if len(columns) != 1 or examples.class_names or examples.labels.dtype != object:
            raise ValueError(f"data.source: task causal_lm reads a table as prompt/response pairs: give "
                             f"target_column: <response column> (text) and feature_columns: [<prompt column>] "
                             f"(got features {columns} and a {'class' if examples.class_names else 'raw'} "
                             f"{examples.labels.dtype} target)")
        pairs = np.empty((examples.size, 2), dtype=object)
        pairs[:, 0] = [str(p) for p in examples.inputs[columns[0]]]
        pairs[:, 1] = [str(r) for r in examples.labels]
        self.instructions = True
        return Examples(pairs, np.zeros(examples.size, "int64"), [], kind="table", skipped=examples.skipped,
                        origin=examples.origin, skipped_records=examples.skipped_records)

    def check(self, examples) -> None:
        """Fail early unless the source gives texts (or prompt/response pairs)."""
        if not self.instructions and examples.kind != "text":
            raise ValueError(f"task causal_lm needs texts (text_files, or csv with text_column) or a table of "
                             f"prompts and responses; data.source gives {examples.kind}")
        if examples.size < 3:
            raise ValueError(f"task causal_lm needs at least 3 texts to split; data.source gives {examples.size}")

    def targets(self):
        """Shifted ids with per-token weights; plain packed texts give token streams that `batcher` packs."""
        from models.tasks.causal_lm import targets

        if self.instructions:
            encode = targets.instruction_example
        elif self.head.packing:
            encode = targets.token_stream
        else:
            encode = targets.shifted_example

        def target(features, labels):
            self.sequence_length = int(features["token_ids"].shape[-1])  # traced when the pipeline is built
            return encode(features)

        return target

    @property
    def batcher(self):
        """Packing for plain texts (`models.tasks.causal_lm.targets.pack`); None (plain batches) otherwise."""
        if self.instructions or not self.head.packing:
            return None
        from models.tasks.causal_lm.targets import pack

        return lambda dataset, batch_size: pack(dataset, batch_size, self.sequence_length)

    def choose(self, train) -> list[Choice]:
        """`training.epochs: auto`, and for packed texts without `training.steps_per_epoch` about one pass over
        the training tokens (packed rows are fewer than texts, so the texts' batch count would run out)."""
        from models.tasks.base import named_option

        choices = super().choose(train)
        if self.instructions or not self.head.packing or self.spec.training.steps_per_epoch is not None:
            return choices
        length = named_option(self.spec.stages, "tokenize", "sequence_length")
        words = sum(len(str(text).split()) + 2 for text in train.inputs)
        steps = max(1, int(np.ceil(words * TOKENS_PER_WORD / length / self.spec.data.batch_size)))
        choices.append(Choice("training.steps_per_epoch", steps,
                              f"about {int(words * TOKENS_PER_WORD)} training tokens packed into rows of {length}"))
        return choices

    def data_figures(self, datasets, examples) -> dict:
        """No figures; keeps the tokenize stage's encoder (the model's vocabulary, the export's tokenizer)."""
        from models.tasks.generation.export import text_encoder

        self.encoder, self.datasets = text_encoder(datasets), datasets
        vocabulary = self.encoder.vocabulary
        if self.instructions and (vocabulary.start_id is None or vocabulary.end_id is None):
            raise ValueError("stages.tokenize: prompt/response pairs need a tokenizer with start and end tokens")
        return {}

    def backbone_input_shape(self, input_shape) -> tuple[int, ...]:
        from models.tasks.text_model import check_tokenized

        check_tokenized("causal_lm", input_shape)
        return (int(input_shape["token_ids"][-1]),)

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """keras-hub's causal LM for the backbone, or the backbone plus a vocabulary projection; LoRA if set."""
        from models.tasks.causal_lm.model import build_language_model, enable_lora, parameter_counts

        if self.head.lora_rank:
            enable_lora(backbone, self.head.lora_rank)
        model = build_language_model(backbone, self.encoder.vocabulary_size, self.spec.name.replace("-", "_"))
        self.parameters = parameter_counts(model)
        trainable, total = self.parameters
        print(f"causal_lm: {trainable:,} of {total:,} parameters train ({100 * trainable / max(total, 1):.2f}%"
              f"{f', LoRA rank {self.head.lora_rank}' if self.head.lora_rank else ''})", file=sys.stderr)
        return model

    def extra_metrics(self) -> list:
        """Perplexity, before next-token accuracy."""
        import keras_hub

        return [keras_hub.metrics.Perplexity(from_logits=True, name="perplexity")]

    # Generation -------------------------------------------------------------------------------

    def prompts_of(self, examples, indices) -> list[str]:
        """The prompts of examples: their prompt column, or a plain text's first `prompt_words` words."""
        if self.instructions:
            return [str(examples.inputs[i][0]) for i in indices]
        return [" ".join(str(examples.inputs[i]).split()[: self.head.prompt_words]) for i in indices]

    def table_prompts(self, splits) -> list[str]:
        """`model.head.prompts`, else the first `num_prompts` validation (or test) prompts."""
        if self.head.prompts:
            return list(self.head.prompts)
        held = splits[1] if splits[1].size else splits[2]
        return self.prompts_of(held, range(min(self.head.num_prompts, held.size)))

    def generations(self, model, prompts: list[str]) -> str:
        """The generations table (CSV text) for `prompts` with the spec's sampler."""
        import tensorflow as tf

        from models.tasks.generation.table import generations_table

        if self._generate is None or self._generate[0] is not model:
            self._generate = (model, tf.function(self.generator(model).generate))
        out = self._generate[1](tf.constant(prompts))
        return generations_table(prompts, out["generated"].numpy(), out["num_tokens"].numpy())

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """The generations for the same prompts after every epoch, under `generations/`."""
        self.splits = splits
        return Evaluation(tables={f"generations/epoch_{epoch + 1:03d}.csv":
                                  self.generations(model, self.table_prompts(splits))})

    # Evaluation -------------------------------------------------------------------------------

    def calibrate(self, model, datasets, splits) -> None:
        """Keeps the splits (the generations table's prompts)."""
        self.splits, self.datasets = splits, datasets

    def token_scores(self, model, dataset) -> dict[str, float]:
        """Exact token-mean loss, perplexity and next-token accuracy over the weighted targets of a dataset."""
        import tensorflow as tf

        nll = correct = count = 0.0
        for inputs, targets, weights in dataset:
            logits = tf.cast(model(inputs, training=False), tf.float32)
            log_p = tf.nn.log_softmax(logits)
            picked = tf.gather(log_p, tf.cast(targets, tf.int32), batch_dims=2)
            hit = tf.cast(tf.argmax(logits, -1, output_type=tf.int32) == tf.cast(targets, tf.int32), tf.float32)
            nll -= float(tf.reduce_sum(picked * weights))
            correct += float(tf.reduce_sum(hit * weights))
            count += float(tf.reduce_sum(weights))
        loss = nll / max(count, 1.0)
        return {"test_loss": loss, "test_perplexity": float(np.exp(loss)),
                "test_accuracy": correct / max(count, 1.0), "test_tokens": count}

    def evaluate(self, model, dataset, train, held_out) -> Evaluation:
        """Held-out loss, perplexity and accuracy beside the n-gram baselines; the final generations table."""
        from models.tasks.causal_lm.baseline import ngram_baselines, token_pairs
        from models.tasks.verdict import beat_baselines

        metrics = self.token_scores(model, dataset)
        datasets = self.datasets
        validation = datasets.validation if datasets.validation is not None else dataset
        baselines = ngram_baselines(self.encoder.vocabulary_size, token_pairs(datasets.train),
                                    token_pairs(validation), token_pairs(dataset))
        metrics.update(baselines)
        metrics["test_perplexity_below_bigram_baseline"] = (baselines["test_bigram_baseline_perplexity"]
                                                            - metrics["test_perplexity"])
        trainable, total = self.parameters or (0, 0)
        metrics.update(trainable_parameters=float(trainable), total_parameters=float(total))
        verdicts = beat_baselines("perplexity", metrics["test_perplexity"],
                                  {"unigram": baselines["test_unigram_baseline_perplexity"],
                                   "bigram": baselines["test_bigram_baseline_perplexity"]}, higher_is_better=False)
        verdicts.append(f"Next-token accuracy {metrics['test_accuracy']:.4g} on {int(metrics['test_tokens'])} "
                        f"held-out tokens; {trainable:,} of {total:,} parameters trained.")
        tables = {}
        if self.splits is not None:
            tables["generations.csv"] = self.generations(model, self.table_prompts(self.splits))
        return Evaluation(metrics, tables=tables, verdicts=verdicts)

    # Export -----------------------------------------------------------------------------------

    def serving_requests(self, examples, indices) -> list[dict]:
        """One request per example: its prompt as UTF-8 bytes."""
        return [{self.input_name: np.array([p.encode("utf-8")], dtype=object)}
                for p in self.prompts_of(examples, list(indices))]
