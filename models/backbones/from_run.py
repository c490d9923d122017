"""Backbones taken from earlier work: an earlier run's logged Keras model, or a registered model's.

`from_run: <run id>` takes the Keras model the run logged (`tracking.log_model: true`, the
run's logged model `model`); `from_model: models:/<name>@<alias>` or `models:/<name>/<version>`
takes a registered version: its own model when that is a Keras model, else (what `kpipe promote`
registers: the export as a pyfunc model) the Keras model of the run it came from. Of that model
the sub-model `layer` becomes the new backbone (default `backbone`, the name our tasks give the
backbone they wrap; null: the whole model), weights and all. Its input shape must be the one the
new spec feeds it. `freeze` keeps layers out of training for the whole run, whatever
`model.trainable` says: true (all of them), N (the first N of the sub-model's layers, the input
layer not counted) or a list of layer names; `model.trainable` governs the rest as usual
(`models.backbones.set_trainable`).

`kpipe run` pins the source before the run starts (`pipelines.lineage`): an alias becomes the
version it points at, and the run is tagged with the source run id (`kpipe.source_run_id`) and
model (`kpipe.source_model`).

Example (YAML):
    model:
      backbone: {from_run: 4b9e0c..., freeze: true}
      # or {from_model: "models:/digits@champion", layer: backbone, freeze: 2}
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Optional, Union

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from models.backbones import FROZEN
from pipelines.options import Options
from pipelines.registry import backbones, suggest

MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))$")
LOGGED_MODEL = "model"
"""The name the tracker logs a run's Keras model under (`pipelines.tracking.Tracker.log_model`)."""


def _model_uri(value: str) -> str:
    if not MODEL_URI.match(value):
        raise PydanticCustomError("model_uri", "expected models:/<name>@<alias> or models:/<name>/<version>, got "
                                               "{got}", {"got": repr(value)})
    return value


def _freeze(value: Any) -> Any:
    if (isinstance(value, bool) or (isinstance(value, int) and value > 0)
            or (isinstance(value, list) and all(isinstance(name, str) for name in value))):
        return value
    raise PydanticCustomError("freeze", "expected true, false, a count of leading layers (>= 1) or a list of "
                                        "layer names, got {got}", {"got": repr(value)})


ModelUri = Annotated[str, AfterValidator(_model_uri)]
"""A registered model version: `models:/<name>@<alias>` or `models:/<name>/<version>`."""

Freeze = Annotated[Union[bool, int, list[str]], BeforeValidator(_freeze)]
"""true, false, N (the first N layers) or layer names."""


class FromRunOptions(Options):
    """A backbone taken from an earlier run (`from_run`) or a registered model (`from_model`)."""

    picked_by: ClassVar[tuple[str, ...]] = ("from_run", "from_model")

    from_run: Optional[str] = Field(None, min_length=1, description="The MLflow run id whose logged Keras model "
                                                                    "(tracking.log_model: true) gives the backbone.")
    from_model: Optional[ModelUri] = Field(
        None,
        description="A registered model version, models:/<name>@<alias> or models:/<name>/<version>: its Keras "
                    "model, or (a kpipe promote version) its run's. kpipe run pins an alias to its version.")
    layer: Optional[str] = Field(
        "backbone", description="The sub-model to take, by name; backbone: the backbone our tasks build (else the "
                                "model's only sub-model); null: the whole model.")
    freeze: Freeze = Field(
        False, description="Layers kept out of training for the whole run: true (all), N (the first N layers of "
                           "the taken model, the input layer not counted) or layer names; model.trainable "
                           "governs the others.")
    tracking_uri: Optional[str] = Field(
        None, description="Where the run or model is; default: where this run is tracked (tracking.tracking_uri, "
                          "else MLFLOW_TRACKING_URI, else the embedded store). kpipe run fills it in.")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.from_run is None) == (self.from_model is None):
            raise ValueError("give one of from_run (a run id) or from_model (models:/<name>@<alias>)")
        return self


@dataclass(frozen=True)
class Source:
    """Where a backbone comes from: the run, its Keras model's artifacts, and the pinned registered version."""

    run_id: str
    artifact_uri: str
    tracking_uri: str
    model: str | None = None  # models:/<name>/<version>, for from_model

    def describe(self) -> str:
        return f"model {self.model} (run {self.run_id})" if self.model else f"run {self.run_id}"


def resolve_source(options: FromRunOptions) -> Source:
    """The run and Keras model `options` name, checked to exist; ValueError naming the key otherwise.

    Example:
        >>> resolve_source(FromRunOptions(from_run="4b9e0c")).describe()   # doctest: +SKIP
        'run 4b9e0c'
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri = options.tracking_uri or mlflow.get_tracking_uri()
    client = MlflowClient(uri)
    if options.from_model is None:
        return Source(options.from_run, _keras_model_of(client, options.from_run, "model.backbone.from_run"), uri)
    match = MODEL_URI.match(options.from_model)
    name, alias = match["name"], match["alias"]
    try:
        version = (client.get_model_version_by_alias(name, alias) if alias
                   else client.get_model_version(name, match["version"]))
    except MlflowException as error:
        raise ValueError(f"model.backbone.from_model: {options.from_model} is not in the registry at {uri}: "
                         f"{error.message}") from None
    pinned = f"models:/{name}/{version.version}"
    logged = client.get_logged_model(version.model_id) if version.model_id else None
    if logged is not None and "keras" in _flavors(logged.artifact_location, uri):
        return Source(version.run_id, logged.artifact_location, uri, pinned)
    if not version.run_id:
        raise ValueError(f"model.backbone.from_model: {pinned} is not a Keras model and names no run to take one "
                         f"from")
    return Source(version.run_id, _keras_model_of(client, version.run_id, f"model.backbone.from_model ({pinned})"),
                  uri, pinned)


def _keras_model_of(client, run_id: str, key: str) -> str:
    """The artifact URI of run `run_id`'s logged Keras model; ValueError saying why there is none."""
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise ValueError(f"{key}: no run {run_id!r} in {client.tracking_uri}") from None
    models = client.search_logged_models([run.info.experiment_id], filter_string=f"source_run_id = '{run_id}'")
    found = [m for m in models if m.name == LOGGED_MODEL]
    if not found:
        raise ValueError(f"{key}: run {run_id} logged no Keras model to take a backbone from; rerun it with "
                         f"tracking.log_model: true")
    return found[0].artifact_location


def _flavors(artifact_uri: str, tracking_uri: str) -> set[str]:
    import mlflow
    from mlflow.models import Model

    with tempfile.TemporaryDirectory() as folder:
        path = mlflow.artifacts.download_artifacts(artifact_uri=f"{artifact_uri.rstrip('/')}/MLmodel",
                                                   dst_path=folder, tracking_uri=tracking_uri)
        return set(Model.load(path).flavors)


def load_model(source: Source):
    """The Keras model at `source`, loaded through mlflow.keras."""
    import mlflow
    import mlflow.keras

    with tempfile.TemporaryDirectory() as folder:
        path = mlflow.artifacts.download_artifacts(artifact_uri=source.artifact_uri, dst_path=folder,
                                                   tracking_uri=source.tracking_uri)
        try:
            return mlflow.keras.load_model(path)
        except (TypeError, ValueError) as error:  # e.g. a custom layer whose module this process has not imported
            raise ValueError(f"model.backbone: the Keras model of {source.describe()} does not load here: "
                             f"{error}") from None


def take_layer(model, layer: str | None, source: Source):
    """The sub-model `layer` of `model` (null: `model`); `backbone` falls back to the only sub-model."""
    import keras

    if layer is None:
        return model
    names = [sub.name for sub in model.layers]
    if layer in names:
        taken = model.get_layer(layer)
    else:
        nested = [sub for sub in model.layers if isinstance(sub, keras.Model)]
        if layer != "backbone" or len(nested) != 1:
            raise ValueError(f"model.backbone.layer: {source.describe()}'s model has no layer {layer!r}"
                             f"{suggest(layer, names)}; its layers: {', '.join(names)}")
        taken = nested[0]
    if not isinstance(taken, keras.Model):
        raise ValueError(f"model.backbone.layer: {layer!r} of {source.describe()} is a {type(taken).__name__}, not "
                         f"a model with inputs; name a sub-model (layer: null takes the whole model)")
    return taken


def check_input_shape(backbone, input_shape, source: Source, layer: str | None) -> None:
    """ValueError naming the run, the layer and both shapes when `backbone` cannot take `input_shape`."""
    import keras

    taken = keras.tree.map_structure(lambda tensor: tuple(tensor.shape[1:]), backbone.input)
    fed = {k: tuple(v) for k, v in input_shape.items()} if isinstance(input_shape, dict) else tuple(input_shape)

    def fits(have, want) -> bool:
        return len(have) == len(want) and all(h is None or h == w for h, w in zip(have, want))

    if isinstance(fed, dict):
        ok = isinstance(taken, dict) and set(taken) == set(fed) and all(fits(taken[k], fed[k]) for k in fed)
    else:
        ok = isinstance(taken, tuple) and (not taken or not isinstance(taken[0], tuple)) and fits(taken, fed)
    if not ok:
        raise ValueError(f"model.backbone: layer {layer or '(the whole model)'!r} of {source.describe()} takes "
                         f"inputs of shape {taken}, but this spec feeds it {fed}; give the data the same shape "
                         f"(stages, e.g. resize) or take another layer")


def freeze(backbone, what) -> None:
    """Mark the layers `what` names (true: all, N: the first N, names) as frozen, and freeze them."""
    if what is False:
        return
    if what is True:
        chosen = [backbone]
    else:
        layers = [sub for sub in backbone.layers if type(sub).__name__ != "InputLayer"]
        if isinstance(what, int):
            if what > len(layers):
                raise ValueError(f"model.backbone.freeze: {what} layers, but {backbone.name!r} has {len(layers)}")
            chosen = layers[:what]
        else:
            by_name = {sub.name: sub for sub in layers}
            unknown = [name for name in what if name not in by_name]
            if unknown:
                raise ValueError(f"model.backbone.freeze: {backbone.name!r} has no layer {unknown[0]!r}"
                                 f"{suggest(unknown[0], list(by_name))}; its layers: {', '.join(by_name)}")
            chosen = [by_name[name] for name in what]
    for layer in chosen:
        setattr(layer, FROZEN, True)
        layer.trainable = False


@backbones.register("from_run", FromRunOptions)
def from_run(options: FromRunOptions, *, input_shape, vocabulary_size: int | None = None):
    """A backbone taken, trained weights and all, from an earlier run's or a registered model's Keras model."""
    source = resolve_source(options)
    backbone = take_layer(load_model(source), options.layer, source)
    check_input_shape(backbone, input_shape, source, options.layer)
    freeze(backbone, options.freeze)
    return backbone
