"""`Task`: the contract between a task package and the rest of the pipeline.

A task ties a pipeline together. It checks the examples a source gives and
encodes their targets, learns what it needs from the training split, builds
the head on the backbone, chooses loss and metrics, evaluates and plots, writes
the export's signatures and says what "the export answers like the model"
means for it (its parity check). The runner, tracking, sweeps, compare and the
export only talk to tasks through these names; they never name a task or a
label type.

A task's default metric (`metric`, better when `direction` says) drives early
stopping's default monitor, `kpipe sweep`, `kpipe compare`, and the run summary.

Example:
    >>> class Echo(Task):
    ...     input_name = "texts"
    >>> Echo.metric, Echo.direction, Echo.target_key
    ('loss', 'min', None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Evaluation:
    """What a task's evaluation on the held-out split gives the run.

    Attributes:
        metrics: Run-level metrics (`test_...`, baselines, margins).
        figures: File name -> matplotlib figure, logged as images.
        tables: File name -> text (CSV, JSON), logged as artifacts.
        verdicts: Plain sentences for the run summary (did the model beat
            its baselines, by how much, which class weights it trained with,
            did its predictions collapse).
        tags: Run tags by name under `kpipe.`: {"collapse": "one_class"} tags
            the run `kpipe.collapse: one_class`.

    Example:
        >>> Evaluation({"test_mae": 1.0}).update(Evaluation(verdicts=["ok"], tags={"collapse": "baseline_mae"}))
        Evaluation(metrics={'test_mae': 1.0}, figures={}, tables={}, verdicts=['ok'], tags={'collapse': 'baseline_mae'})
    """

    metrics: dict[str, float] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    verdicts: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def update(self, other: Evaluation) -> Evaluation:
        """Add `other`'s metrics, figures, tables, verdicts and tags to this evaluation; returns it."""
        self.metrics.update(other.metrics)
        self.figures.update(other.figures)
        self.tables.update(other.tables)
        self.verdicts.extend(other.verdicts)
        self.tags.update(other.tags)
        return self


@dataclass(frozen=True)
class Choice:
    """A value the spec left to the data (`auto`), chosen from the training split.

    `key` is the spec path as `--set` takes it, so `override` pins the choice.

    Example:
        >>> Choice("training.epochs", 57, "3000 steps").override
        'training.epochs=57'
    """

    key: str
    value: Any
    reason: str

    @property
    def override(self) -> str:
        """`key=value` for `--set` (the value as JSON, which YAML reads)."""
        import json

        return f"{self.key}={json.dumps(self.value)}"


class Task:
    """Defaults for the hooks a task may leave alone.

    Attributes:
        input_name: The `serving_default` input (e.g. `image_bytes`, `texts`);
            tasks with one input per raw column override `serving_requests`.
        target_key: Set for spatial targets that geometric stages and
            augmentation must move with the pixels ("segmentation_masks",
            "bounding_boxes"); None otherwise.
        parity_signature: The export signature the parity check calls.
        batcher: `batcher(dataset, batch_size)` when plain `batch` does not fit
            the targets (a variable number of boxes); None for `batch`.
        default_metrics: Keras metric names compiled when the spec names none.
        metric: The default metric, without its split prefix (`accuracy`
            stands for val_accuracy per epoch and test_accuracy at the end).
        direction: "max" when a higher `metric` is better, else "min".
        stratify: Whether the split keeps the proportions of the targets
            (class ids); targets that are not class ids are split at random.
        weighs_classes: Whether `training.class_weight` applies (`class_weight`).
        default_epochs: `training.epochs: auto` for tasks that do not choose
            it from the data (`choose`).
        sized_stages: Stages whose `auto` options the task chooses from the
            data (`choose`); `auto` anywhere else is refused by `check_spec`.
        splits_by_time: Whether `split` cuts time spans (and so takes
            `data.split.validation_steps` and `test_steps`).
        augments_in_model: Whether the model applies the spec's augmentation
            itself (two views of each image); the input pipeline then leaves it out.
        backends: The Keras backends (`training.backend`) the task trains and
            exports on; `check_spec` refuses the others, naming the task.
        backend_notes: Why a backend is missing from `backends`, by backend
            name, for that refusal.

    Subclasses implement `check`, `targets`, `build_model`, `compile_options`,
    `evaluate`, `export_endpoints`, `reference` and `parity`; they may
    override `read_targets`, `split`, `prepare`, `choose`, `class_weight`, `monitor`, `calibrate`,
    `collapse_causes`, `data_figures`, `epoch_report`, `logged_model`, `backbone_input_shape` and
    `serving_requests`.
    """

    input_name = "inputs"
    target_key = None
    parity_signature = "serving_default"
    batcher = None
    metric = "loss"
    direction = "min"
    stratify = False
    weighs_classes = False
    default_metrics: tuple[str, ...] = ()
    default_epochs = 10
    sized_stages: frozenset[str] = frozenset()
    splits_by_time = False
    augments_in_model = False
    backends: tuple[str, ...] = ("tensorflow", "jax")
    backend_notes: dict[str, str] = {}

    def __init__(self, spec):
        from pipelines.backend import require_backend

        require_backend(spec.training.backend)  # a process keeps its Keras backend: refuse rather than train on another
        self.spec = spec
        self.head = spec.model.head

    @classmethod
    def check_spec(cls, spec) -> None:
        """Rules this task sets on the rest of a spec, checked by `kpipe validate`: class weights need classes.

        `auto` (the default) and `none` fit every task; `balanced` or a dict only
        tasks that weigh classes. Subclasses that add rules call this first.
        """
        from pipelines.spec import keyed

        backend = spec.training.backend
        if backend not in cls.backends:
            note = cls.backend_notes.get(backend)
            raise ValueError(f"training.backend: task {spec.task} does not run on the {backend} backend"
                             f"{f' ({note})' if note else ''}; use training.backend: {cls.backends[0]}")
        setting = spec.training.class_weight
        if setting not in ("auto", "none", None) and not cls.weighs_classes:
            raise ValueError(f"training.class_weight: task {spec.task} has no classes to weight; "
                             f"remove it (or set auto or none)")
        split = spec.data.split
        for key in ("validation_steps", "test_steps", "backtest"):
            if getattr(split, key) is not None and not cls.splits_by_time:
                raise ValueError(f"data.split.{key}: task {spec.task} does not split by time; remove it")
        if split.train_fraction < 1 and cls.split is not Task.split:
            raise ValueError(f"data.split.train_fraction: task {spec.task} splits its examples its own way (by "
                             f"time, or as the source assigns them); remove it")
        for index, item in enumerate(spec.stages):
            name, options = keyed(item)
            if getattr(options, "auto", False) and name not in cls.sized_stages:
                raise ValueError(f"stages.{index}.{name}: task {spec.task} does not choose it from the data; "
                                 f"give its values (e.g. resize: {{height: 64, width: 64}})")

    def keras_metrics(self) -> list[str]:
        """The Keras metrics `compile` tracks: `training.metrics`, else the task's `default_metrics`."""
        chosen = self.spec.training.metrics
        return list(self.default_metrics if chosen is None else chosen)

    # Data -------------------------------------------------------------------------------------

    def read_targets(self, examples):
        """The examples with their targets encoded as this task trains on them (default: as the source gave them)."""
        return examples

    def split(self, examples, seed: int) -> tuple:
        """Train, validation and test examples (`data.split`): seeded shares, stratified when the task says so;
        `train_fraction` then keeps that share of the training split.

        Time-series tasks override it to cut the last spans of each series.
        """
        from data.split import split_examples

        from data.split import keep_share

        split = self.spec.data.split
        train, validation, test = split_examples(examples, split.validation, split.test, seed=seed,
                                                 stratify=split.stratify and self.stratify)
        if split.train_fraction < 1:
            train = keep_share(train, split.train_fraction, seed=seed, stratify=split.stratify and self.stratify)
        return train, validation, test

    def prepare(self, examples, train) -> None:
        """Learn what the task needs from the whole source's metadata and the training split only."""

    def choose(self, train) -> list[Choice]:
        """The values the spec leaves to the data (`auto`), chosen from the training split; after `prepare`.

        The runner applies them to the spec (the run logs the resolved spec) and
        prints them with their reasons. Here: `training.epochs: auto` is
        `default_epochs`.
        """
        if self.spec.training.epochs == "auto":
            return [Choice("training.epochs", self.default_epochs, f"the default of task {self.spec.task}")]
        return []

    def class_weight(self, train) -> dict[int, float] | None:
        """Per-class loss weights for `fit` (none for tasks without classes; `check_spec` refuses the key)."""
        return None

    def monitor(self) -> tuple[str, str]:
        """What early stopping and checkpoints watch when the spec names no metric, and its mode.

        The task's metric on the validation split; called after `class_weight`,
        which may change it (see `ClassTask.monitor`).
        """
        return f"val_{self.metric}", self.direction

    # Diagnosis --------------------------------------------------------------------------------

    def collapse_causes(self) -> list[str]:
        """Likely causes of collapsed predictions, each naming the spec key to change (learning rate, epochs)."""
        training = self.spec.training
        causes = [f"a learning rate too high or too low: change training.optimizer.learning_rate "
                  f"(now {training.optimizer.learning_rate:g})"]
        patience = named_option(training.callbacks, "early_stopping", "patience")
        if patience is None:
            causes.append(f"too few epochs: raise training.epochs (now {training.epochs})")
        else:
            causes.append(f"too few epochs: raise training.epochs (now {training.epochs}), and early stopping's "
                          f"patience (now {patience}) if it stopped before the model learned")
        return causes

    def collapse_report(self, found, causes: list[str] = ()) -> Evaluation:
        """A `models.tasks.collapse.Diagnosis` (or None) as the summary's verdict and the `collapse` tag.

        `causes` (those the caller knows from the data) come before `collapse_causes()`.
        """
        from models.tasks.collapse import TAG

        if found is None:
            return Evaluation()
        return Evaluation(verdicts=[found.verdict([*causes, *self.collapse_causes()])], tags={TAG: found.reason})


    def calibrate(self, model, datasets, splits) -> None:
        """Learn what evaluation and the export need from the trained model, before evaluation: an anomaly
        threshold from the validation split. `splits` are the (train, validation, test) examples, in the order of
        `datasets`' splits. Nothing by default."""

    def data_figures(self, datasets, examples) -> dict:
        """Figures about the data, logged before training (none by default)."""
        return {}

    def logged_model(self, model, sample):
        """(the Keras model MLflow logs, a sample input batch for its signature): the trained model itself by
        default; a GAN logs its generator."""
        return model, sample

    def epoch_report(self, model, epoch: int, datasets, splits) -> Evaluation:
        """After every epoch: metrics added to the epoch's logs (so callbacks and MLflow see them, e.g. a
        generator's `val_fid`) and figures logged by artifact name (its samples). Nothing by default."""
        return Evaluation()

    def backbone_input_shape(self, input_shape):
        """The input shape the backbone is built for (text tasks: the token ids')."""
        return input_shape

    # Export -----------------------------------------------------------------------------------

    def serving_requests(self, examples, indices) -> list[dict]:
        """One `serving_default` request per example: its encoded image bytes (parity checks, warmup records)."""
        import numpy as np

        from data.images import encoded_examples

        return [{self.input_name: np.array([b], dtype=object)} for b in encoded_examples(examples, indices)]

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict` arguments that send one `serving_default` request: here, its image as a file.

        Example:
            >>> Task.predict_arguments(Task.__new__(Task), {"inputs": [b"png"]}, Path("/tmp"))  # doctest: +SKIP
            ['/tmp/input.image']
        """
        from pathlib import Path

        path = Path(folder) / "input.image"
        path.write_bytes(bytes(request[self.input_name][0]))
        return [str(path)]

    def parity_ok(self, parity: dict[str, float], tolerance: float) -> bool:
        """Whether the parity figures say the export answers like the Keras model."""
        return parity["export_parity_max_abs_diff"] <= tolerance


def metric_names(task_class, metric: str | None = None) -> tuple[str, str]:
    """The per-epoch and held-out names of a task's metric: ('val_x', 'test_x').

    Example:
        >>> metric_names(Task), metric_names(Task, "mae")
        (('val_loss', 'test_loss'), ('val_mae', 'test_mae'))
    """
    name = metric or task_class.metric
    return f"val_{name}", f"test_{name}"


def named_option(items, name: str, option: str):
    """`option` of the first `{name: options}` item in `items` (stages, callbacks), or None when none is named.

    Example:
        >>> named_option(spec.stages, "tokenize", "sequence_length")   # doctest: +SKIP
        48
    """
    from pipelines.spec import keyed

    for item in items:
        found, options = keyed(item)
        if found == name:
            return getattr(options, option, None)
    return None
