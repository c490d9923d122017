"""Run a spec end to end: data, stages, model, training, evaluation, tracking, export.

Example:
    >>> from pipelines.runner import run
    >>> result = run("pipelines/specs/digits.yaml", overrides=["training.epochs=1"])  # doctest: +SKIP
    >>> result.metrics["test_accuracy"]                                              # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import registry
from pipelines import tags as tag
from pipelines.lineage import resolve_lineage
from pipelines.spec import Spec, keyed
from pipelines.spec_loading import load_spec, with_choices
from pipelines.timings import Timings, profiler_callback
from pipelines.work_state import WorkState


@dataclass
class RunResult:
    """What a run produced: its MLflow run id, test metrics and export.

    `model` is the trained Keras model and `preprocess` the deterministic
    stages (tokenizer, resize, ...) as one function, so that
    `model(preprocess(raw))` answers like the export (text models take
    `models.tasks.text_model.model_features(preprocess(texts))`).
    """

    run_id: str | None
    metrics: dict[str, float]
    export_path: Path | None = None
    failed_gates: list[str] = field(default_factory=list)
    tracking_uri: str | None = None
    skipped_records: int = 0
    verdicts: list[str] = field(default_factory=list)
    model: Any = None
    preprocess: Any = None
    timings: dict[str, float] = field(default_factory=dict)


class ResumeError(RuntimeError):
    """`--resume` found nothing to resume."""


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("tensorflow", "keras", "keras-hub", "keras-cv", "mlflow", "numpy", "keras-pipelines"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def run_state(work_dir: Path) -> WorkState:
    """`<work_dir>/run.json`: `{"run_id": ...}` of the unfinished run, for `--resume`; gone once it finishes."""
    return WorkState(work_dir / "run.json")


def _work_dir(spec: Spec, resume: bool) -> Path:
    from pipelines.strategy import worker_role

    chief, index = worker_role()
    work_dir = Path(spec.training.work_dir) / spec.name
    if not chief:
        work_dir = work_dir / f"worker-{index}"
    if resume and not run_state(work_dir).exists():
        raise ResumeError(f"--resume: no unfinished run of {spec.name!r} in {work_dir}")
    if not resume and work_dir.exists():
        for entry in work_dir.iterdir():  # each other worker's folder (worker-<i>) is that worker's to clear
            if not (chief and entry.is_dir() and entry.name.startswith("worker-")):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    work_dir.mkdir(parents=True, exist_ok=True)
    return work_dir


def run(spec: Spec | str | Path | dict, *, overrides: list[str] = (), resume: bool = False,
        callbacks: list = (), parent_run_id: str | None = None, tags: dict[str, str] | None = None,
        profile: bool = False, timings: Timings | None = None, source: str | Path | None = None) -> RunResult:
    """Run a pipeline; the MLflow run ends FINISHED, or FAILED with the error, never RUNNING.

    `callbacks` are extra Keras callbacks for `fit` (timers, custom logging). `parent_run_id` makes
    the run a child of that MLflow run (a sweep's trial); `tags` are set on the run when it is created.
    `source` is the spec's file (given a path, that path), the run's source in MLflow, with its git commit.
    `profile` records a TensorFlow profile of training steps 2-6 into the run's `profile/` artifacts.
    With `data.split.backtest` (and no `fold` set) it runs every fold under a parent run instead
    (`pipelines.backtest`) and returns the last fold's result with the backtest's metrics.
    Each phase's seconds (`pipelines.timings`) go to `result.timings` and, also when the run fails,
    to the `time_<phase>_s` metrics; `timings` is a clock started earlier (`kpipe run`: at the process
    start), else it starts here.
    """
    timings = timings if timings is not None else Timings()
    source = source if source is not None or not isinstance(spec, (str, Path)) else spec
    spec = spec if isinstance(spec, Spec) else load_spec(spec, overrides)
    spec, lineage = resolve_lineage(spec)  # model.backbone from_run/from_model: pinned; its source run becomes tags
    folds = spec.data.split.backtest
    if folds is not None and folds.fold is None:  # every fold, each a child run (pipelines/backtest.py)
        from pipelines.backtest import backtest

        if resume:
            raise ResumeError("--resume continues one run; rerun the unfinished fold with "
                              "--set data.split.backtest.fold=K --resume")
        return backtest(spec, run, callbacks=callbacks, profile=profile, timings=timings, source=source)

    from pipelines.jax_cluster import join_cluster
    from pipelines.strategy import worker_role
    from pipelines.tracking import Tracker
    from pipelines.tracking_uri import resolve_tracking_uri

    join_cluster(spec.training)  # jax, multi_worker: the processes meet first; process 0 is the chief
    chief, _ = worker_role()
    work_dir = _work_dir(spec, resume)
    state = run_state(work_dir)
    uri = resolve_tracking_uri(spec.tracking.tracking_uri) if spec.tracking.enabled and chief else None
    tracker = Tracker(uri, spec.experiment, enabled=spec.tracking.enabled and chief,
                      spool_dir=spec.training.work_dir)  # a server's unsent records: <work_dir>/<run>.pending
    tags = {tag.SPEC_NAME: spec.name, tag.TASK: spec.task, **lineage, **spec.tracking.tags, **(tags or {})}
    with tracker.running(spec.tracking.run_name or spec.name, tags,
                         resume_run_id=state.get("run_id") if resume else None,
                         parent_run_id=parent_run_id, description=spec.description, source=source) as run_id:
        state.update(run_id=run_id)
        try:
            result = _pipeline(spec, tracker, work_dir, resume, chief, list(callbacks), timings, profile)
        finally:
            timings.finish()
            tracker.log_metrics(timings.as_metrics())
    state.clear()
    result.run_id, result.tracking_uri, result.timings = run_id, uri, timings.as_dict()
    return result


def _log_setup(tracker, spec: Spec, examples, splits, fingerprint: str) -> None:
    from pipelines.datasets import split_datasets
    from pipelines.run_metadata import flatten

    resolved = spec.model_dump(mode="json")
    tracker.log_params(flatten(resolved))
    tracker.log_text(yaml.safe_dump(resolved, sort_keys=False), "spec.yaml")
    tags = {f"version.{k}": v for k, v in _library_versions().items()}
    tags.update({
        "data.fingerprint": fingerprint,
        "data.origin": examples.origin,
        **({"data.classes": ",".join(examples.class_names)} if examples.class_names else {}),
        "data.skipped_records": examples.skipped,
    })
    tracker.set_tags(tags)
    sizes = {f"data_{name}_examples": len(part.labels) for name, part in zip(("train", "validation", "test"), splits)}
    tracker.log_metrics({**sizes, "data_skipped_records": examples.skipped})
    recipe = {**spec.data.split.model_dump(mode="json"), "seed": spec.seed}
    tracker.log_datasets(split_datasets(examples, splits, fingerprint, recipe))


@dataclass
class PreparedData:
    """A spec's examples, its three splits, their tf.data pipelines and the task.

    `spec` is the spec as it runs: with the values it left to the data (`auto`)
    chosen from the training split, which `choices` lists with their reasons.
    """

    examples: Any
    splits: tuple
    datasets: Any
    task: Any
    spec: Any = None
    choices: list = field(default_factory=list)


def prepare_data(spec: Spec, timings: Timings | None = None) -> PreparedData:
    """Load the source, split it and build the stages' tf.data pipelines, as a run does.

    `timings` gets the `data` phase (the source read and checked) and `input_pipeline` (split, stages, tf.data).

    Example:
        >>> prepared = prepare_data(load_spec("pipelines/specs/digits.yaml"))   # doctest: +SKIP
        >>> images, labels = next(iter(prepared.datasets.train))                # doctest: +SKIP
    """
    from data.dataset import build_datasets

    timings = timings if timings is not None else Timings()
    source = spec.data.source
    with timings.phase("data"):
        examples = registry.sources.get(source.type).build(source, on_bad_record=spec.data.on_bad_record)
        if examples.skipped:
            print(f"Skipped {examples.skipped} bad record(s): {', '.join(examples.skipped_records[:5])}",
                  file=sys.stderr)
        task = registry.tasks.get(spec.task).build(spec)
        examples = task.read_targets(examples)
        task.check(examples)
    with timings.phase("input_pipeline"):
        splits = task.split(examples, spec.seed)
        task.prepare(examples, splits[0])
        choices = task.choose(splits[0])
        spec = task.spec = with_choices(spec, choices)
        for choice in choices:
            print(f"Chosen from the training split: {choice.override} ({choice.reason})", file=sys.stderr)
        stages = []
        for index, item in enumerate(spec.stages):
            name, options = keyed(item)
            stage = registry.stages.get(name).build(options, seed=spec.seed + index)
            if not (stage.training_only and task.augments_in_model):  # the task makes its own views
                stages.append(stage)
        datasets = build_datasets(
            *splits, stages, batch_size=spec.data.batch_size, seed=spec.seed, cache=spec.data.cache,
            shuffle_buffer=spec.data.shuffle_buffer, targets=task.targets(),
            target_key=task.target_key, batcher=task.batcher,
        )
    return PreparedData(examples, splits, datasets, task, spec, choices)


def _pipeline(spec: Spec, tracker, work_dir: Path, resume: bool, chief: bool, extra_callbacks: list,
              timings: Timings, profile: bool) -> RunResult:
    import keras
    import tensorflow as tf

    from data.fingerprint import fingerprint
    from models.backbones import build_backbone
    from models import plots
    from pipelines.strategy import select_precision, select_strategy, strategy_name
    from pipelines.tracking import epoch_logger
    from pipelines.epoch_report import epoch_reporter
    from models.tasks.base import Evaluation
    from pipelines.training import train

    keras.utils.set_random_seed(spec.seed)
    strategy = select_strategy(spec.training.strategy, spec.training.model_parallel, spec.model.backbone)
    precision = select_precision(spec.training.mixed_precision, strategy)
    keras.mixed_precision.set_dtype_policy(precision)
    tracker.set_tags({tag.STRATEGY: strategy_name(strategy), tag.REPLICAS: strategy.num_replicas_in_sync,
                      tag.PRECISION: precision})

    timings.since_start("startup")  # process or call start, imports, MLflow run, strategy
    prepared = prepare_data(spec, timings)
    spec, examples, datasets, task = prepared.spec, prepared.examples, prepared.datasets, prepared.task
    train_examples, validation_examples, test_examples = prepared.splits
    with timings.phase("fingerprint"):
        data_fingerprint = fingerprint(examples)
    with timings.phase("tracking"):
        _log_setup(tracker, spec, examples, prepared.splits, data_fingerprint)
        if prepared.choices:
            tracker.log_text("".join(f"{c.override}  # {c.reason}\n" for c in prepared.choices), "choices.txt")
        _log_stage_assets(tracker, datasets.assets, work_dir)
    with timings.phase("plots"):
        for name, figure in task.data_figures(datasets, examples).items():
            tracker.log_figure(figure, name)

    with timings.phase("model"), strategy.scope():
        backbone = build_backbone(spec.model.backbone, task.backbone_input_shape(datasets.model_input_shape),
                                  vocabulary_size=datasets.vocabulary_size)
        model = task.build_model(backbone, datasets.model_input_shape)
    profiler = [profiler_callback(work_dir / "profile")] if profile else []
    keras_history = train(
        spec, task, model, backbone, datasets, work_dir,
        callbacks=[timings.keras_callback(), epoch_reporter(tracker, task, datasets, prepared.splits),
                   epoch_logger(tracker), *profiler, *extra_callbacks],
        class_weight=task.class_weight(train_examples),
        strategy=strategy, resuming=resume,
    )
    if profile:
        with timings.phase("tracking"):
            _log_profile(tracker, work_dir / "profile")
    with timings.phase("plots"):
        history = tracker.metric_history() or keras_history
        tracker.log_figure(plots.training_curves(history), "training_curves.png")

    held_out, held_out_examples = ((datasets.test, test_examples) if datasets.test is not None
                                   else (datasets.validation, validation_examples))
    with timings.phase("evaluation"):
        task.calibrate(model, datasets, prepared.splits)
        evaluation = (task.evaluate(model, held_out, train_examples, held_out_examples)
                      if held_out is not None else Evaluation())
    metrics = evaluation.metrics
    with timings.phase("tracking"):
        tracker.log_metrics(metrics)
    with timings.phase("plots"):
        for name, figure in evaluation.figures.items():
            tracker.log_figure(figure, name)
    with timings.phase("tracking"):
        for name, text in evaluation.tables.items():
            tracker.log_text(text, name)
        if evaluation.verdicts:
            tracker.log_text("\n".join(evaluation.verdicts) + "\n", "verdicts.txt")
        tracker.set_tags({tag.evaluation_tag(name): value for name, value in evaluation.tags.items()})
    result = RunResult(None, metrics, skipped_records=examples.skipped, model=model, preprocess=datasets.preprocess,
                       verdicts=evaluation.verdicts)
    if chief and spec.export.enabled and held_out is not None:
        with timings.phase("export"):
            result.export_path, result.failed_gates = _export(spec, task, model, datasets, held_out_examples,
                                                               metrics, tracker, timings)
    if chief and spec.tracking.log_model:
        with timings.phase("model_logging"):
            versions = _library_versions()
            sample = tf.nest.map_structure(lambda t: t[:4], next(iter(datasets.train))[0])
            logged, sample = task.logged_model(model, sample)
            tracker.log_model(logged, [f"tensorflow=={versions['tensorflow']}", f"keras=={versions['keras']}"],
                              sample)
    from pipelines.report import log_report  # report.html in the run's artifacts, what a reviewer opens
    log_report(tracker, spec, prepared, result, timings)
    return result


def _log_profile(tracker, folder: Path) -> None:
    """Log the `--profile` trace under `profile/` in the run's artifacts, or say that there is none."""
    if folder.is_dir() and any(folder.rglob("*.xplane.pb")):
        tracker.log_artifacts(folder, "profile")
        print(f"Profile of training steps 2-6 in {folder} (and the run's profile/ artifacts); view it with "
              f"tensorboard --logdir {folder} (pip install tensorboard tensorboard-plugin-profile)", file=sys.stderr)
    else:
        print("--profile: no profile was recorded (the TensorFlow profiler did not run, or training ran "
              "fewer than 2 steps)", file=sys.stderr)


def _log_stage_assets(tracker, assets: dict, work_dir: Path) -> None:
    """Log what stages learned or loaded (vocabularies) under `stages/<name>/` in the run's artifacts."""
    for name, save in assets.items():
        folder = work_dir / "stages" / name
        save(folder)
        tracker.log_artifacts(folder, f"stages/{name}")


def _export(spec, task, model, datasets, examples, metrics, tracker, timings: Timings):
    """Check the export gates on `metrics`, then write a version: (its path, []) or (None, failed gates)."""
    from pipelines.gates import failed_gates
    from serving.export import export_for_serving

    failures = failed_gates(spec.export.gates, metrics)
    if failures:
        reason = "; ".join(failures)
        tracker.set_tags({tag.EXPORT_GATE: "failed", tag.EXPORT_GATE_REASON: reason})
        print(f"Export gate failed, no version written: {reason}", file=sys.stderr)
        return None, failures
    exported = export_for_serving(spec, task, model, datasets, examples)
    for step, seconds in exported.timings.items():
        timings.add(f"export_{step}", seconds, within="export")
    tracker.log_metrics(exported.parity)
    version = exported.path.name
    tracker.set_tags({tag.EXPORT_GATE: "passed", tag.EXPORT_PATH: str(exported.path), tag.EXPORT_VERSION: version})
    if spec.tracking.log_model:
        tracker.log_servable(exported.path)  # the export itself as a pyfunc model: runs:/<id>/servable
    return exported.path, []
