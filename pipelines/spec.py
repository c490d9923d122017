"""The typed pipeline spec: the contract between a YAML file and the runner.

The sections are plain pydantic models. Fields that name a component
(`data.source`, `stages`, `model.backbone`, `training.optimizer`, ...) are
unions built from the registries, so every registered component is validated
with its own options and shows up in `kpipe schema`.

Example:
    >>> from pipelines.spec_loading import load_spec
    >>> spec = load_spec("pipelines/specs/digits.yaml", overrides=["training.epochs=2"])
    >>> spec.training.epochs
    2
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, Discriminator, Field, Tag, create_model, model_validator
from pydantic_core import PydanticCustomError

from pipelines import registry
from pipelines.options import Fraction, Name, NonNegativeInt, Options, PositiveFloat, PositiveInt, auto_or_count
from pipelines.spec_errors import TaggedUnion
from pipelines.spec_unions import backbone_union, camel, field_union, keyed, keyed_union  # noqa: F401 (keyed)
from pipelines.gates import parse_gate
from pipelines.spec_distribution import ClusterSpec, ModelParallelSpec
from pipelines.sweep_spec import SweepSpec

SPEC_VERSION = 1


class BacktestSpec(Options):
    """Rolling-origin backtest (time-series tasks): the run repeated with the series cut short, one test span at a time."""

    folds: int = Field(ge=2, le=20, description="Runs, each a child run of one parent: fold k drops the last "
                                                "(folds - 1 - k) test spans of every series; the last fold sees all.")
    fold: Optional[NonNegativeInt] = Field(
        None, description="Set by `kpipe run` on each fold's run (the logged spec says which); leave it unset to "
                          "run every fold, or set it to rerun one.")

    @model_validator(mode="after")
    def _fold_in_range(self):
        if self.fold is not None and self.fold >= self.folds:
            raise ValueError(f"fold must be below folds ({self.folds}), got {self.fold}")
        return self


class SplitSpec(Options):
    """Deterministic, seeded train/validation/test split."""

    validation: Fraction = Field(0.1, description="Share of examples held out for validation.")
    test: Fraction = Field(0.1, description="Share of examples held out for the final test.")
    stratify: bool = Field(True, description="Keep class proportions equal across splits.")
    train_fraction: float = Field(
        1.0, gt=0.0, le=1.0, description="Share of the training split kept (seeded, stratified), the validation and test "
                                 "splits unchanged: to see how a model does with fewer labels.")
    validation_steps: Optional[PositiveInt] = Field(
        None, description="Time-series tasks: the validation span is the last N steps before the test span of "
                          "each series (instead of the `validation` share)."
    )
    test_steps: Optional[PositiveInt] = Field(
        None, description="Time-series tasks: the test span is the last N steps of each series (instead of the "
                          "`test` share)."
    )
    backtest: Optional[BacktestSpec] = Field(
        None, description="Time-series tasks: a rolling-origin backtest over `folds` test spans (each logged, "
                          "with their mean and spread on the parent run); only the last fold exports."
    )

    @model_validator(mode="after")
    def _leaves_training_data(self):
        if self.validation + self.test >= 1:
            raise ValueError("validation + test must leave examples for training (sum < 1)")
        return self


class DataSpec(Options):
    """Where examples come from and how they are batched."""

    source: "SourceSpec" = Field(description="The data source, chosen by `type`.")
    split: SplitSpec = Field(default_factory=SplitSpec)
    batch_size: PositiveInt = Field(32, le=65536, description="Examples per training batch.")
    cache: bool = Field(True, description="Cache preprocessed examples in memory.")
    shuffle_buffer: PositiveInt = Field(2048, description="Shuffle buffer size (examples).")
    on_bad_record: Literal["error", "skip"] = Field(
        "error", description="Stop on a corrupt record (naming it) or skip and count it."
    )


class TrainableSpec(Options):
    """Which weights train, and when a frozen backbone is unfrozen."""

    backbone: bool = Field(True, description="Train the backbone's weights from the first epoch.")
    unfreeze_after_epoch: Optional[PositiveInt] = Field(
        None, description="Unfreeze a frozen backbone after this many epochs, then fine-tune."
    )
    fine_tune_learning_rate_factor: PositiveFloat = Field(
        0.1, le=1, description="Learning rate multiplier for the fine-tuning phase."
    )

    @model_validator(mode="after")
    def _unfreeze_needs_frozen(self):
        if self.unfreeze_after_epoch is not None and self.backbone:
            raise ValueError("unfreeze_after_epoch needs backbone: false")
        return self


class ModelSpec(Options):
    """Backbone, head and what trains."""

    backbone: "BackboneSpec" = Field(description="The backbone: `{source: builtin, name: cnn, config: ...}`, a "
                                                 "library class (`source: keras_hub`), or an earlier run's "
                                                 "(`{from_run: <run id>}`, `{from_model: models:/<name>@<alias>}`).")
    head: Options = Field(
        default_factory=Options, description="The task's head; its keys depend on `task` (see `kpipe components`)."
    )
    trainable: TrainableSpec = Field(default_factory=TrainableSpec)

    @model_validator(mode="after")
    def _frozen_stays_frozen(self):
        if getattr(self.backbone, "freeze", False) is True and self.trainable.unfreeze_after_epoch is not None:
            raise ValueError("trainable.unfreeze_after_epoch has nothing to unfreeze: backbone.freeze: true keeps "
                             "the whole backbone frozen (freeze some layers by name or count instead)")
        return self


class TrainingSpec(Options):
    """Optimization, callbacks and the hardware the model trains on."""

    epochs: auto_or_count(100000) = Field(
        "auto", description="Passes over the training split, or auto: the task's choice from the data (object "
                            "detection and segmentation scale it with the training images and add early stopping "
                            "on their metric; sequence classification aims at about 3000 steps; other tasks: "
                            "their default, 10 for most). The run prints the choice."
    )
    steps_per_epoch: Optional[PositiveInt] = Field(None, description="Cap on steps per epoch.")
    optimizer: "OptimizerSpec" = Field({"name": "adam"}, validate_default=True)
    schedule: "ScheduleSpec" = Field({"name": "constant"}, validate_default=True)
    loss: str = Field("auto", description="'auto' lets the task choose, else a Keras loss name.")
    metrics: Optional[list[str]] = Field(
        None, description="Keras metric names tracked every epoch; default: the task's own metrics."
    )
    callbacks: list["CallbackSpec"] = Field(default_factory=list)
    class_weight: Union[Literal["auto", "balanced", "none"], dict[NonNegativeInt, PositiveFloat], None] = Field(
        None, description="Per-class loss weights: auto (balanced when the largest training class has more than "
                          "3x the examples of the smallest, else none), balanced, none, or {class id: weight}; "
                          "unset: the task's default (auto for text classification, none for the others)."
    )
    backend: Literal["tensorflow", "jax"] = Field(
        "tensorflow", description="The Keras backend that trains the model. `kpipe run` and `kpipe sweep` set "
                                  "KERAS_BACKEND from it before Keras is imported (a sweep's trials inherit it); a "
                                  "process whose Keras already runs another backend refuses the run. The input "
                                  "pipeline stays tf.data and the export a TF SavedModel (JAX models through "
                                  "jax2tf) on both. jax spreads batches over all local devices (DataParallel; "
                                  "over every process's with strategy: multi_worker). "
                                  "Tasks that cannot train on a backend are refused at validation."
    )
    strategy: Literal["auto", "cpu", "gpu", "mirrored", "multi_worker", "tpu"] = Field(
        "auto", description="The devices and processes that train. tensorflow: a tf.distribute strategy "
                            "(multi_worker reads its cluster from TF_CONFIG). jax: auto, cpu or gpu (the local "
                            "devices), or multi_worker: several processes (`training.cluster`), DataParallel over "
                            "every process's devices, each process reading its shard of every batch."
    )
    cluster: Optional[ClusterSpec] = Field(
        None, description="jax with strategy multi_worker: the coordinator, process count and process id; unset "
                          "fields come from KERAS_DISTRIBUTION_* or TF_CONFIG."
    )
    model_parallel: Optional[ModelParallelSpec] = Field(
        None, description="jax only: shard variables over a device mesh (keras.distribution.ModelParallel) "
                          "instead of replicating them on every device."
    )
    mixed_precision: Literal["auto", "float32", "mixed_float16", "mixed_bfloat16"] = "auto"
    jit_compile: Union[Literal["auto"], bool] = "auto"
    work_dir: str = Field(".kpipe", description="Backups, checkpoints and resume state, per spec name.")
    verbose: Literal["auto", 0, 1, 2] = Field(
        "auto", description="Training output: 0 none, 1 a live progress bar, 2 one line per epoch; auto: 1 on a "
                            "terminal, 2 when stdout is not one (a log file, CI). `kpipe run --quiet` sets 0, "
                            "`--verbose` 1."
    )

    @model_validator(mode="after")
    def _strategy_fits_backend(self):
        if self.backend == "jax" and self.strategy in ("mirrored", "tpu"):
            raise ValueError(f"strategy: {self.strategy} is a tf.distribute strategy; with backend: jax use auto "
                             f"(data parallel over all local devices), cpu, gpu or multi_worker (several "
                             f"processes)")
        if self.model_parallel is not None and self.backend != "jax":
            raise ValueError(f"model_parallel: needs backend: jax (keras.distribution.ModelParallel); on "
                             f"{self.backend} remove training.model_parallel")
        if self.model_parallel is not None and self.strategy == "multi_worker":
            raise ValueError("model_parallel: shards over one process's devices; with strategy: multi_worker "
                             "use data parallelism (remove training.model_parallel) or one process")
        if self.cluster is not None and not (self.backend == "jax" and self.strategy == "multi_worker"):
            raise ValueError("cluster: only with backend: jax and strategy: multi_worker (TensorFlow's "
                             "multi_worker reads its cluster from TF_CONFIG)")
        return self


class TrackingSpec(Options):
    """MLflow tracking."""

    enabled: bool = True
    experiment: Optional[str] = Field(None, description="Experiment name; defaults to the spec name.")
    tracking_uri: Optional[str] = Field(
        None, description="MLflow URI; else MLFLOW_TRACKING_URI; else sqlite:///mlruns/mlflow.db."
    )
    run_name: Optional[str] = None
    log_model: bool = Field(True, description="Log the Keras model with mlflow.keras.")
    tags: dict[str, str] = Field(default_factory=dict)


def _gate(text: str) -> str:
    try:
        parse_gate(text)
    except ValueError as error:
        raise PydanticCustomError("gate", str(error)) from None
    return text


Gate = Annotated[str, AfterValidator(_gate)]


class ExportSpec(Options):
    """Versioned SavedModel export in TF Serving's layout."""

    enabled: bool = True
    format: Literal["tf_serving"] = "tf_serving"
    base_path: str = Field("serving/models", description="Versions go to <base_path>/<model_name>/<n>/.")
    model_name: Optional[Name] = Field(None, description="Defaults to the spec name.")
    warmup: bool = Field(True, description="Write assets.extra/tf_serving_warmup_requests.")
    warmup_samples: PositiveInt = Field(4, le=100)
    parity_samples: PositiveInt = Field(32, le=10000, description="Test rows compared export vs Keras.")
    parity_tolerance: PositiveFloat = Field(1e-4, description="Max |probability difference| allowed.")
    gates: list[Gate] = Field(
        default_factory=list, description="Metric thresholds that must hold, e.g. 'test_accuracy >= 0.95'."
    )


class Spec(Options):
    """A whole pipeline: data, stages, model, training, tracking and export."""

    version: Literal[1] = Field(1, description="Spec format version.")
    name: Name
    task: "TaskName"
    description: str = ""
    seed: NonNegativeInt = 42
    data: DataSpec
    stages: list["StageSpec"] = Field(default_factory=list, description="Run in order.")
    model: ModelSpec
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    tracking: TrackingSpec = Field(default_factory=TrackingSpec)
    export: ExportSpec = Field(default_factory=ExportSpec)
    sweep: Optional[SweepSpec] = Field(None, description="Search space for `kpipe sweep --tuner`.")

    @model_validator(mode="after")
    def _unfreeze_within_epochs(self):
        epoch = self.model.trainable.unfreeze_after_epoch
        if epoch is not None and self.training.epochs != "auto" and epoch >= self.training.epochs:
            raise ValueError(
                f"model.trainable.unfreeze_after_epoch ({epoch}) must be below training.epochs "
                f"({self.training.epochs})"
            )
        return self

    @property
    def experiment(self) -> str:
        return self.tracking.experiment or self.name

    @property
    def model_name(self) -> str:
        return self.export.model_name or self.name


def _task_rules(task) -> Any:
    """A validator running `task.check_spec(spec)`: the rules a task sets on the rest of the spec."""

    def check(spec):
        task.check_spec(spec)
        return spec

    return check


def _task_specs() -> dict[str, type[Spec]]:
    """One Spec model per registered task, whose `model.head` is that task's head options.

    A spec whose `task` is missing or unknown is checked by the plain `Spec`, so the
    error names `task` and the registered names.
    """
    members: dict[str, type[Spec]] = {}
    for c in registry.tasks:
        model = create_model(
            f"{camel(c.name)}ModelSpec", __base__=ModelSpec, __doc__=ModelSpec.__doc__,
            head=(c.options, Field(default_factory=c.options, description=f"The {c.name} head.")),
        )
        members[c.name] = create_model(
            f"{camel(c.name)}Spec", __base__=Spec, __doc__=c.summary,
            __validators__={"_task_rules": model_validator(mode="after")(_task_rules(c.build))},
            task=(Literal[c.name], Field(description="What the pipeline learns.")), model=(model, ...),
        )
    head = create_model("AnyHeadModelSpec", __base__=ModelSpec, head=(dict[str, Any], Field(default_factory=dict)))
    members[""] = create_model("Spec", __base__=Spec, __doc__=Spec.__doc__, model=(head, ...))
    return members


@functools.cache
def spec_model() -> type[Spec]:
    """The Spec model with every registered component resolved.

    Components register when their modules are imported (`pipelines.components`
    imports them all); build the model after that.

    Example:
        >>> import pipelines.components
        >>> spec_model().model_json_schema()["title"]
        'Spec'
    """
    namespace: dict[str, Any] = {}
    namespace["AugmentationSpec"] = keyed_union(registry.augmentations)
    for reg in registry.ALL.values():
        for component in reg:
            component.options.model_rebuild(force=True, _types_namespace=namespace)
    namespace["SourceSpec"] = field_union(registry.sources, "type")
    namespace["StageSpec"] = keyed_union(registry.stages)
    namespace["BackboneSpec"] = backbone_union()
    namespace["OptimizerSpec"] = field_union(registry.optimizers, "name")
    namespace["ScheduleSpec"] = field_union(registry.schedules, "name")
    namespace["CallbackSpec"] = keyed_union(registry.callbacks)
    namespace["TaskName"] = Literal[tuple(registry.tasks.names())]
    for model in (DataSpec, ModelSpec, TrainingSpec, Spec):
        model.model_rebuild(force=True, _types_namespace=namespace)
    return Spec


@functools.cache
def spec_union() -> Any:
    """The spec as pydantic validates it: one member per task, picked by `task`.

    Example:
        >>> import pipelines.components
        >>> from pydantic import TypeAdapter
        >>> spec = TypeAdapter(spec_union()).validate_python(yaml.safe_load(open("pipelines/specs/digits.yaml")))  # doctest: +SKIP
        >>> type(spec.model.head).__name__                                                                        # doctest: +SKIP
        'PooledHead'
    """
    spec_model()
    members = _task_specs()

    def tag_of(value: Any) -> str:
        task = value.get("task") if isinstance(value, dict) else getattr(value, "task", None)
        return task if isinstance(task, str) and task in members else ""

    return Annotated[
        Union[tuple(Annotated[model, Tag(tag)] for tag, model in members.items())],
        Discriminator(tag_of),
        TaggedUnion("task", members),
    ]
