"""The `models.config` TF Serving reads with `--model_config_file`.

One `config` entry per model folder under the export base path that holds at
least one integer version. TF Serving re-reads the file every
`--model_config_file_poll_wait_seconds`, so it is replaced atomically.

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


def write_models_config(
    base_path: str | os.PathLike, container_base: str = "/models"
) -> Path:
    """Write `<base_path>/models.config` listing every published model under `base_path`.

    Each model's `base_path` in the file is `<container_base>/<name>`, where the
    serving container mounts `base_path` (see `serving/docker-compose.yml`).

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
    """
    base = Path(base_path)
    config = model_server_config_pb2.ModelServerConfig()
    config.model_config_list.SetInParent()  # an empty list is still a valid file
    for model_dir in sorted(base.iterdir()):
        if model_dir.name.startswith(".") or not list_versions(model_dir):
            continue
        config.model_config_list.config.add(
            name=model_dir.name,
            base_path=posixpath.join(container_base, model_dir.name),
            model_platform="tensorflow",
        )

    path = base / CONFIG_FILE
    tmp = base / f".{CONFIG_FILE}.tmp-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        tmp.write_text(text_format.MessageToString(config))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
