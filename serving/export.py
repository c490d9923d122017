"""Export a trained model for TF Serving: bytes-in signatures, warmup, parity, atomic version.

Tasks write their endpoints as TensorFlow functions around `model(x, training=False)`;
a model trained on JAX reaches them as a jax2tf stand-in (`serving.jax_export`), so the
export is the same TF SavedModel, signatures, warmup and parity check on both backends.
A version is published only after it has been reloaded with
`tf.saved_model.load`, its warmup records replayed and its answers compared
with the Keras model on test rows by the task's own parity check
(`task.parity`, `task.parity_ok`); a failed check writes nothing. Metric
gates are the caller's (`pipelines.gates`, checked by the runner before it exports).
`ExportResult.timings` says where the export's time went: `prepare` (the serving
endpoints and the Keras model's reference answers), `write` (the SavedModel, assets and
warmup records), `verify` (reload, warmup replay, parity) and `publish` (the rename
into place and models.config).

Example:
    >>> result = export_for_serving(spec, task, model, datasets, test_examples)  # doctest: +SKIP
    >>> result.path                                                             # doctest: +SKIP
    PosixPath('serving/models/digits/3')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from serving.config import write_models_config
from serving.jax_export import serving_model
from serving.loading import load_export
from serving.parity import serve
from serving.publish import export_archive, publish_version
from serving.warmup import replay_warmup, write_warmup


class ExportRejected(RuntimeError):
    """The written version does not answer like the trained model; it was not published."""


@dataclass
class ExportResult:
    """Where the version went, its parity figures and the seconds each step took."""

    path: Path
    parity: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def export_for_serving(spec, task, model, datasets, examples) -> ExportResult:
    """Write `<base_path>/<model_name>/<next version>/` and refresh models.config."""
    options = spec.export
    started = time.perf_counter()
    timings: dict[str, float] = {}
    tracked, endpoints = task.export_endpoints(serving_model(model), datasets)  # on JAX: a jax2tf stand-in
    count = min(options.parity_samples, len(examples.labels))
    requests = task.serving_requests(examples, range(count))
    reference = task.reference(model, datasets, requests)
    parity: dict[str, float] = {}
    timings["prepare"] = time.perf_counter() - started

    def write(directory: Path) -> None:
        begun = time.perf_counter()
        export_archive(directory, tracked, endpoints)
        for name, save in datasets.assets.items():  # e.g. the tokenizer's vocabulary, for people and tools
            save(directory / "assets.extra" / name)
        if options.warmup:
            write_warmup(directory, requests[: options.warmup_samples], spec.model_name)
        timings["write"] = time.perf_counter() - begun

    def verify(directory: Path) -> None:
        begun = time.perf_counter()
        loaded = load_export(directory)
        if options.warmup:
            replay_warmup(directory, loaded)
        parity.update(task.parity(serve(loaded, requests, signature=task.parity_signature), reference))
        timings["verify"] = time.perf_counter() - begun
        if not task.parity_ok(parity, options.parity_tolerance):
            raise ExportRejected(f"export answers differ from the Keras model: {parity}")

    path = publish_version(options.base_path, spec.model_name, write, verify)
    write_models_config(options.base_path)
    steps = sum(timings.values())
    timings["publish"] = time.perf_counter() - started - steps
    return ExportResult(path, parity, timings)
