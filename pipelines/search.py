"""What a sweep tries next: every combination of a grid, or what a KerasTuner oracle proposes.

A search proposes trials as spec overrides (`key=value`, as `--set` takes them) and is told
each trial's result, so that an oracle (random, bayesian, hyperband) can choose the next one.
Proposals are seeded: the same search proposes the same trials again when told the same
results, which is how `kpipe sweep --resume` recognizes the trials it already ran.

Example:
    >>> search = GridSearch({"model.head.dropout": ["0.1", "0.3"], "training.epochs": ["1"]})
    >>> search.propose()
    ['model.head.dropout=0.1', 'training.epochs=1']
    >>> search.report(0.9)
    >>> search.propose()
    ['model.head.dropout=0.3', 'training.epochs=1']
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ValidationError

from pipelines.spec import Spec
from pipelines.sweep_spec import SearchParameter

Strategy = Literal["grid", "random", "bayesian", "hyperband"]
ORACLES = ("random", "bayesian", "hyperband")


@dataclass
class SearchPlan:
    """What a sweep searches: `--grid` values, `--range` spaces, the strategy and its budget."""

    strategy: Strategy = "grid"
    grid: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, SearchParameter] = field(default_factory=dict)
    max_trials: int | None = None


def _split_values(text: str) -> list[str]:
    values, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    return [*values, current.strip()]


def parse_grid(text: str) -> tuple[str, list[str]]:
    """`key=v1,v2,...` as `--grid` takes it; commas inside [] or {} do not split.

    Example:
        >>> parse_grid("training.optimizer.learning_rate=1e-3,3e-4")
        ('training.optimizer.learning_rate', ['1e-3', '3e-4'])
    """
    key, sep, raw = text.partition("=")
    values = _split_values(raw) if sep else []
    if not key.strip() or not values or "" in values:
        raise ValueError(f"--grid expects key.path=value1,value2,..., got {text!r}")
    return key.strip(), values


def parse_range(text: str) -> tuple[str, SearchParameter]:
    """`key=low:high` (uniform float), `key=log:low:high` (log-uniform) or `key=int:low:high`.

    Example:
        >>> key, parameter = parse_range("training.optimizer.learning_rate=log:1e-4:1e-2")
        >>> key, parameter.type, parameter.sampling, parameter.min, parameter.max
        ('training.optimizer.learning_rate', 'float', 'log', 0.0001, 0.01)
    """
    key, _, raw = text.partition("=")
    parts = raw.split(":")
    kind = parts.pop(0) if parts and parts[0] in ("log", "int") else "linear"
    try:
        low, high = (float(part) for part in parts)
        parameter = SearchParameter(type="int" if kind == "int" else "float", min=low, max=high,
                                    sampling="log" if kind == "log" else "linear")
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
    except ValueError:
        reason = "low and high must be two numbers"
    else:
        if key.strip():
            return key.strip(), parameter
        reason = "the key path is missing"
    raise ValueError(f"--range expects key.path=[log:|int:]low:high, got {text!r}: {reason}")


def trial_key(overrides: list[str]) -> str:
    """A trial's overrides as one canonical string (its `kpipe.trial` tag).

    Example:
        >>> trial_key(["training.epochs=2", "model.head.dropout=0.1"])
        'model.head.dropout=0.1; training.epochs=2'
    """
    return "; ".join(sorted(overrides))


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:.6g}" if isinstance(value, float) else str(value)


class GridSearch:
    """Every combination of the grid's values, in order (the last key varies fastest)."""

    def __init__(self, grid: dict[str, list[str]]):
        keys = list(grid)
        self.trials = [[f"{k}={v}" for k, v in zip(keys, combo)]
                       for combo in itertools.product(*(grid[k] for k in keys))]
        self.max_trials = len(self.trials)
        self.grid = grid
        self._next = 0

    def propose(self, worker: int = 0) -> list[str] | None:
        """The next combination's overrides, or None when all were proposed (`worker` unused)."""
        if self._next >= len(self.trials):
            return None
        self._next += 1
        return self.trials[self._next - 1]

    def report(self, value: float | None, worker: int = 0) -> None:
        """A grid does not depend on results."""

    def probes(self) -> list[list[str]]:
        """Overrides to validate before the first trial runs: every combination."""
        return self.trials

    def describe(self) -> dict[str, str]:
        """The search as the parent run's params."""
        return {"sweep.strategy": "grid", **{f"sweep.grid.{k}": ",".join(v) for k, v in self.grid.items()}}


class OracleSearch:
    """Trials proposed by a KerasTuner oracle (random, bayesian or hyperband) over a search space.

    Hyperband's `tuner/epochs` becomes `training.epochs`; every trial trains from scratch. Trials
    run in parallel are told apart by `worker`, the oracle's tuner id: each worker has at most one
    trial open, as KerasTuner's own parallel tuners do.
    """

    def __init__(self, strategy: str, space: dict[str, SearchParameter], *, metric: str, mode: str,
                 max_trials: int, seed: int, folder: Path, max_epochs: int = 1, factor: int = 3):
        import keras_tuner

        self.strategy, self.space, self.max_trials = strategy, space, max_trials
        objective = keras_tuner.Objective(metric, direction=mode)
        common = {"objective": objective, "hyperparameters": _hyperparameters(space),
                  "seed": seed + 1,  # keras_tuner reads seed 0 as "unseeded"
                  "max_consecutive_failed_trials": max_trials + 1}  # failed trials never stop a sweep
        oracles = keras_tuner.oracles
        if strategy == "random":
            self.oracle = oracles.RandomSearchOracle(max_trials=max_trials, **common)
        elif strategy == "bayesian":
            self.oracle = oracles.BayesianOptimizationOracle(max_trials=max_trials, **common)
        else:
            self.oracle = oracles.HyperbandOracle(max_epochs=max_epochs, factor=factor, **common)
        shutil.rmtree(Path(folder) / "oracle", ignore_errors=True)  # replaying the trials rebuilds its state
        self.oracle._set_project_dir(str(folder), "oracle")  # where it saves its trials; as a Tuner does
        self.oracle.verbose = 0
        self.metric = metric
        self._trials = {}
        self.tuner_id = "kpipe"
        self.stopped = False
        self.numbers: dict[int, int] = {}

    def join_chief(self, tuner_id: str) -> None:
        """Ask the chief's oracle from now on (KerasTuner's `OracleClient`, at KERASTUNER_ORACLE_IP and _PORT),
        as the tuners `<tuner_id>-<worker>`."""
        from keras_tuner.src.distribute.oracle_client import OracleClient

        self.oracle = OracleClient(self.oracle)
        self.tuner_id = tuner_id

    def serve(self) -> None:
        """Serve this oracle to the workers' tuners (KerasTuner's chief, at KERASTUNER_ORACLE_IP and _PORT) until
        it has proposed `max_trials` trials, every one has ended and every tuner has been told to stop."""
        from keras_tuner.src.distribute import oracle_chief

        oracle_chief.start_server(self.oracle)

    def propose(self, worker: int = 0) -> list[str] | None:
        """The oracle's next trial for `worker` as overrides, or None when it stops (`stopped`) or waits for open
        trials; `numbers[worker]` is then the trial's number (the oracle's trial id)."""
        trial = self.oracle.create_trial(f"{self.tuner_id}-{worker}")
        self.stopped = self.stopped or trial.status == "STOPPED"
        if trial.status != "RUNNING":
            return None
        self._trials[worker] = trial
        self.numbers[worker] = int(trial.trial_id)
        values = trial.hyperparameters.values
        overrides = [f"{k}={_text(v)}" for k, v in values.items() if not k.startswith("tuner/")]
        if "tuner/epochs" in values:
            overrides.append(f"training.epochs={values['tuner/epochs']}")
        return overrides

    def report(self, value: float | None, worker: int = 0) -> None:
        """Tell the oracle the metric of `worker`'s trial (None: it failed)."""
        trial = self._trials.pop(worker)
        if value is None:
            trial.status = "FAILED"
        else:
            self.oracle.update_trial(trial.trial_id, {self.metric: value})
            trial.status = "COMPLETED"
        self.oracle.end_trial(trial)

    def probes(self) -> list[list[str]]:
        """Overrides to validate before the first trial runs: each range's ends, each choice."""
        probes = []
        for key, parameter in self.space.items():
            values = parameter.values if parameter.type == "choice" else [parameter.min, parameter.max]
            cast = int if parameter.type == "int" else (lambda v: v)
            probes.extend([f"{key}={_text(cast(value))}"] for value in values)
        return probes

    def describe(self) -> dict[str, str]:
        """The search as the parent run's params."""
        described = {"sweep.strategy": self.strategy, "sweep.max_trials": str(self.max_trials)}
        for key, p in self.space.items():
            described[f"sweep.space.{key}"] = (
                ",".join(map(_text, p.values)) if p.type == "choice" else f"{p.type}:{p.sampling}:{p.min:g}:{p.max:g}"
            )
        return described


def _hyperparameters(space: dict[str, SearchParameter]):
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    for key, p in space.items():
        if p.type == "choice":
            hp.Choice(key, p.values)
        elif p.type == "int":
            hp.Int(key, int(p.min), int(p.max), step=int(p.step) if p.step else None, sampling=p.sampling)
        else:
            hp.Float(key, p.min, p.max, step=p.step, sampling=p.sampling)
    return hp


def _choice(values: list[str]) -> SearchParameter:
    return SearchParameter(type="choice", values=[yaml.safe_load(v) for v in values])


def build_search(plan: SearchPlan, spec: Spec, folder: Path, metric: str, mode: str) -> GridSearch | OracleSearch:
    """The search a plan describes, for `spec`; ValueError when the plan cannot run.

    A grid runs every combination of `--grid` values. The oracles search the spec's
    `sweep.parameters`, updated by `--range` spaces and `--grid` values (as choices).

    Example:
        >>> build_search(SearchPlan(grid={"model.head.dropout": ["0.1", "0.3"]}), spec, Path(".kpipe"),
        ...              "test_accuracy", "max").max_trials                            # doctest: +SKIP
        2
    """
    if plan.strategy == "grid":
        if plan.ranges:
            raise ValueError("--range needs --random N or --tuner; a grid sweep takes --grid key=v1,v2")
        if not plan.grid:
            raise ValueError("nothing to sweep: give --grid key=v1,v2, --random N with --range, "
                             "or --tuner bayesian|hyperband with a sweep: section in the spec")
        return GridSearch(plan.grid)
    declared = spec.sweep.parameters if spec.sweep else {}
    space = {**declared, **plan.ranges, **{k: _choice(v) for k, v in plan.grid.items()}}
    if not space:
        raise ValueError(f"--{'random' if plan.strategy == 'random' else 'tuner ' + plan.strategy} has nothing "
                         "to search: add --range key=low:high or a sweep: section with parameters to the spec")
    if plan.strategy == "hyperband" and "training.epochs" in space:
        raise ValueError("hyperband sets training.epochs itself; remove it from the search space")
    max_trials = plan.max_trials or (spec.sweep.max_trials if spec.sweep else 10)
    max_epochs = (spec.sweep.max_epochs if spec.sweep else None) or spec.training.epochs
    if max_epochs == "auto" and plan.strategy == "hyperband":
        raise ValueError("hyperband needs the most epochs a trial trains: set sweep.max_epochs or training.epochs")
    return OracleSearch(
        plan.strategy, space, metric=metric, mode=mode, max_trials=max_trials, seed=spec.seed, folder=folder,
        max_epochs=max_epochs,
        factor=spec.sweep.factor if spec.sweep else 3,
    )
