"""Clients for an export: TF Serving REST, or the SavedModel in-process.

Image exports take raw encoded image bytes as the `image_bytes` input of the
`serving_default` signature, text exports raw `texts`, tabular exports one
named input per raw column (`serving.rows_client` builds that batch from a
table); decoding and preprocessing live in the graph.

Example:
    >>> predict_files("serving/models/digits", ["sample.png"])  # doctest: +SKIP
    [{'file': 'sample.png', 'class_name': '3', 'class_id': 3, 'probability': 0.97}]
    >>> rest_predict("http://localhost:8501", "digits", ["sample.png"])  # doctest: +SKIP
    [{'class_ids': 3, 'class_names': '3', 'probabilities': [...]}]
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping

import numpy as np

import tensorflow as tf

from serving.loading import load_export
from serving.publish import list_versions

SIGNATURE = "serving_default"
INPUT_KEY = "image_bytes"


def _read_bytes(file: str | os.PathLike) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError as err:
        # OSError(errno, ...) builds the matching subclass (FileNotFoundError, ...).
        raise OSError(err.errno, f"cannot read image file ({err.strerror})", str(file)) from err


def rest_request_body(image_paths: list[str | os.PathLike]) -> dict:
    """The TF Serving REST predict body (row format) for these image files.

    Example:
        >>> body = rest_request_body(["a.png"])  # doctest: +SKIP
        >>> body["instances"][0]["image_bytes"]["b64"][:8]  # doctest: +SKIP
        'iVBORw0K'
    """
    return {
        "signature_name": SIGNATURE,
        "instances": [
            {INPUT_KEY: {"b64": base64.b64encode(_read_bytes(path)).decode("ascii")}}
            for path in image_paths
        ],
    }


def rest_predict(
    url: str, model_name: str, image_paths: list[str | os.PathLike], timeout: float = 10
) -> list[dict]:
    """POST the images to `<url>/v1/models/<model_name>:predict`; one prediction dict per image.

    Raises `RuntimeError` with TF Serving's error message on an HTTP error.

    Example:
        >>> rest_predict("http://localhost:8501", "digits", ["a.png"])  # doctest: +SKIP
        [{'class_ids': 7, 'class_names': '7', 'probabilities': [...]}]
    """
    endpoint = f"{url.rstrip('/')}/v1/models/{model_name}:predict"
    request = urllib.request.Request(
        endpoint,
        data=json.dumps(rest_request_body(image_paths)).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("error", detail)
        except (ValueError, AttributeError):
            pass
        raise RuntimeError(f"{endpoint}: HTTP {err.code}: {detail}") from err
    if "predictions" not in answer:
        raise RuntimeError(f"{endpoint}: no 'predictions' in the answer: {answer}")
    return answer["predictions"]


def latest_version_dir(path: str | os.PathLike) -> Path:
    """The SavedModel folder for `path`: itself if it is one, else its highest integer version.

    Example:
        >>> latest_version_dir("serving/models/digits")  # doctest: +SKIP
        PosixPath('serving/models/digits/3')
        >>> latest_version_dir("serving/models/digits/2")  # doctest: +SKIP
        PosixPath('serving/models/digits/2')
    """
    path = Path(path)
    if (path / "saved_model.pb").is_file():
        return path
    versions = list_versions(path)
    if versions:
        return path / str(versions[-1])
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model or version folder")
    raise FileNotFoundError(
        f"{path}: neither a SavedModel (no saved_model.pb) nor a model folder "
        "with integer version subfolders"
    )


def predict_files(export_dir: str | os.PathLike, files: list[str]) -> list[dict]:
    """Classify image files with the exported model; one result dict per file.

    `export_dir` is a version folder or a model folder (its latest version is used).

    Example:
        >>> predict_files("serving/models/digits", ["seven.png"])  # doctest: +SKIP
        [{'file': 'seven.png', 'class_name': '7', 'class_id': 7, 'probability': 0.93}]
    """
    model_path = latest_version_dir(export_dir)
    contents = [_read_bytes(file) for file in files]
    serve = load_export(model_path).signatures[SIGNATURE]
    try:
        outputs = serve(**{INPUT_KEY: tf.constant(contents, dtype=tf.string)})
    except tf.errors.InvalidArgumentError:
        _raise_for_undecodable(serve, files, contents)
        raise
    if {"probabilities", "class_ids", "class_names"} - set(outputs):
        return [{"file": str(file), **summarize_outputs(outputs, row)} for row, file in enumerate(files)]
    probabilities = outputs["probabilities"].numpy()
    class_ids = outputs["class_ids"].numpy()
    class_names = outputs["class_names"].numpy()
    results = []
    for row, file in enumerate(files):
        class_id = int(class_ids[row])
        results.append(
            {
                "file": str(file),
                "class_name": class_names[row].decode("utf-8"),
                "class_id": class_id,
                "probability": float(probabilities[row, class_id]),
            }
        )
    return results


def summarize_outputs(outputs: Mapping, row: int, shown: int = 5) -> dict[str, str]:
    """One row of a signature's outputs as short text: scalars as they are, arrays as their first values.

    Padding ("" strings, -1 ids) is left out, so a detection's `class_names` reads "circle, square".

    Example:
        >>> summarize_outputs({"class_names": np.array([[b"circle", b""]]), "num_detections": np.array([1])}, 0)
        {'class_names': 'circle', 'num_detections': '1'}
    """
    summary = {}
    for name, value in outputs.items():
        value = np.asarray(np.asarray(value)[row])
        text = value.dtype.kind in "OS"
        if value.ndim == 0:
            summary[name] = _readable(value.item()) if text else f"{value.item():.4g}"
            continue
        if text:
            items = [_readable(v) for v in value.reshape(-1).tolist() if v]
        elif value.ndim == 1:
            items = [f"{v:.4g}" for v in value.tolist() if not (value.dtype.kind == "i" and v < 0)]
        else:
            summary[name] = f"array {list(value.shape)}"
            continue
        summary[name] = ", ".join(items[:shown]) + (f", ... ({len(items)})" if len(items) > shown else "")
    return summary


def _readable(value: bytes) -> str:
    """A string output as text, or its size when it is binary (encoded images).

    Example:
        >>> _readable(b"cat"), _readable(b"\\x89PNG\\r\\n")
        ('cat', '<6 bytes>')
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(value)} bytes>"


def _raise_for_undecodable(serve, files: list[str], contents: list[bytes]) -> None:
    """Find which file the model could not decode (the batch error does not say)."""
    for file, content in zip(files, contents):
        try:
            serve(**{INPUT_KEY: tf.constant([content], dtype=tf.string)})
        except tf.errors.InvalidArgumentError as err:
            raise ValueError(f"{file}: the model could not decode it: {err.message}") from err


def predict_texts(export_dir: str | os.PathLike, texts: list[str]) -> list[dict]:
    """Run texts through a text export (classification or tagging); one result dict per text.

    Classification gives `class_name` and `probability`; token classification
    gives `tagged`, "word/TAG" for each whitespace token.

    Example:
        >>> predict_texts("serving/models/sentiment", ["a lovely film"])  # doctest: +SKIP
        [{'text': 'a lovely film', 'class_name': 'positive', 'probability': 0.97}]
    """
    model_path = latest_version_dir(export_dir)
    serve = load_export(model_path).signatures[SIGNATURE]
    if "texts" not in serve.structured_input_signature[1]:
        raise ValueError(f"{model_path}: {SIGNATURE} does not take texts; it takes "
                         f"{sorted(serve.structured_input_signature[1])}")
    outputs = {k: v.numpy() for k, v in serve(texts=tf.constant(texts, dtype=tf.string)).items()}
    results = []
    for row, text in enumerate(texts):
        if "tags" in outputs:
            count = int(outputs["num_tokens"][row])
            pairs = zip(outputs["tokens"][row][:count], outputs["tags"][row][:count])
            results.append({"text": text, "tagged": " ".join(f"{w.decode()}/{t.decode() or '?'}" for w, t in pairs)})
        else:
            class_id = int(outputs["class_ids"][row])
            results.append({"text": text, "class_name": outputs["class_names"][row].decode("utf-8"),
                            "probability": float(outputs["probabilities"][row, class_id])})
    return results
