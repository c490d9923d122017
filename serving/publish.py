"""Publish a SavedModel as the next integer version of a TF Serving model folder.

TF Serving watches `<base_path>/<model_name>/` and loads the highest folder whose
name is an integer. A version must therefore appear complete or not at all: it is
written into a hidden temporary folder beside the versions (TF Serving ignores
non-integer names), checked, then renamed into place in one atomic step.

Example:
    >>> import tempfile, keras, tensorflow as tf
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> serve = lambda x: {"y": model(x)}
    >>> endpoints = {"serve": (serve, [tf.TensorSpec([None, 2], tf.float32, name="x")])}
    >>> base = tempfile.mkdtemp()
    >>> publish_version(base, "tiny", lambda d: export_archive(d, [model], endpoints)).name
    '1'
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import keras

if TYPE_CHECKING:
    import tensorflow as tf

TMP_PREFIX = ".tmp-"
_MAX_RENAME_ATTEMPTS = 100


def list_versions(model_dir: Path) -> list[int]:
    """Integer-named subfolders of `model_dir`, ascending (empty if it does not exist).

    Example:
        >>> list_versions(Path("serving/models/digits"))  # doctest: +SKIP
        [1, 2, 5]
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(
        int(child.name)
        for child in model_dir.iterdir()
        if child.name.isascii() and child.name.isdigit() and child.is_dir()
    )


def next_version(model_dir: Path) -> int:
    """1 + the highest integer-named subfolder of `model_dir`; 1 if there is none.

    Example:
        >>> next_version(Path("/nonexistent/model"))
        1
    """
    versions = list_versions(model_dir)
    return versions[-1] + 1 if versions else 1


def publish_version(
    base_path: str | os.PathLike,
    model_name: str,
    write: Callable[[Path], None],
    verify: Callable[[Path], None] | None = None,
) -> Path:
    """Write, verify and atomically publish `<base_path>/<model_name>/<next version>`.

    `write(tmp)` fills a temporary folder inside the model folder; `verify(tmp)`
    (if given) raises to reject it. The folder is then renamed to the next free
    integer version; when another writer claims that number first, the next one
    is tried. On any exception the temporary folder is removed and the exception
    re-raised, so no partially written version is ever visible. Temporary folders
    left by processes that died mid-export are removed first.

    Returns the published version folder.

    Example:
        >>> import tempfile
        >>> base = tempfile.mkdtemp()
        >>> write = lambda d: (d / "saved_model.pb").write_bytes(b"...")
        >>> publish_version(base, "digits", write).relative_to(base).as_posix()
        'digits/1'
        >>> publish_version(base, "digits", write).name
        '2'
    """
    if not model_name or model_name in {".", ".."} or Path(model_name).name != model_name:
        raise ValueError(f"model_name must be a single folder name, got {model_name!r}")
    model_dir = Path(base_path) / model_name
    model_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(model_dir)

    tmp = model_dir / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        write(tmp)
        if verify is not None:
            verify(tmp)
        if not any(tmp.iterdir()):
            # An empty folder could also silently replace another empty one on rename.
            raise ValueError(f"write() left {tmp} empty; nothing to publish")
        return _rename_to_next_version(tmp, model_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _rename_to_next_version(tmp: Path, model_dir: Path) -> Path:
    for _ in range(_MAX_RENAME_ATTEMPTS):
        target = model_dir / str(next_version(model_dir))
        try:
            os.rename(tmp, target)
            return target
        except FileExistsError:
            continue  # another writer claimed this number first
        except OSError as err:
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                continue
            raise
    raise RuntimeError(
        f"could not claim a version folder under {model_dir} after "
        f"{_MAX_RENAME_ATTEMPTS} attempts; too many concurrent writers?"
    )


def remove_stale_temporaries(model_dir: Path) -> list[Path]:
    """Remove `.tmp-<pid>-<uuid>` folders in `model_dir` whose process is gone.

    A folder of a live process (an export in progress, maybe in another thread)
    is kept, and so is any name that does not parse. PIDs are only meaningful
    within one PID namespace: writers in different containers sharing a volume
    could see each other's live exports as stale.

    Returns the folders removed.

    Example:
        >>> remove_stale_temporaries(Path("serving/models/digits"))  # doctest: +SKIP
        [PosixPath('serving/models/digits/.tmp-4242-1f0c...')]
    """
    removed = []
    for child in Path(model_dir).iterdir():
        pid = _pid_of_temporary(child.name)
        if pid is None or _pid_alive(pid) or not child.is_dir():
            continue
        try:
            shutil.rmtree(child)
        except FileNotFoundError:
            continue  # another publisher cleaned it up at the same time
        removed.append(child)
    return removed


def _pid_of_temporary(name: str) -> int | None:
    if not name.startswith(TMP_PREFIX):
        return None
    pid, _, rest = name[len(TMP_PREFIX):].partition("-")
    if not rest or not (pid.isascii() and pid.isdigit()):
        return None
    return int(pid)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but is not ours (EPERM), or unknown: keep it
    return True


def export_archive(
    directory: Path,
    tracked: list,
    endpoints: dict[str, tuple[Callable, list[tf.TensorSpec]]],
    default: str = "serving_default",
) -> Path:
    """Write a SavedModel with one signature per endpoint, via `keras.export.ExportArchive`.

    Each endpoint maps a name to `(fn, input_signature)`; `fn` is a TensorFlow function
    (on the JAX backend it calls the model through `serving.jax_export.serving_model`). Every `tf.TensorSpec`
    must carry a `name`: it becomes the signature's input key, which is what
    TF Serving clients send (`{"instances": [{"image_bytes": {"b64": ...}}]}`).
    `fn` should return a dict of named tensors; the dict keys become the
    signature's output keys.

    `default` names the endpoint TF Serving calls when a request names no
    signature. ExportArchive aliases its *first* endpoint as "serving_default"
    (unless one is literally named so), so `default` is registered first.
    With the default value and no endpoint called "serving_default", the first
    endpoint in `endpoints` is used.

    Example:
        >>> import keras, tensorflow as tf
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> serve = lambda x: {"logits": model(x)}
        >>> export_archive(
        ...     "/tmp/export", [model],
        ...     {"serve": (serve, [tf.TensorSpec([None, 4], tf.float32, name="features")])},
        ... )  # doctest: +SKIP
        PosixPath('/tmp/export')
    """
    if not endpoints:
        raise ValueError("export_archive needs at least one endpoint")
    names = list(endpoints)
    if default in endpoints:
        names.remove(default)
        names.insert(0, default)
        if default != "serving_default" and "serving_default" in endpoints:
            raise ValueError(
                f"default={default!r} conflicts with an endpoint literally named "
                "'serving_default'; rename one of them"
            )
    elif default != "serving_default":
        raise ValueError(f"default endpoint {default!r} is not one of {names}")

    if keras.backend.backend() == "jax":  # endpoints are TF functions around a jax2tf model (serving.jax_export)
        from serving.jax_export import tf_export_archive

        archive = tf_export_archive()
        # JAX Keras layers hold no TF state; the model's variables live in its `serving_model` stand-in
        tracked = [resource for resource in tracked if not isinstance(resource, keras.layers.Layer)]
    else:
        archive = keras.export.ExportArchive()
    for resource in tracked:
        archive.track(resource)
    for name in names:
        fn, input_signature = endpoints[name]
        for spec in keras.tree.flatten(input_signature):
            if not getattr(spec, "name", None):
                raise ValueError(
                    f"endpoint {name!r}: every input TensorSpec needs a name "
                    f"(it becomes the signature input key); got {spec}"
                )
        archive.add_endpoint(name, fn, input_signature)
    archive.write_out(str(directory), verbose=False)
    return Path(directory)
