"""A run's records on their way to a tracking server that may go away: kept on disk, sent in order, retried.

A `Tracker` on a remote server (`http(s)://`) puts every record of its run (metrics, params,
tags, datasets, artifact files, models saved locally) into an `Outbox`: a folder
`<work_dir>/<run_id>.pending/` holding `run.json` (the run: server, id, experiment, name, tags),
`records.jsonl` (every record, in order), `files/` (the artifact files and saved models the
records name) and `sent` (how many records the server has taken). A background thread sends
the records in order; while the server cannot be reached (connection refused or reset, time-out,
5xx) it keeps them and tries again every `KPIPE_TRACKING_RETRY_S` seconds (default 2), and
training never waits for it. At the end of the run the outbox waits up to
`KPIPE_TRACKING_OFFLINE_WAIT_S` seconds (default 120) for the server to take the rest, the run's
end included; then the folder is removed, or, if the server is still away, left in place with
the command that uploads it: `kpipe tracking upload <folder>` (`upload`). A record the server
refuses for any other reason (a bad value) is dropped with a `TrackingWarning`, as before.

MLflow's own facilities do part of this and are used: `MLFLOW_HTTP_REQUEST_MAX_RETRIES`,
`MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` and `MLFLOW_HTTP_REQUEST_TIMEOUT` bound each call (a remote
tracker sets them, unless already set, so a call to a dead server gives up in seconds instead of
minutes). MLflow's asynchronous logging (`synchronous=False`) is not used: it batches in a thread
but drops a batch whose call fails, and keeps nothing on disk.

Example:
    >>> from pipelines.tracking_buffer import upload                  # doctest: +SKIP
    >>> upload(".kpipe/4b9e....pending")                             # doctest: +SKIP
    '4b9e...'
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

OFFLINE_WAIT_S = 120.0
"""How long the end of a run waits for an unreachable server before leaving its records on disk."""

RETRY_S = 2.0
"""How often buffered records are tried again while the server is unreachable."""

HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                 "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}
"""MLflow's HTTP limits for a remote tracker, unless set: the outbox retries, so each call gives up fast."""

UPLOAD_COMMAND = "kpipe tracking upload"
PENDING_SUFFIX = ".pending"


def offline_wait_s() -> float:
    return float(os.environ.get("KPIPE_TRACKING_OFFLINE_WAIT_S", OFFLINE_WAIT_S))


def retry_s() -> float:
    return float(os.environ.get("KPIPE_TRACKING_RETRY_S", RETRY_S))


def remote(uri: str | None) -> bool:
    """Whether `uri` is a tracking server reached over HTTP (the records go through an outbox).

    Example:
        >>> remote("http://mlflow:5000"), remote("sqlite:///mlruns/mlflow.db")
        (True, False)
    """
    return bool(uri) and uri.startswith(("http://", "https://"))


_UNREACHABLE = re.compile(r"Max retries exceeded|Connection (refused|aborted|reset)|RemoteDisconnected|"
                          r"timed out|NewConnectionError|failed with error code 5\d\d|"
                          r"failed with exception|Remote end closed|BadStatusLine|status code 5\d\d")


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the server could not be reached or answered 5xx (worth trying again later).

    Example:
        >>> unreachable(ConnectionRefusedError(111, "Connection refused")), unreachable(ValueError("bad"))
        (True, False)
    """
    import requests

    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, (ConnectionError, TimeoutError, requests.ConnectionError, requests.Timeout)):
            return True
        response = getattr(error, "response", None)
        if isinstance(error, requests.HTTPError) and response is not None and response.status_code >= 500:
            return True
        if _UNREACHABLE.search(str(error)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def send_record(client, run_id: str, experiment_id: str, folder: Path, record: dict) -> None:
    """Apply one outbox record to run `run_id` through `client`; raises what the server raises."""
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
    from mlflow.utils.validation import MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH

    op = record["op"]
    if op == "metrics":
        items = [Metric(k, float(v), int(ts), int(step)) for k, v, ts, step in record["items"]]
        for chunk in _chunks(items, MAX_METRICS_PER_BATCH):
            client.log_batch(run_id, metrics=chunk)
    elif op == "params":
        for chunk in _chunks([Param(k, v) for k, v in record["items"].items()], MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(run_id, params=chunk)
    elif op == "tags":
        for chunk in _chunks([RunTag(k, v) for k, v in record["items"].items()], MAX_PARAMS_TAGS_PER_BATCH):
            client.log_batch(run_id, tags=chunk)
    elif op == "datasets":
        client.log_inputs(run_id, [DatasetInput(Dataset(**d["dataset"]), [InputTag(k, v) for k, v in d["tags"].items()])
                                   for d in record["items"]])
    elif op == "artifact":
        path = folder / record["file"]
        if path.is_dir():
            client.log_artifacts(run_id, str(path), record.get("path"))
        else:
            client.log_artifact(run_id, str(path), record.get("path"))
    elif op == "model":
        _send_model(client, run_id, experiment_id, folder / record["dir"], record)
    elif op == "end":
        client.set_terminated(run_id, record["status"])
    else:
        raise ValueError(f"unknown outbox record {op!r}")


def _send_model(client, run_id: str, experiment_id: str, path: Path, record: dict) -> None:
    """Log a model saved locally (`mlflow.<flavor>.save_model`) as a logged model of the run, as log_model does."""
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus
    from mlflow.models import Model

    from mlflow.exceptions import MlflowException

    created = path.parent / "model_id"  # a retry after a cut connection reuses the model it created
    model = None
    if created.is_file():
        try:
            model = client.get_logged_model(created.read_text().strip())
        except MlflowException:  # another server or store: create it there
            model = None
        if model is not None and model.source_run_id != run_id:
            model = None
    if model is None:
        model = client.create_logged_model(experiment_id, name=record["name"], source_run_id=run_id,
                                           tags=record.get("tags") or None)
        created.write_text(model.model_id)
    mlmodel = Model.load(str(path / "MLmodel"))
    mlmodel.model_id = mlmodel.model_uuid = model.model_id
    mlmodel.run_id, mlmodel.artifact_path = run_id, model.artifact_location
    mlmodel.save(str(path / "MLmodel"))
    client.log_model_artifacts(model.model_id, str(path))
    client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=0)])


class Outbox:
    """A run's records, kept in `folder` and sent in order by a background thread; see the module doc.

    `send(record)` applies one record to the server. `put` never waits for the server; `close`
    queues the run's end and waits (at most `wait_s`) until the server has taken everything.
    """

    def __init__(self, folder: Path, header: dict, send: Callable[[dict], None], *, wait_s: float | None = None,
                 retry_every_s: float | None = None):
        self.folder = Path(folder).resolve()
        (self.folder / "files").mkdir(parents=True, exist_ok=True)
        (self.folder / "run.json").write_text(json.dumps(header, indent=2))
        self.header = header
        self.records: list[dict] = []
        self.sent = 0
        self.offline_since: float | None = None
        self.wait_s = offline_wait_s() if wait_s is None else wait_s
        self.retry_every_s = retry_s() if retry_every_s is None else retry_every_s
        self._send = send
        self._files = 0
        self._closing = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="kpipe-tracking-outbox", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """How many records the server has not taken yet."""
        return len(self.records) - self.sent

    @property
    def offline(self) -> bool:
        return self.offline_since is not None

    def slot(self, name: str) -> Path:
        """A new empty folder under `files/` for one artifact or model; returns `files/NNNNN/<name>`."""
        with self._changed:
            self._files += 1
            number = self._files
        folder = self.folder / "files" / f"{number:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def relative(self, path: Path) -> str:
        return Path(path).relative_to(self.folder).as_posix()

    def put(self, op: str, **fields: Any) -> None:
        """Queue a record; it is on disk when this returns, and sent when the server takes it."""
        record = {"op": op, **fields}
        line = json.dumps(record) + "\n"
        with self._changed:
            with (self.folder / "records.jsonl").open("a") as journal:
                journal.write(line)
            self.records.append(record)
            self._changed.notify_all()

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self.pending and not self._closing:
                    self._changed.wait()
                if not self.pending and self._closing:
                    return
            if not self._deliver():
                with self._changed:
                    if self._closing and time.monotonic() > self._deadline:
                        return
                    self._changed.wait(self.retry_every_s)

    def _deliver(self) -> bool:
        """Send pending records in order; False at the first one the server could not be reached for."""
        while True:
            with self._changed:
                if not self.pending:
                    return True
                record = self.records[self.sent]
            try:
                self._send(record)
            except Exception as error:  # noqa: BLE001  (tracking must never break training)
                if unreachable(error):
                    self._went_offline(error)
                    return False
                from pipelines.tracking import TrackingWarning

                warnings.warn(f"MLflow {record['op']} failed: {error}", TrackingWarning, stacklevel=2)
            with self._changed:
                self.sent += 1
                (self.folder / "sent").write_text(str(self.sent))
                self._changed.notify_all()
            if self.offline:
                print(f"MLflow at {self.header['tracking_uri']} is back after "
                      f"{time.monotonic() - self.offline_since:.0f}s; sending the buffered records",
                      file=sys.stderr, flush=True)
                self.offline_since = None

    def _went_offline(self, error: BaseException) -> None:
        if not self.offline:
            self.offline_since = time.monotonic()
            first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            print(f"MLflow at {self.header['tracking_uri']} is unreachable ({first}); the run's records are kept "
                  f"in {self.folder} and retried every {self.retry_every_s:g}s; training goes on",
                  file=sys.stderr, flush=True)

    def drain(self, timeout_s: float) -> bool:
        """Wait (at most `timeout_s`, and not while the server is away) until every record is sent."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self.pending and not self.offline and time.monotonic() < deadline:
                self._changed.wait(0.1)
            return not self.pending

    def close(self, status: str) -> bool:
        """Queue the run's end as `status` and wait up to `wait_s` for the server to take every record.

        True (and the folder removed) when it did; False when the server stayed away: the folder
        stays, and the command that uploads it is printed.
        """
        self.put("end", status=status)
        self._deadline = time.monotonic() + self.wait_s
        with self._changed:
            self._closing = True
            self._changed.notify_all()
            while self.pending and time.monotonic() < self._deadline:
                self._changed.wait(min(self.retry_every_s, max(0.05, self._deadline - time.monotonic())))
        self._thread.join(timeout=self.retry_every_s + 60)
        if not self.pending:
            shutil.rmtree(self.folder, ignore_errors=True)
            return True
        print(f"MLflow at {self.header['tracking_uri']} stayed unreachable for {self.wait_s:g}s after the run "
              f"ended; its {self.pending} unsent record(s) are in {self.folder}. Upload them with:\n"
              f"  {UPLOAD_COMMAND} {self.folder}", file=sys.stderr, flush=True)
        return False

    # `_deadline` is set by `close`; until then the loop never gives up.
    _deadline = float("inf")


def read_pending(folder: str | Path) -> tuple[dict, list[dict], int]:
    """The run header, every record and how many the server took, of an outbox folder."""
    folder = Path(folder)
    if not (folder / "run.json").is_file() or not (folder / "records.jsonl").is_file():
        raise FileNotFoundError(f"{folder} is not a run's pending records folder (no run.json / records.jsonl)")
    header = json.loads((folder / "run.json").read_text())
    records = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines() if line.strip()]
    sent = int((folder / "sent").read_text()) if (folder / "sent").is_file() else 0
    return header, records, sent


def upload(folder: str | Path, tracking_uri: str | None = None) -> str:
    """Send a run's pending records (an outbox folder left by an unreachable server); returns the run id.

    To the server the run was on (or `tracking_uri`): when the run is there, the records it did not
    take are sent into it; when it is not (another server, a local store), the run is created in
    its experiment with its name and tags and every record is sent. The folder is removed after.

    Example:
        >>> upload(".kpipe/4b9e....pending", "sqlite:///mlruns/mlflow.db")   # doctest: +SKIP
        'c01d...'
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    folder = Path(folder)
    header, records, sent = read_pending(folder)
    uri = tracking_uri or header["tracking_uri"]
    client = MlflowClient(uri)
    try:
        run = client.get_run(header["run_id"])
    except MlflowException:
        run = None
    if run is None:  # another server or store: the run is created there, and gets every record
        experiment = client.get_experiment_by_name(header["experiment"])
        experiment_id = (experiment.experiment_id if experiment is not None
                         else client.create_experiment(header["experiment"]))
        run = client.create_run(experiment_id, start_time=header.get("start_time"),
                                tags=header.get("tags") or {}, run_name=header.get("run_name"))
        header.update(tracking_uri=uri, run_id=run.info.run_id)
        (folder / "run.json").write_text(json.dumps(header, indent=2))  # an upload cut short goes on there
        sent = 0
        (folder / "sent").write_text("0")
    run_id, experiment_id = run.info.run_id, run.info.experiment_id
    for number in range(sent, len(records)):
        try:
            send_record(client, run_id, experiment_id, folder, records[number])
        except Exception as error:  # noqa: BLE001
            if unreachable(error):
                raise RuntimeError(f"MLflow at {uri} is unreachable ({error}); nothing is lost: "
                                   f"run {UPLOAD_COMMAND} {folder} again later") from None
            from pipelines.tracking import TrackingWarning

            warnings.warn(f"MLflow {records[number]['op']} failed: {error}", TrackingWarning, stacklevel=2)
        (folder / "sent").write_text(str(number + 1))
    if not any(record["op"] == "end" for record in records):  # the process died before it could end the run
        client.set_terminated(run_id, "KILLED")
    shutil.rmtree(folder, ignore_errors=True)
    return run_id
