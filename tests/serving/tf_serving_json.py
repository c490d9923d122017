"""TF Serving's row-format JSON rules, re-stated in Python, to check request bodies without the server.

Follows `tensorflow_serving/util/json_tensor.cc` (FillTensorMapFromInstancesList,
AddValueToTensor, ParseJson): the body is parsed with NaN and Infinity allowed;
`instances` is a list of objects whose keys must equal the signature's input
names; a DT_FLOAT value must be a JSON number (true, false, null and strings are
refused), a DT_STRING value a JSON string or {"b64": ...}; the values of one
input are stacked along a new first axis.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import tensorflow as tf


class RequestRefused(ValueError):
    """What TF Serving would answer with an HTTP 400."""


def inputs_from_body(body: str, signature) -> dict[str, tf.Tensor]:
    """The tensors TF Serving would feed `signature` for a row-format `body`; RequestRefused otherwise."""
    specs = signature.structured_input_signature[1]
    instances = json.loads(body)["instances"]
    if not instances:
        raise RequestRefused("No values in 'instances' array")
    columns: dict[str, list] = {name: [] for name in specs}
    for index, instance in enumerate(instances):
        if set(instance) != set(specs):
            raise RequestRefused(f"element {index}: keys must be equal to: {','.join(sorted(specs))}")
        for name, value in instance.items():
            columns[name].append(_value(value, specs[name].dtype, name, index))
    return {name: tf.constant(np.array(values, dtype=object if specs[name].dtype == tf.string else "float32"))
            for name, values in columns.items()}


def _value(value, dtype, name: str, index: int):
    if dtype == tf.string:
        if isinstance(value, dict) and set(value) == {"b64"}:
            return base64.b64decode(value["b64"])
        if not isinstance(value, str):
            raise RequestRefused(f"element {index} key {name}: JSON Value {value!r} is not of expected type: string")
        return value.encode("utf-8")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestRefused(f"element {index} key {name}: JSON Value {value!r} is not of expected type: float")
    return value
