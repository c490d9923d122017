"""`kpipe sweep`: run a spec's trials as MLflow child runs under one parent run.

Each trial is a whole `runner.run` of the spec with the trial's overrides, in its own work
folder (`<work_dir>/<name>.sweep/trial-NNN`), tagged `kpipe.sweep_id` (the parent run) and
`kpipe.trial` (its overrides, canonical). The parent holds the search as params, the best
trial so far (`kpipe.best_run_id`, `kpipe.best_trial`, metric `best_<metric>`) and, at the
end, the comparison plots under `plots/`. A trial that fails ends FAILED and the sweep goes on.

`--resume` reopens the parent named in `<work_dir>/<name>.sweep/sweep.json`, reuses every
trial that already has a FINISHED child, continues a trial that was killed mid-run from its
backup (into the same child run), and runs the rest.

KerasTuner's chief/worker variables (`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and `_PORT`)
spread one oracle sweep over several machines: see `pipelines.sweep_cluster`.

With `workers` > 1, that many trials run at once, each in a fresh process (spawned, so it
inherits the environment, KERAS_BACKEND included) that writes its output to
`<sweep folder>/trial-NNN.log`. The sweep proposes each trial once, numbers it, and hands it
to a free worker; an oracle sees each worker as one of KerasTuner's tuner ids, so it never
proposes a trial twice. Trials are recorded in the order they finish, listed by number.

Example:
    >>> from pipelines.search import SearchPlan
    >>> plan = SearchPlan(grid={"model.head.dropout": ["0.1", "0.3"]})
    >>> result = sweep(load_spec("pipelines/specs/digits.yaml"), plan)   # doctest: +SKIP
    >>> result.best.run_id, result.best.value                            # doctest: +SKIP
    ('4b9e...', 0.983)
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pipelines import registry
from pipelines import tags as tag
from pipelines.compare import direction
from pipelines.gates import parse_gate
from pipelines.runner import ResumeError, run_state
from pipelines.search import SearchPlan, build_search, trial_key
from pipelines.spec import Spec
from pipelines.spec_loading import load_spec
from pipelines.work_state import WorkState


@dataclass
class TrialResult:
    """One trial: its overrides, its child run, how it ended and its metric."""

    number: int
    overrides: list[str]
    run_id: str | None
    status: str
    value: float | None = None
    reused: bool = False
    error: str = ""

    @property
    def key(self) -> str:
        return trial_key(self.overrides)


@dataclass
class SweepResult:
    """A sweep's parent run, its trials in order, and the metric that ranks them."""

    parent_run_id: str
    metric: str
    mode: str
    trials: list[TrialResult] = field(default_factory=list)
    tracking_uri: str | None = None

    @property
    def best(self) -> TrialResult | None:
        return _best(self.trials, self.mode)


def objective(spec: Spec, metric: str | None = None, mode: str | None = None) -> tuple[str, str]:
    """The metric a sweep optimizes and whether higher ('max') or lower ('min') is better.

    The metric is the one given, else `sweep.metric`, else the first export gate's metric,
    else the task's default metric on the test split; the mode is the one given, else
    `sweep.mode`, else the gate's direction, else the task's direction for its metric,
    else 'min' for losses and errors and 'max' for the rest.

    Example:
        >>> objective(load_spec("pipelines/specs/digits.yaml"))   # doctest: +SKIP
        ('test_accuracy', 'max')
    """
    declared = spec.sweep
    gate_metric = gate_mode = None
    if spec.export.gates:
        gate_metric, operator, _ = parse_gate(spec.export.gates[0])
        gate_mode = "max" if ">" in operator else "min"
    task = registry.tasks.get(spec.task).build
    metric = metric or (declared and declared.metric) or gate_metric or f"test_{task.metric}"
    mode = mode or (declared and declared.mode) or (gate_mode if metric == gate_metric else None)
    if metric == f"test_{task.metric}":
        mode = mode or task.direction
    return metric, mode or direction(metric)


def sweep_folder(spec: Spec) -> Path:
    """Where a sweep keeps its state and its trials' work folders.

    Example:
        >>> sweep_folder(load_spec("pipelines/specs/digits.yaml"))   # doctest: +SKIP
        PosixPath('.kpipe/digits.sweep')
    """
    return Path(spec.training.work_dir) / f"{spec.name}.sweep"


def sweep_state(folder: Path) -> WorkState:
    """`<sweep folder>/sweep.json`: `{"parent_run_id", "strategy"}` of the unfinished sweep, for `--resume`."""
    return WorkState(folder / "sweep.json")


def _trial_spec(base: dict, overrides: list[str], folder: Path, number: int) -> Spec:
    spec = load_spec(copy.deepcopy(base), overrides)
    spec.training.work_dir = str(folder / f"trial-{number:03d}")
    spec.tracking.run_name = f"{spec.name}-trial-{number:03d}"
    return spec


class ParentRun(NamedTuple):
    """The sweep's parent run as a trial needs it: its id and an MlflowClient."""

    run_id: str
    client: object


def sweep(spec: Spec, plan: SearchPlan, *, metric: str | None = None, mode: str | None = None,
          resume: bool = False, workers: int = 1) -> SweepResult:
    """Run the trials `plan` describes as child runs of one MLflow parent run, `workers` at a time.

    Every trial's overrides are validated before the first one runs (SpecError names the key).
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    from pipelines.sweep_cluster import check_cluster_sweep, cluster_role, serve_trials, work_trials
    from pipelines.tracking import Tracker
    from pipelines.tracking_uri import resolve_tracking_uri

    role = cluster_role()
    if role is not None:
        check_cluster_sweep(plan.strategy, resume)
    if not spec.tracking.enabled:
        raise ValueError("a sweep records its trials in MLflow: tracking.enabled must be true")
    metric, mode = objective(spec, metric, mode)
    folder = sweep_folder(spec)
    state = sweep_state(folder)
    if resume and not state.exists():
        raise ResumeError(f"--resume: no unfinished sweep of {spec.name!r} in {folder}")
    saved = state.read() if resume else {}
    if saved and saved["strategy"] != plan.strategy:
        raise ResumeError(f"--resume: the unfinished sweep of {spec.name!r} is a {saved['strategy']} sweep, "
                          f"not {plan.strategy}")
    base = spec.model_dump(mode="json")
    search = build_search(plan, spec, folder, metric, mode)
    for overrides in search.probes():
        _trial_spec(base, overrides, folder, 0)
    if not resume:
        shutil.rmtree(folder, ignore_errors=True)

    uri = resolve_tracking_uri(spec.tracking.tracking_uri)
    if role not in (None, "chief"):  # a worker of a sweep over several machines: the chief owns the parent run
        result = SweepResult("", metric, mode, tracking_uri=uri)
        work_trials(search, base, folder, uri, spec.experiment, spec.name, result, workers)
        return result
    tracker = Tracker(uri, spec.experiment)
    tags = {tag.SWEEP: plan.strategy, tag.SPEC_NAME: spec.name, tag.TASK: spec.task,
            tag.SWEEP_METRIC: metric, tag.SWEEP_MODE: mode}
    with tracker.running(f"{spec.name}-sweep", tags, resume_run_id=saved.get("parent_run_id")) as parent:
        if parent is None:
            raise RuntimeError(f"a sweep records its trials in MLflow, and MLflow at {uri} is not available")
        state.update(parent_run_id=parent, strategy=plan.strategy)
        result = SweepResult(parent, metric, mode, tracking_uri=uri)
        tracker.log_params(search.describe())
        if role == "chief":
            serve_trials(search, tracker, result)
            _record_best(tracker, result, len(result.trials))
        else:
            _run_trials(search, base, folder, tracker, result, workers)
        _log_comparison(tracker, metric, mode)
    state.clear()
    return result


def _children(client, parent: str) -> list:
    experiment_id = client.get_run(parent).info.experiment_id
    return client.search_runs([experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent}'",
                              max_results=50000, order_by=["attributes.start_time ASC"])


def _run_trials(search, base: dict, folder: Path, tracker, result: SweepResult, workers: int = 1) -> None:
    client, parent = tracker.client, tracker.run_id
    earlier = _children(client, parent)
    finished = {run.data.tags.get(tag.TRIAL): run for run in earlier if run.info.status == "FINISHED"}
    interrupted = {run.info.run_id for run in earlier if run.info.status in ("RUNNING", "KILLED")}
    free, pending, proposed = list(range(workers)), {}, 0

    def settle(trial: TrialResult, worker: int) -> None:
        search.report(trial.value if trial.status == "FINISHED" else None, worker)
        result.trials.append(trial)
        free.append(worker)
        _announce(trial, search.max_trials, result.metric)
        _record_best(tracker, result, trial.number)

    with _pool(workers) as pool:
        while True:
            while free and proposed < search.max_trials and (overrides := search.propose(free[0])) is not None:
                worker, number = free.pop(0), proposed
                proposed += 1
                record = finished.get(trial_key(overrides))
                if record is not None:
                    settle(TrialResult(number, overrides, record.info.run_id, "FINISHED",
                                       record.data.metrics.get(result.metric), reused=True), worker)
                    continue
                log = folder / f"trial-{number:03d}.log" if workers > 1 else None
                if log is not None:
                    print(f"trial {number + 1}/{search.max_trials}: {trial_key(overrides)} started (output: {log})",
                          file=sys.stderr, flush=True)
                pending[pool.submit(_trial_process, base, overrides, number, folder, parent, tracker.uri,
                                    interrupted, result.metric, log)] = (worker, number, overrides)
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                worker, number, overrides = pending.pop(future)
                try:
                    trial = future.result()
                except Exception as error:  # noqa: BLE001  (a worker process that died fails its trial only)
                    trial = TrialResult(number, overrides, None, "FAILED", error=f"{type(error).__name__}: {error}")
                settle(trial, worker)
    result.trials.sort(key=lambda trial: trial.number)
    for run in _children(client, parent):
        if run.info.status == "RUNNING":  # started by a sweep that was killed before it could resume it
            client.set_terminated(run.info.run_id, "KILLED")
    tracker.log_metrics({"trials_finished": sum(t.status == "FINISHED" for t in result.trials),
                         "trials_failed": sum(t.status != "FINISHED" for t in result.trials)})


class _InProcess:
    """An executor that runs each call at once, in this process: one worker, no start-up cost."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args) -> Future:
        future = Future()
        future.set_result(fn(*args))
        return future


def _pool(workers: int):
    """Run trials in this process (one worker) or in `workers` spawned processes, a fresh one per trial."""
    if workers == 1:
        return _InProcess()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1)


def _trial_process(base: dict, overrides: list[str], number: int, folder: Path, parent: str, uri: str,
                   interrupted: set, metric: str, log: Path | None) -> TrialResult:
    """One trial, in the process that runs it; its output goes to `log` when given."""
    from mlflow import MlflowClient

    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(output, 1)
        os.dup2(output, 2)
    return _run_trial(base, overrides, number, folder, ParentRun(parent, MlflowClient(uri)), interrupted, metric)


def _run_trial(base: dict, overrides: list[str], number: int, folder: Path, tracker, interrupted: set,
               metric: str) -> TrialResult:
    from pipelines.runner import run

    tags = {tag.SWEEP_ID: tracker.run_id, tag.TRIAL: trial_key(overrides)}
    try:
        spec = _trial_spec(base, overrides, folder, number)
    except Exception as error:  # noqa: BLE001  (a trial the spec rejects is a failed trial)
        return _failed_without_run(tracker, overrides, number, tags, error)
    state = run_state(Path(spec.training.work_dir) / spec.name)
    try:
        done = run(spec, resume=state.get("run_id") in interrupted, parent_run_id=tracker.run_id, tags=tags)
    except Exception as error:  # noqa: BLE001  (a failed trial does not stop the sweep)
        return TrialResult(number, overrides, state.get("run_id"), "FAILED", error=f"{type(error).__name__}: {error}")
    value = tracker.client.get_run(done.run_id).data.metrics.get(metric) if done.run_id else done.metrics.get(metric)
    return TrialResult(number, overrides, done.run_id, "FINISHED", value)


def _failed_without_run(tracker, overrides: list[str], number: int, tags: dict, error: Exception) -> TrialResult:
    client = tracker.client
    experiment_id = client.get_run(tracker.run_id).info.experiment_id
    message = f"{type(error).__name__}: {error}"
    child = client.create_run(experiment_id, run_name=f"trial-{number:03d}",
                              tags={**tags, "mlflow.parentRunId": tracker.run_id, "error": message[:5000]})
    client.set_terminated(child.info.run_id, "FAILED")
    return TrialResult(number, overrides, child.info.run_id, "FAILED", error=message)


def _best(trials: list[TrialResult], mode: str) -> TrialResult | None:
    scored = [t for t in trials if t.status == "FINISHED" and t.value is not None]
    if not scored:
        return None
    return (max if mode == "max" else min)(scored, key=lambda t: t.value)


def _record_best(tracker, result: SweepResult, step: int) -> None:
    best = result.best
    if best is None:
        return
    tracker.set_tags({tag.BEST_RUN_ID: best.run_id, tag.BEST_TRIAL: best.key})
    tracker.log_metrics({f"best_{result.metric}": best.value}, step=step)


def _announce(trial: TrialResult, total: int, metric: str) -> None:
    outcome = "already FINISHED" if trial.reused else trial.status
    score = f" {metric}={trial.value:.4f}" if trial.value is not None else ""
    error = f" ({trial.error})" if trial.error else ""
    print(f"trial {trial.number + 1}/{total}: {trial.key} -> {outcome}{score}{error}", file=sys.stderr, flush=True)


def _log_comparison(tracker, metric: str, mode: str) -> None:
    from pipelines.compare import compare_runs
    from pipelines.compare_plots import comparison_figures

    finished = [run for run in _children(tracker.client, tracker.run_id) if run.info.status == "FINISHED"]
    if finished:
        for name, figure in comparison_figures(compare_runs(tracker.client, finished, metric, mode)).items():
            tracker.log_figure(figure, name)
