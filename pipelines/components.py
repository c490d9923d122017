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
    "data.sources.text_files",
    "data.sources.text_pairs",
    "data.sources.conll",
    "data.sources.numpy",
    "data.sources.tfds",
    "data.sources.coco",
    "data.sources.voc",
    "data.sources.yolo",
    "data.sources.mask_folder",
    "data.sources.shapes",
    "data.sources.time_series",
    "data.sources.series_rows",
    "data.sources.ucr",
    "data.sources.statsmodels",
    "data.sources.interactions",
    "data.sources.captions",
    "data.stages.resize",
    "data.stages.rescale",
    "data.stages.normalize",
    "data.stages.augmentations",
    "data.stages.augment",
    "data.stages.tokenize",
    "models.backbones.cnn",
    "models.backbones.unet",
    "models.backbones.mlp",
    "models.backbones.ft_transformer",
    "models.backbones.bilstm",
    "models.backbones.gru",
    "models.backbones.cnn1d",
    "models.backbones.transformer_encoder",
    "models.backbones.decoder_transformer",
    "models.backbones.encoder_decoder_transformer",
    "models.backbones.lstm",
    "models.backbones.tcn",
    "models.backbones.patch_transformer",
    "models.backbones.fcn",
    "models.backbones.resnet1d",
    "models.backbones.inception_time",
    "models.backbones.keras_hub",
    "models.backbones.keras_cv",
    "models.backbones.from_run",
    "models.tasks.image_classification",
    "models.tasks.text_classification",
    "models.tasks.token_classification",
    "models.tasks.semantic_segmentation",
    "models.tasks.object_detection",
    "models.tasks.tabular.classification",
    "models.tasks.tabular.regression",
    "models.tasks.forecasting.task",
    "models.tasks.sequence_classification",
    "models.tasks.autoencoder.task",
    "models.tasks.vae.task",
    "models.tasks.gan.task",
    "models.tasks.contrastive.task",
    "models.tasks.diffusion.task",
    "models.tasks.causal_lm.task",
    "models.tasks.seq2seq.task",
    "models.tasks.retrieval.task",
    "models.tasks.ranking.task",
    "models.tasks.dual_encoder.task",
    "models.tasks.captioning.task",
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
