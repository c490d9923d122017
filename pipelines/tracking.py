"""MLflow tracking that never breaks training.

The default store is embedded: `sqlite:///mlruns/mlflow.db` with artifacts in
`mlruns/artifacts/`, unless the spec or `MLFLOW_TRACKING_URI` names another.
Every call is guarded: a tracking error becomes a warning, and training goes on.
Params are truncated to MLflow's value limit and sent in batches within its
per-call limits.

A run started with a spec's `description` and `source` (the spec file) carries MLflow's own
metadata: the description (`mlflow.note.content`), the source (`mlflow.source.name`, type
LOCAL) and, when the spec's folder is in a git work tree, the commit
(`mlflow.source.git.commit`) and whether the tree had uncommitted changes (`kpipe.git_dirty`).

On a tracking server (`http(s)://`, a team's `mlflow server`) the run's records go through an
outbox (`pipelines.tracking_buffer`): kept in `<spool_dir>/<run_id>.pending/` and sent in order
by a background thread, so the server going away mid-run (stopped, restarted) costs no metric,
no artifact and no training time; the run ends FINISHED once the server is back, or, if it stays
away longer than `KPIPE_TRACKING_OFFLINE_WAIT_S` after the run, its records stay in that folder
with the command that uploads them (`kpipe tracking upload <folder>`). Models are saved there
first and then logged (`mlflow.<flavor>.save_model`, then a logged model of the run).

Example:
    >>> tracker = Tracker(resolve_tracking_uri(None), experiment="digits")   # doctest: +SKIP
    >>> with tracker.running("digits-cnn") as run_id:                        # doctest: +SKIP
    ...     tracker.log_metrics({"test_accuracy": 0.97})
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines import tags as tag
from pipelines.run_metadata import run_metadata
from pipelines.tracking_uri import DEFAULT_STORE, default_tracking_uri

RUN_LEVEL_PREFIXES = ("test_", "export_", "data_", "time_")
"""Metrics logged once per run (not per epoch); training curves leave them out."""


class TrackingWarning(UserWarning):
    """A tracking call failed; the pipeline carries on."""


def guarded(method):
    """Turn any exception of a tracking call into a TrackingWarning (and a None result)."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if not self.active:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception as error:  # noqa: BLE001  (tracking must never break training)
            warnings.warn(f"MLflow {method.__name__} failed: {error}", TrackingWarning, stacklevel=2)
            return None

    return call


class Tracker:
    """One MLflow run, reached through MlflowClient; inactive when tracking is off or failed.

    On a remote server the records go through `self.outbox` (`pipelines.tracking_buffer.Outbox`),
    kept under `spool_dir` (default `KPIPE_TRACKING_SPOOL`, else `.kpipe`) until the server takes them;
    `offline_wait_s` is how long the end of the run waits for a server that went away
    (default `KPIPE_TRACKING_OFFLINE_WAIT_S`, else 120).
    """

    def __init__(self, uri: str, experiment: str, enabled: bool = True, spool_dir: str | Path | None = None,
                 offline_wait_s: float | None = None):
        self.uri = uri
        self.experiment = experiment
        self.active = enabled
        self.run_id: str | None = None
        self.client = None
        self.outbox = None
        self.spool_dir = Path(spool_dir or os.environ.get("KPIPE_TRACKING_SPOOL") or ".kpipe")
        self.offline_wait_s = offline_wait_s

    def start(self, run_name: str | None = None, tags: dict[str, str] | None = None,
              resume_run_id: str | None = None, parent_run_id: str | None = None,
              description: str = "", source: str | Path | None = None) -> str | None:
        """Create (or reopen, to resume) the run and make it MLflow's active run.

        With `parent_run_id` the run is a child of that run (a sweep's trial), nested under it.
        `description` and `source` (the spec file) become MLflow's run metadata (`run_metadata`).
        """
        if not self.active:
            return None
        try:
            import mlflow
            from mlflow import MlflowClient
            from mlflow.entities import RunTag
            from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

            from pipelines.tracking_buffer import HTTP_DEFAULTS, remote

            if remote(self.uri):
                for name, value in HTTP_DEFAULTS.items():  # the outbox retries; each call gives up fast
                    os.environ.setdefault(name, value)
            self.client = MlflowClient(self.uri)
            mlflow.set_tracking_uri(self.uri)
            metadata = {k: v[:MAX_TAG_VAL_LENGTH] for k, v in run_metadata(description, source).items()}
            if resume_run_id:
                self.client.update_run(resume_run_id, status="RUNNING")
                self.run_id = resume_run_id
                if metadata:
                    self.client.log_batch(self.run_id, tags=[RunTag(k, v) for k, v in metadata.items()])
            else:
                experiment = self.client.get_experiment_by_name(self.experiment)
                if experiment is None:
                    embedded = self.uri == default_tracking_uri()
                    location = (DEFAULT_STORE / "artifacts").resolve().as_uri() if embedded else None
                    experiment_id = self.client.create_experiment(self.experiment, artifact_location=location)
                else:
                    experiment_id = experiment.experiment_id
                parent = {"mlflow.parentRunId": parent_run_id} if parent_run_id else {}
                run = self.client.create_run(experiment_id, run_name=run_name,
                                             tags={**metadata, **(tags or {}), **parent})
                self.run_id = run.info.run_id
            if remote(self.uri):
                self._open_outbox()
            else:
                mlflow.start_run(run_id=self.run_id, nested=parent_run_id is not None)
            return self.run_id
        except Exception as error:  # noqa: BLE001
            warnings.warn(f"MLflow tracking is off for this run: {error}", TrackingWarning, stacklevel=2)
            self.active = False
            return None

    def _open_outbox(self) -> None:
        """Send this run's records through an outbox in `<spool_dir>/<run_id>.pending/`."""
        from functools import partial

        from pipelines.tracking_buffer import PENDING_SUFFIX, Outbox, send_record

        run = self.client.get_run(self.run_id)
        folder = self.spool_dir / f"{self.run_id}{PENDING_SUFFIX}"
        number = 1
        while folder.exists():  # an earlier process's records, still to upload: leave them be
            number += 1
            folder = self.spool_dir / f"{self.run_id}-{number}{PENDING_SUFFIX}"
        header = {"tracking_uri": self.uri, "run_id": self.run_id, "experiment": self.experiment,
                  "run_name": run.info.run_name, "start_time": run.info.start_time, "tags": dict(run.data.tags)}
        send = partial(send_record, self.client, self.run_id, run.info.experiment_id, folder)
        self.outbox = Outbox(folder, header, send, wait_s=self.offline_wait_s)

    def _artifact_file(self, name: str) -> Path:
        """A new file path in the outbox for the artifact `name` (`dir/file.png`: the file part)."""
        return self.outbox.slot(Path(name).name)

    def _put_artifact(self, path: Path, artifact_path: str | None) -> None:
        self.outbox.put("artifact", file=self.outbox.relative(path), path=artifact_path or None)

    @contextlib.contextmanager
    def running(self, run_name: str | None = None, tags: dict[str, str] | None = None,
                resume_run_id: str | None = None, parent_run_id: str | None = None,
                description: str = "", source: str | Path | None = None) -> Iterator[str | None]:
        """Start (or reopen) the run as `start` does, yield its id, and always end it.

        The run ends FINISHED when the block does, KILLED on Ctrl-C (KeyboardInterrupt), and
        FAILED with the error as a tag on any other exception, which goes on up.

        Example:
            >>> with tracker.running("digits-cnn", {"owner": "me"}) as run_id:   # doctest: +SKIP
            ...     train()
        """
        run_id = self.start(run_name, tags, resume_run_id=resume_run_id, parent_run_id=parent_run_id,
                            description=description, source=source)
        try:
            yield run_id
        except BaseException as error:
            self.finish("KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED", error)
            raise
        self.finish("FINISHED")

    @guarded
    def log_params(self, params: dict[str, Any]) -> None:
        """Log params, values truncated to MLflow's limit, in batches of its per-call size."""
        from mlflow.entities import Param
        from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH, MAX_PARAMS_TAGS_PER_BATCH

        logged = self._logged_params()
        items = [Param(k, str(v)[:MAX_PARAM_VAL_LENGTH]) for k, v in params.items() if k not in logged]
        if self.outbox is not None:
            if items:
                self.outbox.put("params", items={p.key: p.value for p in items})
            return
        for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start:start + MAX_PARAMS_TAGS_PER_BATCH])

    def _logged_params(self) -> set[str]:
        """The params the run has already (a resumed run); none known while the server is away."""
        if self.outbox is not None and (self.outbox.offline or self.outbox.pending):
            return set()
        try:
            return set(self.client.get_run(self.run_id).data.params)
        except Exception:  # noqa: BLE001
            if self.outbox is None:
                raise
            return set()

    @guarded
    def set_tags(self, tags: dict[str, Any]) -> None:
        """Set tags, values truncated to MLflow's limit, in batches."""
        from mlflow.entities import RunTag
        from mlflow.utils.validation import MAX_PARAMS_TAGS_PER_BATCH, MAX_TAG_VAL_LENGTH

        items = [RunTag(k, str(v)[:MAX_TAG_VAL_LENGTH]) for k, v in tags.items()]
        if self.outbox is not None:
            if items:
                self.outbox.put("tags", items={t.key: t.value for t in items})
            return
        for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=items[start:start + MAX_PARAMS_TAGS_PER_BATCH])

    @guarded
    def log_datasets(self, datasets) -> None:
        """Log dataset inputs (`pipelines.datasets.SplitDataset`s), each with its context (training, ...)."""
        from mlflow.entities import Dataset, DatasetInput, InputTag
        from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

        inputs = [DatasetInput(Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile),
                               [InputTag(MLFLOW_DATASET_CONTEXT, d.context)]) for d in datasets]
        if inputs and self.outbox is not None:
            self.outbox.put("datasets", items=[
                {"dataset": {"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source,
                             "schema": d.schema, "profile": d.profile},
                 "tags": {MLFLOW_DATASET_CONTEXT: d.context}} for d in datasets])
        elif inputs:
            self.client.log_inputs(self.run_id, inputs)

    @guarded
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Log numeric metrics at `step` (the epoch for per-epoch metrics)."""
        from mlflow.entities import Metric
        from mlflow.utils.validation import MAX_METRICS_PER_BATCH

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, step or 0) for k, v in metrics.items()]
        if self.outbox is not None:
            if items:
                self.outbox.put("metrics", items=[[m.key, m.value, m.timestamp, m.step] for m in items])
            return
        for start in range(0, len(items), MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=items[start:start + MAX_METRICS_PER_BATCH])

    @guarded
    def log_figure(self, figure, name: str) -> None:
        """Save a matplotlib figure as a PNG artifact (under `plots/`), keeping its bytes in `self.figures`.

        The figure is rendered once; `self.figures[name]` (for `pipelines.report`) holds the PNG logged.
        """
        import io
        import tempfile

        import matplotlib.pyplot as plt

        try:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            png = buffer.getvalue()
            vars(self).setdefault("figures", {})[name] = png
            artifact = Path("plots") / name
            if self.outbox is not None:
                path = self._artifact_file(artifact.name)
                path.write_bytes(png)
                self._put_artifact(path, artifact.parent.as_posix())
                return
            with tempfile.TemporaryDirectory() as folder:
                (Path(folder) / artifact.name).write_bytes(png)
                self.client.log_artifact(self.run_id, str(Path(folder) / artifact.name), artifact.parent.as_posix())
        finally:
            plt.close(figure)

    @guarded
    def log_text(self, text: str, name: str) -> None:
        """Save text (the spec YAML, a summary) as an artifact."""
        if self.outbox is not None:
            path = self._artifact_file(name)
            path.write_text(text, encoding="utf-8")
            self._put_artifact(path, Path(name).parent.as_posix() if Path(name).parent != Path(".") else None)
            return
        self.client.log_text(self.run_id, text, name)

    @guarded
    def log_artifacts(self, folder: Path, artifact_path: str) -> None:
        """Copy a folder's files into the run's artifacts."""
        if self.outbox is not None:
            import shutil

            path = self._artifact_file(Path(folder).name or "files")
            shutil.copytree(folder, path)
            self._put_artifact(path, artifact_path)
            return
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)

    @guarded
    def log_model(self, model, requirements: list[str], sample) -> None:
        """Log the Keras model with mlflow.keras, its signature taken from a sample input batch."""
        import mlflow.keras
        import numpy as np
        from mlflow.models import infer_signature

        sample = {k: np.asarray(v) for k, v in sample.items()} if isinstance(sample, dict) else np.asarray(sample)
        signature = infer_signature(sample, np.asarray(model(sample, training=False)))
        if self.outbox is not None:
            path = self.outbox.slot("model")
            mlflow.keras.save_model(model, str(path), pip_requirements=requirements, signature=signature)
            self.outbox.put("model", dir=self.outbox.relative(path), name="model")
            return
        mlflow.keras.log_model(model, name="model", pip_requirements=requirements, signature=signature)

    @guarded
    def log_servable(self, export_path: str | Path, name: str = "servable") -> None:
        """Log the export version `export_path` (a SavedModel) as a pyfunc model under `name`.

        It answers raw inputs (PNG bytes, strings, table columns) through the export's
        `serving_default` (`serving.pyfunc.ExportModel`): `mlflow models serve -m runs:/<id>/servable`.
        The model is tagged with the export's folder and version (`kpipe.export_path`, `kpipe.export_version`).
        """
        import tempfile
        from importlib.metadata import PackageNotFoundError, version

        import mlflow.pyfunc

        from serving.pyfunc import servable_parts

        requirements = []
        for package in ("tensorflow", "tensorflow-text", "mlflow", "pandas"):
            try:
                requirements.append(f"{package}=={version(package)}")
            except PackageNotFoundError:
                continue
        export_path = Path(export_path).resolve()
        export_tags = {tag.EXPORT_PATH: str(export_path), tag.EXPORT_VERSION: export_path.name}
        if self.outbox is not None:
            path = self.outbox.slot(name)
            with tempfile.TemporaryDirectory() as code_dir:
                mlflow.pyfunc.save_model(str(path), pip_requirements=requirements,
                                         **servable_parts(export_path, code_dir))
            self.outbox.put("model", dir=self.outbox.relative(path), name=name, tags=export_tags)
            return
        with tempfile.TemporaryDirectory() as code_dir:
            info = mlflow.pyfunc.log_model(name=name, pip_requirements=requirements,
                                           **servable_parts(export_path, code_dir))
        self.client.set_logged_model_tags(info.model_id, export_tags)

    @guarded
    def metric_history(self) -> dict[str, list[float]]:
        """Every per-epoch metric of the run, by step, across resumes; None while records wait for the server."""
        if self.outbox is not None and not self.outbox.drain(timeout_s=10):
            return None
        run = self.client.get_run(self.run_id)
        history = {}
        for key in run.data.metrics:
            if key.startswith(RUN_LEVEL_PREFIXES):
                continue
            points = sorted(self.client.get_metric_history(self.run_id, key), key=lambda m: m.step)
            history[key] = [m.value for m in points]
        return history

    def finish(self, status: str, error: BaseException | None = None) -> None:
        """End the run as `status` (FINISHED, FAILED, KILLED), the error as a tag; never leaves it RUNNING.

        `running` calls it for you; call it yourself only around a bare `start`.
        """
        if not self.active or self.run_id is None:
            return
        import mlflow

        if error is not None:
            self.set_tags({"error": f"{type(error).__name__}: {error}", "error_type": type(error).__name__})
        if self.outbox is not None:  # the end goes last, after every record; waits for a server that went away
            self.outbox.close(status)
            return
        try:
            if mlflow.active_run() is not None and mlflow.active_run().info.run_id == self.run_id:
                mlflow.end_run(status=status)
            else:
                self.client.set_terminated(self.run_id, status=status)
        except Exception as failure:  # noqa: BLE001
            warnings.warn(f"MLflow could not end the run: {failure}", TrackingWarning, stacklevel=2)


def epoch_logger(tracker: Tracker):
    """A Keras callback that logs each epoch's metrics to the run, with the epoch as step."""
    import keras

    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: tracker.log_metrics(dict(logs or {}), step=epoch)
    )
