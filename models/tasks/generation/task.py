"""`TextGenerationTask`: what the text-generating tasks share: the tokenize stage they need, the strings-in
strings-out export and its parity check (greedy generation of the export equals the Keras model's).

A subclass sets `input_name` (the export's string input), says what its tokenize stage's `sequence_length`
means (`sequence_length_is`; it must be set unless `sequence_length_from_data`) and gives an example stage
(`tokenize_example`); a task whose metric comes from generating `model.head.eval_samples` validation texts every
epoch sets `generates_each_epoch`; a model that is not causal names
its generator (`generator_class`). The task keeps the tokenize stage's encoder and the datasets as `self.encoder`
and `self.datasets`.

Example:
    >>> class Echo(TextGenerationTask):
    ...     input_name = "texts"
    >>> Echo.parity_signature, Echo.backends
    ('greedy', ('tensorflow',))
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Task


class TextGenerationTask(Task):
    """Text in, generated text out: a tokenize stage, an export with `serving_default`, `generate` and `greedy`."""

    parity_signature = "greedy"
    default_metrics = ("accuracy",)
    backends = ("tensorflow",)
    backend_notes = {"jax": "the tokenize stage's TextEncoder is a plain Keras layer, which JAX cannot run on "
                            "strings inside tf.data"}
    tokenize_example = "{tokenizer: byte_pair, vocabulary_size: 2000, sequence_length: 64}"
    sequence_length_is = "the model's context"
    sequence_length_from_data = False
    generates_each_epoch = False

    @classmethod
    def tokenize_options(cls, spec):
        """The `tokenize` stage's options (a subclass may take them from elsewhere in the spec).

        Example:
            >>> TextGenerationTask.tokenize_options(spec).sequence_length   # doctest: +SKIP
            64
        """
        from pipelines.spec import keyed

        found = [options for item in spec.stages for name, options in [keyed(item)] if name == "tokenize"]
        if not found:
            raise ValueError(f"stages: task {spec.task} needs a tokenize stage, e.g. - tokenize: "
                             f"{cls.tokenize_example}")
        return found[0]

    @classmethod
    def tokenize_key(cls) -> str:
        """Where the spec gives the tokenizer (named in errors)."""
        return "stages.tokenize"

    @classmethod
    def check_spec(cls, spec) -> None:
        """A tokenizer that can detokenize and an explicit sequence_length."""
        super().check_spec(spec)
        options, key = cls.tokenize_options(spec), cls.tokenize_key()
        if options.tokenizer == "text_vectorization":
            raise ValueError(f"{key}.tokenizer: text_vectorization cannot turn ids back into text; "
                             f"use byte_pair (keeps every character), word_piece or sentence_piece (or a preset)")
        if options.sequence_length is None and not cls.sequence_length_from_data:
            raise ValueError(f"{key}.sequence_length: task {spec.task} needs it set: {cls.sequence_length_is}")

    def monitor(self) -> tuple[str, str]:
        """The task's metric; for one measured by generating every epoch, val_loss (min) when nothing is
        generated (`model.head.eval_samples: 0` or no validation split)."""
        if self.generates_each_epoch and not (self.head.eval_samples and self.spec.data.split.validation):
            return "val_loss", "min"
        return super().monitor()

    def extra_metrics(self) -> list:
        """Keras metrics compiled before `training.metrics` (none here; a causal LM adds perplexity)."""
        return []

    def compile_options(self) -> dict:
        """Token-mean cross-entropy over the weighted tokens (unless `training.loss` names another), then
        `extra_metrics` and next-token accuracy (or `training.metrics`), weighted alike."""
        import keras

        loss = self.spec.training.loss
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy") if name == "accuracy" else name
                   for name in self.keras_metrics()]
        return {"loss": loss, "weighted_metrics": [*self.extra_metrics(), *metrics]}

    def generator_class(self):
        """The generator the export wraps the model in: `models.tasks.generation.export.Generator` (causal models;
        subclasses give another, such as the encoder-decoder one)."""
        from models.tasks.generation.export import Generator

        return Generator

    def generator(self, model, sampling=None):
        """A generator of `model` with the tokenize stage's encoder and the spec's (or the given) sampling."""
        from models.tasks.generation.export import stop_token_ids
        from models.tasks.generation.sampling import build_sampler

        sampling = sampling or self.head.sampling
        stops = stop_token_ids(self.encoder.vocabulary, sampling.stop_tokens)
        return self.generator_class()(model, self.encoder, build_sampler(sampling, self.spec.seed), stops,
                                      sampling.max_new_tokens, preprocess=self.datasets.preprocess,
                                      jit_compile=sampling.jit_compile, name="generator")

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """`serving_default`, `generate` and `greedy` (`models.tasks.generation.export.generation_endpoints`)."""
        from models.tasks.generation.export import generation_endpoints

        generator = self.generator(model)
        return [generator, *datasets.preprocessing_layers], generation_endpoints(generator, self.input_name)

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --text` with the request's text."""
        from models.tasks.text_model import text_arguments

        return text_arguments(request[self.input_name])

    def reference(self, model, datasets, requests) -> dict[str, np.ndarray]:
        """The Keras model's greedy generations for the same texts."""
        import tensorflow as tf

        from models.tasks.generation.sampling import greedy

        texts = tf.constant(np.concatenate([r[self.input_name] for r in requests]))
        out = tf.function(self.generator(model, greedy(self.head.sampling)).generate)(texts)
        return {name: value.numpy() for name, value in out.items()}

    def parity(self, served: dict, reference: dict) -> dict[str, float]:
        """The share of texts whose greedy generation differs between the export and the Keras model."""
        same = (np.asarray(served["generated"]) == np.asarray(reference["generated"])) & (
            np.asarray(served["num_tokens"]) == np.asarray(reference["num_tokens"]))
        return {"export_parity_max_abs_diff": float(1.0 - same.mean()),
                "export_parity_generation_agreement": float(same.mean())}

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Greedy decoding is deterministic: every text must generate the same text."""
        return parity["export_parity_generation_agreement"] == 1.0
