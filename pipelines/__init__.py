"""keras-pipelines: one YAML spec from data to a tracked, TF Serving-ready Keras model.

Example:
    >>> import pipelines
    >>> result = pipelines.run("pipelines/specs/digits.yaml")   # doctest: +SKIP
    >>> result.run_id, result.metrics["test_accuracy"], result.export_path   # doctest: +SKIP
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def run(spec, *, overrides=(), resume=False):
    """Run a spec (path, mapping or Spec) end to end; see `pipelines.runner.run`."""
    from pipelines.runner import run as run_pipeline

    return run_pipeline(spec, overrides=list(overrides), resume=resume)
