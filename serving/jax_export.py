"""A JAX-trained Keras model as a TensorFlow callable, so that tasks' TF serving functions export it unchanged.

A task's export endpoints are TensorFlow functions (decode bytes, check shapes, look up
class names) that call `model(x, training=False)` on TF tensors. On the TensorFlow backend
the model is such a callable. On JAX, `serving_model(model)` gives a stand-in that is:
a `tf.Module` holding a `tf.Variable` copy of every model variable, whose
`__call__(x, training=False)` runs the model's `stateless_call` converted with `jax2tf`
(native serialization: the XLA program of the model is stored in the SavedModel, with
the batch and any other unknown dimensions symbolic). The SavedModel then holds the
variables, TF Serving runs it like any other, and the export's warmup and parity checks
compare it with the JAX model as on TensorFlow.

`export_archive` (serving.publish) writes such endpoints with the TensorFlow flavour of
Keras' ExportArchive on both backends (Keras' JAX ExportArchive would convert the whole
endpoint, TF string ops included, with jax2tf).

Example:
    >>> tracked, endpoints = task.export_endpoints(serving_model(model), datasets)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools

import keras
import tensorflow as tf


def on_jax() -> bool:
    """Whether Keras runs the JAX backend in this process."""
    return keras.backend.backend() == "jax"


def serving_model(model):
    """`model` itself on TensorFlow; on JAX a `JaxModelFunction` that TF functions can call and save."""
    return JaxModelFunction(model) if on_jax() else model


class _Copies:
    """The TF copies of a model's variables by `id` of the Keras variable (a plain object: tf.Module does not
    track it; the stand-ins' `trainable`/`non_trainable` lists hold the copies for the SavedModel)."""

    def __init__(self):
        self.by_id = {}


class JaxModelFunction(tf.Module):
    """A trained JAX Keras model as a TF callable: `self(x, training=False)` on TF tensors gives TF tensors.

    Its variables are TF copies of the model's at the time it is made (`trainable` and
    `non_trainable`, in the model's order), so make it after training.
    """

    def __init__(self, model, _copies: _Copies | None = None):
        super().__init__(name=f"{model.name}_jax2tf")
        self._keras_model = [model]  # a list hides the (untrackable) JAX model from tf.Module's tracking
        self._copies = _Copies() if _copies is None else _copies  # shared with the stand-ins of its layers
        self.trainable = [self._copy(v) for v in model.trainable_variables]
        self.non_trainable = [self._copy(v) for v in model.non_trainable_variables]
        self._converted = {}
        self._layers = {}

    def _copy(self, variable):
        copies = self._copies.by_id
        if id(variable) not in copies:
            copies[id(variable)] = tf.Variable(variable.value, dtype=variable.dtype, trainable=variable.trainable,
                                               name=variable.name)
        return copies[id(variable)]

    def get_layer(self, name: str):
        """The stand-in of the model's layer (or sub-model) `name`, sharing this one's TF variables."""
        if name not in self._layers:
            self._layers[name] = JaxModelFunction(self._keras_model[0].get_layer(name), self._copies)
        return self._layers[name]

    @tf.autograph.experimental.do_not_convert  # jax2tf's Python is traced as it is, never by AutoGraph
    def __call__(self, inputs, training=False):
        if training:
            raise ValueError("a JAX model exported for serving runs with training=False only")
        names = itertools.count()
        shapes = keras.tree.map_structure(lambda tensor: _polymorphic_shape(tensor, names), inputs)
        key = repr((shapes, keras.tree.map_structure(lambda t: t.dtype.name, inputs)))
        if key not in self._converted:
            self._converted[key] = self._convert(shapes)
        return self._converted[key](list(self.trainable), list(self.non_trainable), inputs)

    def _convert(self, input_shapes):
        import jax
        from jax.experimental import jax2tf

        model = self._keras_model[0]

        def stateless(trainable, non_trainable, inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return outputs

        variable_shapes = [[_exact_shape(v) for v in variables] for variables in (self.trainable, self.non_trainable)]
        platforms = ("cpu", "cuda") if jax.default_backend() == "gpu" else ("cpu",)
        return jax2tf.convert(stateless, polymorphic_shapes=[*variable_shapes, input_shapes],
                              native_serialization_platforms=platforms, with_gradient=False)


def _exact_shape(variable) -> str:
    return f"({', '.join(str(d) for d in variable.shape)})"


def _polymorphic_shape(tensor, names) -> str:
    """A jax2tf shape for a TF tensor: its static dimensions, `batch` for an unknown first one (shared by all
    inputs), a fresh name from the counter `names` for any other unknown one.

    Example:
        >>> _polymorphic_shape(tf.TensorSpec([None, 16, None]), itertools.count())
        '(batch, 16, d0)'
    """
    dims = []
    for index, dim in enumerate(tensor.shape):
        if dim is not None:
            dims.append(str(dim))
        else:
            dims.append("batch" if index == 0 else f"d{next(names)}")
    return f"({', '.join(dims)})"


def tf_export_archive():
    """Keras' ExportArchive in its TensorFlow flavour (endpoints traced as plain `tf.function`s), on any backend."""
    from keras.src.backend.tensorflow.export import TFExportArchive

    return TFExportArchive()
