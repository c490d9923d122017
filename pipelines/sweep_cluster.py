"""One KerasTuner sweep over several machines: KerasTuner's own chief/worker mode, one MLflow parent run.

Every machine runs the same `kpipe sweep` command (a `--random N` or `--tuner` sweep) against one
MLflow tracking server, with KerasTuner's environment variables: `KERASTUNER_ORACLE_IP` and
`KERASTUNER_ORACLE_PORT` (where the chief serves its oracle) and `KERASTUNER_TUNER_ID` (`chief` on
one machine, a distinct id such as `tuner0`, `tuner1` on the others).

- The chief opens the sweep's parent run, tagged with the oracle's port (`kpipe.sweep_oracle_port`, workers find it by that),
  and serves the oracle (`keras_tuner`'s gRPC `OracleServicer`) until it has proposed every trial,
  every trial has ended and every worker has been told to stop. It runs no trial itself. It then
  records the best trial and the comparison plots on the parent run and closes it.
- A worker waits for that parent run (RUNNING, in the spec's experiment, same spec name and port),
  then asks the chief's oracle for trials, `--workers` of them at a time, and runs each as a child
  run of the parent, numbered by the oracle's trial id. The oracle hands each trial to one tuner
  only, so no trial runs twice. A worker writes nothing on the parent run.

`--resume` and grid sweeps are refused in this mode (a grid needs no oracle: split it by hand).

Example (two machines, a tracking server at http://mlflow:5000):
    # chief (10.0.0.1)
    KERASTUNER_TUNER_ID=chief KERASTUNER_ORACLE_IP=0.0.0.0 KERASTUNER_ORACLE_PORT=8000 \\
        kpipe sweep spec.yaml --tuner bayesian --max-trials 20
    # each worker
    KERASTUNER_TUNER_ID=tuner0 KERASTUNER_ORACLE_IP=10.0.0.1 KERASTUNER_ORACLE_PORT=8000 \\
        kpipe sweep spec.yaml --tuner bayesian --max-trials 20 --workers 2
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, wait

PARENT_WAIT_S = 600.0
"""How long a worker waits for the chief's parent run (KPIPE_SWEEP_PARENT_WAIT_S overrides it)."""


def cluster_role() -> str | None:
    """None without KerasTuner's chief/worker variables, else `chief` or this worker's tuner id.

    Example:
        >>> os.environ.pop("KERASTUNER_ORACLE_IP", None); cluster_role() is None
        True
    """
    from keras_tuner.src.distribute import utils

    if not utils.has_chief_oracle():  # raises naming the missing variable when only some are set
        return None
    return "chief" if utils.is_chief_oracle() else os.environ["KERASTUNER_TUNER_ID"]


def check_cluster_sweep(strategy: str, resume: bool) -> None:
    """Refuse what this mode cannot do: a grid (no oracle) and `--resume`.

    Example:
        >>> check_cluster_sweep("bayesian", resume=False)
    """
    if strategy == "grid":
        raise ValueError("KERASTUNER_TUNER_ID: several machines share a sweep through a KerasTuner oracle; use "
                         "--random N or --tuner (a grid needs no oracle: give each machine part of it)")
    if resume:
        raise ValueError("--resume: a sweep over several machines cannot resume; start it again (its finished "
                         "trials stay in MLflow)")


def serve_trials(search, tracker, result) -> None:
    """The chief: tag the parent run with the oracle's port, serve the oracle until the sweep ends, then read
    the trials the workers ran (the parent's children) into `result`."""
    from pipelines import tags as tag
    from pipelines.sweep import TrialResult, _children

    tracker.set_tags({tag.SWEEP_ORACLE_PORT: os.environ["KERASTUNER_ORACLE_PORT"]})
    print(f"sweep: serving the {search.strategy} oracle on {os.environ['KERASTUNER_ORACLE_IP']}:"
          f"{os.environ['KERASTUNER_ORACLE_PORT']} to the workers (KERASTUNER_TUNER_ID=<id>)", file=sys.stderr,
          flush=True)
    search.serve()
    for number, run in enumerate(_children(tracker.client, tracker.run_id)):
        overrides = run.data.tags[tag.TRIAL].split("; ") if run.data.tags.get(tag.TRIAL) else []
        result.trials.append(TrialResult(number, overrides, run.info.run_id, run.info.status,
                                         run.data.metrics.get(result.metric)))


def find_parent(client, experiment: str, spec_name: str, port: str) -> str:
    """The RUNNING parent run of the chief serving on `port` for `spec_name`, waited for (PARENT_WAIT_S).

    Example:
        >>> find_parent(MlflowClient(uri), "digits", "digits", "8000")   # doctest: +SKIP
        '4b9e...'
    """
    from pipelines import tags as tag

    wait_s = float(os.environ.get("KPIPE_SWEEP_PARENT_WAIT_S", PARENT_WAIT_S))
    deadline = time.monotonic() + wait_s
    query = (f"tags.`{tag.SWEEP_ORACLE_PORT}` = '{port}' and tags.`{tag.SPEC_NAME}` = '{spec_name}' "
             f"and attributes.status = 'RUNNING'")
    while True:
        found = client.get_experiment_by_name(experiment)
        runs = client.search_runs([found.experiment_id], filter_string=query, order_by=["attributes.start_time DESC"],
                                  max_results=1) if found else []
        if runs:
            return runs[0].info.run_id
        if time.monotonic() > deadline:
            raise RuntimeError(f"no sweep of {spec_name!r} is being served on port {port} in experiment "
                               f"{experiment!r} after {wait_s:.0f}s; start the chief (KERASTUNER_TUNER_ID=chief) "
                               f"with the same spec, tracking server and KERASTUNER_ORACLE_PORT")
        time.sleep(2)


def work_trials(search, base: dict, folder, uri: str, experiment: str, spec_name: str, result, workers: int):
    """A worker: run the chief's trials, `workers` at a time, as children of its parent run, until the oracle
    stops; every local tuner is told to stop, so the chief can end."""
    from mlflow import MlflowClient

    from pipelines.sweep import TrialResult, _announce, _pool, _trial_process

    tuner_id = os.environ["KERASTUNER_TUNER_ID"]
    search.join_chief(tuner_id)
    parent = find_parent(MlflowClient(uri), experiment, spec_name, os.environ["KERASTUNER_ORACLE_PORT"])
    result.parent_run_id = parent
    free, pending = list(range(workers)), {}
    with _pool(workers) as pool:
        while True:
            while free and not search.stopped and (overrides := search.propose(free[0])) is not None:
                worker = free.pop(0)
                number = search.numbers[worker]
                log = folder / f"trial-{number:03d}.log" if workers > 1 else None
                pending[pool.submit(_trial_process, base, overrides, number, folder, parent, uri, set(),
                                    result.metric, log)] = (worker, number, overrides)
            if not pending:
                if search.stopped:
                    break
                time.sleep(1)  # the oracle waits for trials open on other machines
                continue
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                worker, number, overrides = pending.pop(future)
                try:
                    trial = future.result()
                except Exception as error:  # noqa: BLE001  (a worker process that died fails its trial only)
                    trial = TrialResult(number, overrides, None, "FAILED", error=f"{type(error).__name__}: {error}")
                search.report(trial.value if trial.status == "FINISHED" else None, worker)
                result.trials.append(trial)
                free.append(worker)
                _announce(trial, search.max_trials, result.metric)
    for worker in range(workers):  # each local tuner hears "stopped", so the chief's oracle can end
        search.propose(worker)
    result.trials.sort(key=lambda trial: trial.number)
