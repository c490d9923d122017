"""The MLflow tag names kpipe sets, in one place.

Every `kpipe.*` tag the app writes or reads is named here; code uses the constant, never
the string. Other tags a run carries (`data.*`, `version.*`, `error`, `error_type`, and
MLflow's own `mlflow.note.content` and `mlflow.source.*`) are described where they are set
(`pipelines/runner.py`, `pipelines/tracking.py`).

| constant             | tag                         | on                 | value                                   |
|----------------------|-----------------------------|--------------------|-----------------------------------------|
| SPEC_NAME            | kpipe.spec_name             | run, sweep parent  | the spec's `name`                       |
| TASK                 | kpipe.task                  | run, sweep parent  | the spec's `task`                       |
| STRATEGY             | kpipe.strategy              | run                | `default`, `mirrored`, `tpu`, ...       |
| REPLICAS             | kpipe.replicas              | run                | replicas in sync                        |
| PRECISION            | kpipe.precision             | run                | the Keras dtype policy                  |
| GIT_DIRTY            | kpipe.git_dirty             | run (spec in git)  | `true` with uncommitted changes         |
| EXPORT_GATE          | kpipe.export_gate           | run                | `passed` or `failed`                    |
| EXPORT_GATE_REASON   | kpipe.export_gate_reason    | run (gate failed)  | the failed gates, `; `-joined           |
| EXPORT_PATH          | kpipe.export_path           | run, servable, version | the export version's folder         |
| EXPORT_VERSION       | kpipe.export_version        | run, servable, version | the export version's number         |
| SWEEP                | kpipe.sweep                 | sweep parent       | the search strategy (grid, random, ...) |
| SWEEP_METRIC         | kpipe.sweep_metric          | sweep parent       | the metric the sweep optimizes          |
| SWEEP_MODE           | kpipe.sweep_mode            | sweep parent       | `max` or `min`                          |
| BEST_RUN_ID          | kpipe.best_run_id           | sweep parent       | the best trial's run id so far          |
| BEST_TRIAL           | kpipe.best_trial            | sweep parent       | the best trial's overrides (canonical)  |
| SWEEP_ID             | kpipe.sweep_id              | sweep trial        | the parent run's id                     |
| SWEEP_ORACLE_PORT    | kpipe.sweep_oracle_port     | sweep parent (chief) | the port its KerasTuner oracle is served on |
| TRIAL                | kpipe.trial                 | sweep trial        | its overrides, canonical (`trial_key`)  |
| COLLAPSE             | kpipe.collapse              | run (collapsed)    | why: `one_class`, `baseline_f1`, ...    |
| SOURCE_RUN_ID        | kpipe.source_run_id         | run (from_run/_model) | the run its backbone was taken from  |
| SOURCE_MODEL         | kpipe.source_model          | run (from_model)   | the version taken, `models:/<name>/<n>` |
| alias_history(alias) | kpipe.alias_history.<alias> | registered model   | promoted versions, `,`-joined, in order |

"servable" is the run's logged model `servable` (the export as a pyfunc model) and "version"
the registry's model version `kpipe promote` creates from it; both name the TF Serving version
folder they match.

Tasks set their own run tags through `Evaluation.tags`, by name under `kpipe.`
(`evaluation_tag`): COLLAPSE is `models.tasks.collapse.TAG` there, set when the held-out
predictions collapsed (one class, or no better than a baseline; see `models/tasks/collapse.py`).

Example:
    >>> alias_history("champion"), evaluation_tag("collapse") == COLLAPSE
    ('kpipe.alias_history.champion', True)
"""

SPEC_NAME = "kpipe.spec_name"
TASK = "kpipe.task"

STRATEGY = "kpipe.strategy"
REPLICAS = "kpipe.replicas"
PRECISION = "kpipe.precision"
GIT_DIRTY = "kpipe.git_dirty"

EXPORT_GATE = "kpipe.export_gate"
EXPORT_GATE_REASON = "kpipe.export_gate_reason"
EXPORT_PATH = "kpipe.export_path"
EXPORT_VERSION = "kpipe.export_version"

SWEEP = "kpipe.sweep"
SWEEP_METRIC = "kpipe.sweep_metric"
SWEEP_MODE = "kpipe.sweep_mode"
BEST_RUN_ID = "kpipe.best_run_id"
BEST_TRIAL = "kpipe.best_trial"
SWEEP_ID = "kpipe.sweep_id"
SWEEP_ORACLE_PORT = "kpipe.sweep_oracle_port"
TRIAL = "kpipe.trial"

COLLAPSE = "kpipe.collapse"

SOURCE_RUN_ID = "kpipe.source_run_id"
SOURCE_MODEL = "kpipe.source_model"

ALIAS_HISTORY = "kpipe.alias_history"


def alias_history(alias: str) -> str:
    """The registered-model tag that lists the versions promoted to `alias`, oldest first."""
    return f"{ALIAS_HISTORY}.{alias}"


def evaluation_tag(name: str) -> str:
    """The run tag of a task's `Evaluation.tags` entry `name`: `kpipe.<name>`."""
    return f"kpipe.{name}"
