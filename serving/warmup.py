"""TF Serving warmup requests: `assets.extra/tf_serving_warmup_requests` in a SavedModel.

TF Serving replays these requests when it loads a version (with
`--enable_model_warmup=true`), so the first real request does not pay for lazy
initialization. The file is a TFRecord of `PredictionLog` protos, at most 1000.
Write it inside the `write` step of `publish_version` (before the version
becomes visible) and pass `replay_warmup` as `verify` to check the export
answers its own warmup requests.

Example:
    >>> import numpy as np
    >>> requests = [{"image_bytes": np.array([png_bytes], dtype=object)}]  # doctest: +SKIP
    >>> write_warmup(export_dir, requests, model_name="digits")  # doctest: +SKIP
    >>> [out["class_ids"] for out in replay_warmup(export_dir)]  # doctest: +SKIP
    [array([3], dtype=int32)]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from serving.loading import load_export

WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"
MAX_WARMUP_RECORDS = 1000  # TF Serving's documented limit


def write_warmup(
    export_dir: str | os.PathLike,
    requests: list[dict[str, np.ndarray]],
    model_name: str,
    signature_name: str = "serving_default",
) -> Path:
    """Write `requests` (input name -> batch array) as TF Serving warmup records.

    String inputs are numpy object arrays of `bytes`. Returns the file written.

    Example:
        >>> import numpy as np, tempfile
        >>> request = {"features": np.zeros([1, 4], np.float32)}
        >>> write_warmup(tempfile.mkdtemp(), [request], "tiny").name
        'tf_serving_warmup_requests'
    """
    if not 1 <= len(requests) <= MAX_WARMUP_RECORDS:
        raise ValueError(
            f"need 1 to {MAX_WARMUP_RECORDS} warmup requests, got {len(requests)}"
        )
    path = Path(export_dir) / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for index, inputs in enumerate(requests):
            if not inputs:
                raise ValueError(f"warmup request {index} has no inputs")
            request = predict_pb2.PredictRequest()
            request.model_spec.name = model_name
            request.model_spec.signature_name = signature_name
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())
    return path


def read_warmup(export_dir: str | os.PathLike) -> list[prediction_log_pb2.PredictionLog]:
    """Parse the warmup records of `export_dir` back into `PredictionLog` protos.

    Example:
        >>> logs = read_warmup("serving/models/digits/1")  # doctest: +SKIP
        >>> logs[0].predict_log.request.model_spec.signature_name  # doctest: +SKIP
        'serving_default'
    """
    path = Path(export_dir) / WARMUP_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no warmup file at {path}")
    return [
        prediction_log_pb2.PredictionLog.FromString(record)
        for record in tf.data.TFRecordDataset(str(path)).as_numpy_iterator()
    ]


def replay_warmup(export_dir: str | os.PathLike, loaded=None) -> list[dict[str, np.ndarray]]:
    """Run every warmup request against the SavedModel in `export_dir`; outputs as numpy.

    `loaded` is that SavedModel when the caller has loaded it already (`load_export`),
    so that it is not loaded twice. Raises `RuntimeError` naming the request and
    signature if any of them fails, which is what TF Serving would do when loading
    the version.

    Example:
        >>> outputs = replay_warmup("serving/models/digits/1")  # doctest: +SKIP
        >>> sorted(outputs[0])  # doctest: +SKIP
        ['class_ids', 'class_names', 'probabilities']
    """
    logs = read_warmup(export_dir)
    loaded = load_export(export_dir) if loaded is None else loaded
    outputs = []
    for index, log in enumerate(logs):
        if log.WhichOneof("log_type") != "predict_log":
            raise RuntimeError(
                f"warmup request {index} in {export_dir} is a "
                f"{log.WhichOneof('log_type')}, only predict_log is replayed"
            )
        request = log.predict_log.request
        name = request.model_spec.signature_name or "serving_default"
        if name not in loaded.signatures:
            raise RuntimeError(
                f"warmup request {index} names signature {name!r}; "
                f"{export_dir} has {sorted(loaded.signatures)}"
            )
        inputs = {key: tf.constant(tf.make_ndarray(proto)) for key, proto in request.inputs.items()}
        try:
            result = loaded.signatures[name](**inputs)
        except Exception as err:  # re-raised below with the request and signature named
            raise RuntimeError(
                f"warmup request {index} (inputs {sorted(inputs)}) failed against "
                f"signature {name!r} of {export_dir}: {err}"
            ) from err
        outputs.append({key: value.numpy() for key, value in result.items()})
    return outputs
