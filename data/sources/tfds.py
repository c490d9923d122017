"""TensorFlow Datasets image classification sets, read from a local data_dir (downloads only when asked).

Example (YAML):
    data:
      source: {type: tfds, name: mnist, split: train, data_dir: ~/tensorflow_datasets}
"""

from __future__ import annotations

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import sources


class TfdsOptions(Options):
    name: str = Field(description="TFDS name, optionally with config and version: mnist, cifar10, mnist:3.0.1.")
    split: str = Field(default="train", description="TFDS split to read, slicing allowed: train, test, train[:10%].")
    data_dir: str | None = Field(default=None, description="Folder with prepared TFDS data; default the TFDS default (~/tensorflow_datasets).")
    download: bool = Field(default=False, description="Download and prepare the data set when it is not in data_dir yet.")
    image_key: str = Field(default="image", description="Feature holding the images.")
    label_key: str = Field(default="label", description="ClassLabel feature holding the classes.")


@sources.register("tfds", TfdsOptions)
def load_tfds(options: TfdsOptions, *, on_bad_record: str = "error"):
    """A TensorFlow Datasets image set read into memory; never downloads unless `download: true`.

    Example:
        >>> examples = load_tfds(TfdsOptions(name="mnist", data_dir="~/tensorflow_datasets"))  # doctest: +SKIP
        >>> examples.input_shape, examples.num_classes                                        # doctest: +SKIP
        ((28, 28, 1), 10)
    """
    import os

    import numpy as np
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from data.errors import BadRecords
    from data.examples import Examples

    BadRecords(on_bad_record)  # validates the mode; TFDS records are checked when the set is prepared
    name = options.name
    data_dir = os.path.expanduser(options.data_dir) if options.data_dir else None
    if ":" in name.split("/")[0] and not options.download:
        raise ValueError(f"tfds: {name!r} is a community data set looked up online; set `download: true` to fetch it")
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError as error:
        raise ValueError(f"tfds: unknown data set {name!r}: {str(error).splitlines()[0]}") from None
    if not builder.is_prepared():
        if not options.download:
            raise ValueError(
                f"tfds: data set {name!r} is not in {builder.data_dir_root}; set `download: true` in the source "
                f"to download and prepare it, or run `tfds build {name} --data_dir {builder.data_dir_root}`"
            )
        try:
            builder.download_and_prepare()
        except ModuleNotFoundError as error:  # tfds 4.9.10 needs importlib_resources yet does not install it
            raise RuntimeError(f"tfds: cannot prepare {name!r}: {error}; pip install {error.name}") from error

    features = builder.info.features
    for key in (options.image_key, options.label_key):
        if key not in features.keys():
            raise ValueError(f"tfds: {name!r} has no feature {key!r}; it has: {', '.join(features.keys())}")
    try:
        dataset = builder.as_dataset(split=options.split, shuffle_files=False)
    except (ValueError, KeyError) as error:
        raise ValueError(f"tfds: {name!r} split {options.split!r}: {error}") from None
    dataset = dataset.map(lambda ex: (ex[options.image_key], ex[options.label_key])).batch(1024)
    images, labels = [], []
    try:
        for image_batch, label_batch in tfds.as_numpy(dataset):
            images.append(image_batch)
            labels.append(label_batch)
    except tf.errors.InvalidArgumentError:
        raise ValueError(
            f"tfds: {name!r} has images of different sizes; use the image_folder source for such sets"
        ) from None
    if not images:
        raise ValueError(f"tfds: {name!r} split {options.split!r} is empty")
    images, labels = np.concatenate(images), np.concatenate(labels)

    if images.ndim in (3, 4):
        if images.dtype != np.uint8:
            raise ValueError(f"tfds: {name!r} feature {options.image_key!r} is {images.dtype}, expected uint8 images")
        images = images[..., None] if images.ndim == 3 else images
    elif images.ndim == 2:
        images = images.astype("float32")
    else:
        raise ValueError(f"tfds: {name!r} feature {options.image_key!r} has shape {images.shape[1:]}, expected images")
    class_names = getattr(features[options.label_key], "names", None)
    if class_names is None:
        class_names = [str(i) for i in range(int(labels.max()) + 1)]
    return Examples(images, labels, list(class_names), origin=f"tfds:{name}/{options.split}")
