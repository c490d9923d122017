"""Imports every built-in component module so that the registries are filled.

Component modules import nothing heavy at module level, so this stays fast.

Example:
    >>> import pipelines.components
    >>> from pipelines import registry
    >>> "sklearn" in registry.sources.names()
    True
"""

import importlib

MODULES = [
    "data.sources.sklearn",
    "data.sources.image_folder",
    "data.sources.csv",
    "data.sources.parquet",
    "data.sources.numpy",
    "data.sources.tfds",
    "data.stages.resize",
    "data.stages.rescale",
    "data.stages.normalize",
    "data.stages.augmentations",
    "data.stages.augment",
    "models.backbones.cnn",
    "models.backbones.mlp",
    "models.backbones.keras_hub",
    "models.tasks.image_classification",
    "pipelines.optimizers",
    "pipelines.schedules",
    "pipelines.callbacks.early_stopping",
    "pipelines.callbacks.model_checkpoint",
    "pipelines.callbacks.backup_and_restore",
    "pipelines.callbacks.terminate_on_nan",
    "pipelines.callbacks.csv_logger",
    "pipelines.callbacks.reduce_lr_on_plateau",
]

for _module in MODULES:
    importlib.import_module(_module)
