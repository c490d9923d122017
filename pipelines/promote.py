"""`kpipe promote`: register a run's model, give it an alias, and point TF Serving at its export.

The run's `servable` model (the export itself as an MLflow pyfunc model, answering raw PNG
bytes, strings or table columns like TF Serving; `serving/pyfunc.py`) becomes a version of the
registered model named after its export (`export.model_name`), so `models:/<name>@champion`
serves what TF Serving serves; a run without one (logged before it existed) registers its Keras
`model`. The version carries the export's folder and number as tags
(`kpipe.export_path`, `kpipe.export_version`). `<base_path>/models.config` then serves that
export version and labels it with the alias, so clients can ask for `champion`. Every
promotion is appended to the registered model's tag `kpipe.alias_history.<alias>`, and
`rollback` moves the alias back one step. Export version folders are never touched.

Example:
    >>> from mlflow import MlflowClient
    >>> client = MlflowClient("sqlite:///mlruns/mlflow.db")            # doctest: +SKIP
    >>> promoted = promote(client, "4b9e...", "champion")               # doctest: +SKIP
    >>> promoted.model_name, promoted.registry_version, promoted.export_version   # doctest: +SKIP
    ('digits', '3', 5)
    >>> rollback(client, "champion").registry_version                  # doctest: +SKIP
    '2'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines import tags as tag


class PromotionError(ValueError):
    """A run that cannot be promoted, or no earlier version to roll back to."""


@dataclass
class Promotion:
    """Where an alias points now: the registry version, its run and export, and the models.config written."""

    model_name: str
    alias: str
    registry_version: str
    run_id: str
    export_version: int
    export_path: Path
    config_path: Path


def _run(client, run_id: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        raise PromotionError(f"no run {run_id!r} in {client.tracking_uri}") from None


def _export_of(run, base_path: str | Path | None) -> Path:
    run_id, tags = run.info.run_id, run.data.tags
    if run.info.status != "FINISHED":
        raise PromotionError(f"run {run_id} is {run.info.status}; only a FINISHED run can be promoted")
    if tags.get(tag.EXPORT_GATE) == "failed":
        raise PromotionError(f"run {run_id} failed its export gate ({tags.get(tag.EXPORT_GATE_REASON, '?')}); "
                             "it has no export to promote")
    if tag.EXPORT_PATH not in tags:
        raise PromotionError(f"run {run_id} has no export to promote (export.enabled was false?)")
    path = Path(tags[tag.EXPORT_PATH])
    if base_path is not None:
        path = Path(base_path) / path.parent.name / path.name
    if not path.is_dir():
        raise PromotionError(f"run {run_id}'s export {path} is not there; run kpipe promote in the folder the run "
                             "ran in, or give --base-path")
    return path.resolve()


SERVABLE = "servable"
"""The logged model promote registers when the run has it: the export itself, raw inputs in (`serving.pyfunc`)."""


def _logged_model(client, run):
    """The run's `servable` model (the export as a pyfunc model), else its Keras `model` (older runs)."""
    models = client.search_logged_models([run.info.experiment_id],
                                         filter_string=f"source_run_id = '{run.info.run_id}'")
    if not models:
        raise PromotionError(f"run {run.info.run_id} logged no model to register (tracking.log_model was false)")
    return next((m for m in models if m.name == SERVABLE), models[0])


def _registry_version(client, name: str, run, export_path: Path) -> str:
    """The registry version of this run's model under `name`, registered now if it is not yet."""
    from mlflow.exceptions import MlflowException

    existing = client.search_model_versions(f"name = '{name}' and run_id = '{run.info.run_id}'")
    if existing:
        return str(min(int(v.version) for v in existing))
    model = _logged_model(client, run)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=f"kpipe exports of {name}; aliases follow kpipe promote")
    tags = {tag.EXPORT_PATH: str(export_path), tag.EXPORT_VERSION: export_path.name}
    version = client.create_model_version(name, source=model.model_uri, run_id=run.info.run_id, tags=tags,
                                          model_id=model.model_id)
    return str(version.version)


def _history(client, name: str, alias: str) -> list[str]:
    text = client.get_registered_model(name).tags.get(tag.alias_history(alias), "")
    return [version for version in text.split(",") if version]


def _point(client, name: str, alias: str, version: str, history: list[str], run_id: str, export_path: Path,
           container_base: str) -> Promotion:
    from serving.config import write_models_config

    client.set_registered_model_alias(name, alias, version)
    client.set_registered_model_tag(name, tag.alias_history(alias), ",".join(history))
    config = write_models_config(export_path.parent.parent, container_base,
                                 labels={name: {alias: int(export_path.name)}})
    return Promotion(name, alias, version, run_id, int(export_path.name), export_path, config)


def promote(client, run_id: str, alias: str = "champion", base_path: str | Path | None = None,
            container_base: str = "/models") -> Promotion:
    """Register run `run_id`'s model, point `alias` at it, and label its export in models.config.

    Refuses (PromotionError) a run that is not FINISHED, failed its export gate, has no export
    or logged no model. Promoting the same run again reuses its registry version.

    Example:
        >>> promote(client, "4b9e...", "champion").export_version   # doctest: +SKIP
        5
    """
    import mlflow

    mlflow.set_tracking_uri(client.tracking_uri)  # the registry resolves logged models through it
    run = _run(client, run_id)
    export_path = _export_of(run, base_path)
    name = export_path.parent.name
    version = _registry_version(client, name, run, export_path)
    history = _history(client, name, alias)
    if history[-1:] != [version]:
        history.append(version)
    return _point(client, name, alias, version, history, run_id, export_path, container_base)


def promoted_model(client, alias: str = "champion") -> str:
    """The one registered model with a promotion history for `alias`; PromotionError if none or several.

    Example:
        >>> promoted_model(client, "champion")   # doctest: +SKIP
        'digits'
    """
    history = tag.alias_history(alias)
    names = sorted(m.name for m in client.search_registered_models(max_results=1000) if m.tags.get(history))
    if len(names) != 1:
        found = f"several ({', '.join(names)}); name one with --model" if names else "none"
        raise PromotionError(f"models promoted as {alias!r}: {found}")
    return names[0]


def rollback(client, alias: str = "champion", model_name: str | None = None, base_path: str | Path | None = None,
             container_base: str = "/models") -> Promotion:
    """Move `alias` back to the version it pointed at before the last promotion; relabel models.config.

    Example:
        >>> rollback(client, "champion", "digits").registry_version   # doctest: +SKIP
        '2'
    """
    from mlflow.exceptions import MlflowException

    name = model_name or promoted_model(client, alias)
    try:
        history = _history(client, name, alias)
    except MlflowException:
        raise PromotionError(f"no registered model {name!r} in {client.tracking_uri}") from None
    if len(history) < 2:
        raise PromotionError(f"{name!r} has no earlier {alias!r} version to roll back to "
                             f"(promotions: {', '.join(history) or 'none'})")
    history.pop()
    target = client.get_model_version(name, history[-1])
    export_path = Path(target.tags[tag.EXPORT_PATH])
    if base_path is not None:
        export_path = Path(base_path) / name / export_path.name
    if not export_path.is_dir():
        raise PromotionError(f"the export {export_path} of {name!r} version {target.version} is not there; "
                             "give --base-path")
    return _point(client, name, alias, str(target.version), history, target.run_id, export_path, container_base)
