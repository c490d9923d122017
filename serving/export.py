"""Export a trained model for TF Serving: gates, bytes-in signatures, warmup, parity, atomic version.

A version is published only after it has been reloaded with
`tf.saved_model.load`, its warmup records replayed and its answers compared
with the Keras model on test rows; a failed gate or check writes nothing.

Example:
    >>> result = export_for_serving(spec, task, model, datasets, test_examples, metrics)  # doctest: +SKIP
    >>> result.path                                                                      # doctest: +SKIP
    PosixPath('serving/models/digits/3')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from serving.config import write_models_config
from serving.gates import failed_gates
from serving.parity import measure_parity
from serving.publish import export_archive, publish_version
from serving.warmup import replay_warmup, write_warmup


class ExportRejected(RuntimeError):
    """The written version does not answer like the trained model; it was not published."""


@dataclass
class ExportResult:
    """Where the version went (None if refused), its parity figures and failed gates."""

    path: Path | None
    parity: dict[str, float] = field(default_factory=dict)
    failed_gates: list[str] = field(default_factory=list)


def export_for_serving(spec, task, model, datasets, examples, metrics: dict[str, float]) -> ExportResult:
    """Check gates, write `<base_path>/<model_name>/<next version>/` and refresh models.config."""
    failures = failed_gates(spec.export.gates, metrics)
    if failures:
        return ExportResult(None, failed_gates=failures)
    options = spec.export
    tracked, endpoints = task.export_endpoints(model, datasets, examples.class_names, examples.input_shape)
    count = min(options.parity_samples, len(examples.labels))
    requests = task.serving_requests(examples, range(count))
    reference = task.reference_probabilities(model, datasets, requests, examples.input_shape)
    parity: dict[str, float] = {}

    def write(directory: Path) -> None:
        export_archive(directory, tracked, endpoints)
        for name, save in datasets.assets.items():  # e.g. the tokenizer's vocabulary, for people and tools
            save(directory / "assets.extra" / name)
        if options.warmup:
            write_warmup(directory, requests[: options.warmup_samples], spec.model_name)

    def verify(directory: Path) -> None:
        if options.warmup:
            replay_warmup(directory)
        parity.update(measure_parity(directory, requests, reference, signature=task.parity_signature))
        if parity["export_parity_max_abs_diff"] > options.parity_tolerance or parity[
            "export_parity_class_agreement"
        ] < 1.0:
            raise ExportRejected(f"export answers differ from the Keras model: {parity}")

    path = publish_version(options.base_path, spec.model_name, write, verify)
    write_models_config(options.base_path)
    return ExportResult(path, parity)
