"""The `models.config` TF Serving reads with `--model_config_file`.

One `config` entry per model folder under the export base path that holds at
least one integer version. TF Serving re-reads the file every
`--model_config_file_poll_wait_seconds`, so it is replaced atomically.

A model with version labels (`kpipe promote` sets them) is served at exactly its
labelled versions, and clients can ask for a label instead of a number
(`/v1/models/digits/labels/champion`). Labels already in the file are kept when it
is rewritten, so a new export does not unpin a promoted version.

Example:
    >>> write_models_config("serving/models")  # doctest: +SKIP
    PosixPath('serving/models/models.config')
"""

from __future__ import annotations

import os
import posixpath
import uuid
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from serving.publish import list_versions

CONFIG_FILE = "models.config"


def read_version_labels(path: str | os.PathLike) -> dict[str, dict[str, int]]:
    """The version labels of each model in a models.config (empty when the file does not exist).

    Example:
        >>> read_version_labels("serving/models/models.config")  # doctest: +SKIP
        {'digits': {'champion': 3}}
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        config = text_format.Parse(path.read_text(), model_server_config_pb2.ModelServerConfig())
    except text_format.ParseError as error:
        raise ValueError(f"{path} is not a TF Serving model config ({error}); fix or remove it") from None
    return {entry.name: dict(entry.version_labels) for entry in config.model_config_list.config
            if entry.version_labels}


def write_models_config(
    base_path: str | os.PathLike, container_base: str = "/models",
    labels: dict[str, dict[str, int]] | None = None,
) -> Path:
    """Write `<base_path>/models.config` listing every published model under `base_path`.

    Each model's `base_path` in the file is `<container_base>/<name>`, where the
    serving container mounts `base_path` (see `serving/docker-compose.yml`).
    `labels` sets version labels per model (`{"digits": {"champion": 3}}`) over the
    ones the file already holds; a label whose version folder is gone is dropped.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> base = Path(tempfile.mkdtemp())
        >>> (base / "digits" / "1").mkdir(parents=True)
        >>> print(write_models_config(base).read_text())
        model_config_list {
          config {
            name: "digits"
            base_path: "/models/digits"
            model_platform: "tensorflow"
          }
        }
        <BLANKLINE>
        >>> (base / "digits" / "2").mkdir()
        >>> print(write_models_config(base, labels={"digits": {"champion": 1}}).read_text())
        model_config_list {
          config {
            name: "digits"
            base_path: "/models/digits"
            model_platform: "tensorflow"
            model_version_policy {
              specific {
                versions: 1
              }
            }
            version_labels {
              key: "champion"
              value: 1
            }
          }
        }
        <BLANKLINE>
    """
    base = Path(base_path)
    path = base / CONFIG_FILE
    pinned = read_version_labels(path)
    for name, model_labels in (labels or {}).items():
        missing = {label: v for label, v in model_labels.items() if v not in list_versions(base / name)}
        if missing:
            raise ValueError(f"cannot label versions that {base / name} does not hold: {missing}")
        pinned.setdefault(name, {}).update(model_labels)
    config = model_server_config_pb2.ModelServerConfig()
    config.model_config_list.SetInParent()  # an empty list is still a valid file
    for model_dir in sorted(base.iterdir()):
        versions = list_versions(model_dir)
        if model_dir.name.startswith(".") or not versions:
            continue
        entry = config.model_config_list.config.add(
            name=model_dir.name,
            base_path=posixpath.join(container_base, model_dir.name),
            model_platform="tensorflow",
        )
        kept = {label: v for label, v in sorted(pinned.get(model_dir.name, {}).items()) if v in versions}
        if kept:
            entry.model_version_policy.specific.versions.extend(sorted(set(kept.values())))
            for label, version in kept.items():
                entry.version_labels[label] = version

    tmp = base / f".{CONFIG_FILE}.tmp-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        tmp.write_text(text_format.MessageToString(config))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
