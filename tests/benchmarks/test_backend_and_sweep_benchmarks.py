"""benchmarks/backend_throughput.py and sweep_parallel.py without training: their specs validate, and the spec
that JAX refuses is refused with the reason the benchmark prints."""

import benchmarks.backend_throughput as backend_throughput
import benchmarks.sweep_parallel as sweep_parallel
from pipelines.spec_loading import load_spec


def test_measured_specs_validate_on_both_backends_and_sentiment_is_refused_on_jax():
    for name in backend_throughput.CASES:
        for backend in backend_throughput.BACKENDS:
            spec = load_spec(backend_throughput.shipped(name, backend))
            assert spec.training.backend == backend and not spec.export.enabled and not spec.tracking.enabled
        assert backend_throughput.refusal(name) == ""
    for name in backend_throughput.REFUSED:
        assert "does not run on the jax backend" in backend_throughput.refusal(name)


def test_sweep_spec_is_tiny_and_tracked():
    spec = load_spec(sweep_parallel.tiny_spec())
    assert spec.training.steps_per_epoch == sweep_parallel.STEPS and spec.training.epochs == 1
    assert spec.tracking.enabled and not spec.export.enabled
