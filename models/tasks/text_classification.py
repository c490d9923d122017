"""`text_classification`: one label per text (softmax), or several (`model.head.multi_label`, sigmoid).

Owns the head (pooling over the backbone's per-token vectors, dense layers,
dropout, softmax or sigmoid), the loss (categorical or binary cross-entropy),
the held-out metrics (accuracy, macro precision/recall/F1, and for single-label
data the majority-class baseline and the margin over it), the plots, and the
export: `serving_default(texts: tf.string [batch])` tokenizes inside the graph
and returns `probabilities`, `class_ids` and `class_names` (multi-label adds
`labels`: 1 where a class's probability is at least 0.5).

Example (YAML):
    task: text_classification
    stages: [{tokenize: {tokenizer: word_piece, vocabulary_size: 2000, sequence_length: 48}}]
    model:
      backbone: {source: builtin, name: bilstm}
      head: {pooling: avg, dropout: 0.2}
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation, named_option
from models.tasks.classes import ClassTask
from models.tasks.heads import TextHead
from models.tasks.scores import macro_scores, majority_baseline, per_class_f1
from models.tasks.text_model import (
    check_text,
    check_tokenized,
    model_features,
    sequence_output,
    text_inputs,
    text_arguments,
    text_requests,
)
from pipelines.registry import tasks


def _pooling():
    import keras

    return {
        "cls": lambda x, mask: x[:, 0, :],
        "avg": lambda x, mask: keras.layers.GlobalAveragePooling1D(name="pool")(x, mask=mask),
        "max": lambda x, mask: keras.layers.GlobalMaxPooling1D(name="pool")(x),
        "flatten": lambda x, mask: keras.layers.Flatten(name="pool")(x),
    }


@tasks.register("text_classification", TextHead)
class TextClassification(ClassTask):
    """Classify texts into one of N classes, or several (strings-in TF Serving export)."""

    input_name = "texts"
    backends = ("tensorflow",)
    backend_notes = {"jax": "the tokenize stage's TextEncoder is a plain Keras layer, which JAX cannot run on "
                            "strings inside tf.data"}
    default_class_weight = "auto"  # a few hundred imbalanced paragraphs otherwise collapse to the largest class

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives labelled texts (multi-hot rows exactly when multi_label)."""
        check_text("text_classification", examples, tokens=False)
        multi_hot = examples.labels.ndim == 2
        if multi_hot != self.head.multi_label:
            raise ValueError(
                "model.head.multi_label is true but data.source gives one label per text (set label_separator)"
                if self.head.multi_label else
                "data.source gives several labels per text (label_separator); set model.head.multi_label: true"
            )

    def targets(self):
        """Model features and one-hot (or multi-hot) float targets."""
        import tensorflow as tf

        if self.head.multi_label:
            return lambda features, labels: (model_features(features), tf.cast(labels, tf.float32))
        return lambda features, labels: (model_features(features), tf.one_hot(labels, self.num_classes))

    def backbone_input_shape(self, input_shape) -> tuple[int, ...]:
        check_tokenized("text_classification", input_shape)
        return input_shape["token_ids"]

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Backbone + masked pooling + hidden dense layers + dropout + softmax/sigmoid."""
        import keras

        inputs = text_inputs(input_shape)
        x = _pooling()[self.head.pooling](sequence_output(backbone, inputs), inputs["padding_mask"])
        for index, units in enumerate(self.head.hidden_units):
            x = keras.layers.Dense(units, activation="relu", name=f"head_dense{index}")(x)
        if self.head.dropout:
            x = keras.layers.Dropout(self.head.dropout, name="head_dropout")(x)
        activation = "sigmoid" if self.head.multi_label else "softmax"
        outputs = keras.layers.Dense(self.num_classes, activation=activation, dtype="float32", name="probabilities")(x)
        return keras.Model(inputs, outputs, name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """Loss ('auto': categorical or binary cross-entropy) and metrics for `model.compile`."""
        import keras

        loss = self.spec.training.loss
        if loss == "auto":
            loss = (keras.losses.BinaryCrossentropy() if self.head.multi_label
                    else keras.losses.CategoricalCrossentropy(label_smoothing=self.head.label_smoothing))
        return {"loss": loss, "metrics": self.keras_metrics()}

    # Evaluation -------------------------------------------------------------------------------

    def predictions(self, model, dataset) -> tuple[np.ndarray, np.ndarray]:
        """True and predicted labels (ids, or multi-hot rows) over a dataset."""
        y_true, y_pred = [], []
        for features, labels in dataset:
            probabilities = np.asarray(model(features, training=False))
            labels = np.asarray(labels)
            if self.head.multi_label:
                y_pred.append((probabilities >= 0.5).astype("int64"))
                y_true.append(labels.astype("int64"))
            else:
                y_pred.append(probabilities.argmax(-1))
                y_true.append(labels.argmax(-1))
        return np.concatenate(y_true), np.concatenate(y_pred)

    def evaluate(self, model, dataset, train, held_out):
        """Held-out metrics and figures (confusion matrix or per-class F1 for multi-label), weights and collapse verdicts."""
        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        y_true, y_pred = self.predictions(model, dataset)
        metrics.update(macro_scores(y_true, y_pred))
        f1 = per_class_f1(y_true, y_pred, self.class_names)
        figures = {"f1_per_class.png": plots.bar_chart(f1, "F1 per class (held-out split)", "F1", (0, 1))}
        verdicts = []
        if self.head.multi_label:
            metrics["test_exact_match"] = float(np.mean((y_true == y_pred).all(axis=1)))
        else:
            metrics["test_accuracy"] = float(np.mean(y_true == y_pred))
            metrics.update(majority_baseline(train.labels, y_true, metrics["test_accuracy"]))
            verdicts = self.linear_baseline(metrics, train, held_out)
            figures["confusion_matrix.png"] = plots.confusion_matrix(y_true, y_pred, self.class_names)
        return Evaluation(metrics, figures, verdicts=verdicts).update(self.diagnose(y_true, y_pred, train.labels))

    def linear_baseline(self, metrics: dict, train, held_out) -> list[str]:
        """tf-idf + logistic regression on the same split: its metrics (added to `metrics`) and the verdicts."""
        from models.tasks.text_baseline import tfidf_baseline
        from models.tasks.verdict import beat_baselines

        guessed = tfidf_baseline(train.inputs, train.labels, held_out.inputs, seed=self.spec.seed)
        metrics["test_tfidf_baseline_accuracy"] = float(np.mean(held_out.labels == guessed))
        metrics["test_tfidf_baseline_f1_macro"] = macro_scores(held_out.labels, guessed)["test_f1_macro"]
        return [
            *beat_baselines("accuracy", metrics["test_accuracy"],
                            {"majority class": metrics["test_majority_baseline_accuracy"],
                             "tf-idf + logistic regression": metrics["test_tfidf_baseline_accuracy"]},
                            higher_is_better=True),
            *beat_baselines("macro-F1", metrics["test_f1_macro"],
                            {"tf-idf + logistic regression": metrics["test_tfidf_baseline_f1_macro"]},
                            higher_is_better=True),
        ]

    def collapse_causes(self) -> list[str]:
        """The learning rate and epochs, and texts cut too short by the tokenizer."""
        causes = super().collapse_causes()
        length = named_option(self.spec.stages, "tokenize", "sequence_length")
        chosen = length if length is not None else "chosen from the data: see the tokenize line printed at the start"
        causes.append(f"texts cut too short to keep the words that decide the class: raise the tokenize "
                      f"stage's sequence_length (now {chosen})")
        return causes

    def data_figures(self, datasets, examples) -> dict:
        """How many texts each class has (whole source)."""
        from models import plots

        labels = examples.labels
        counts = labels.sum(axis=0) if labels.ndim == 2 else np.bincount(labels, minlength=examples.num_classes)
        values = {name: float(count) for name, count in zip(examples.class_names, counts)}
        return {"label_counts.png": plots.bar_chart(values, "Texts per class", "texts")}

    # Export -----------------------------------------------------------------------------------

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """Objects to track and the strings-in `serving_default` endpoint for ExportArchive."""
        import tensorflow as tf

        names = tf.constant(self.class_names)
        multi_label = self.head.multi_label

        def serve(texts):
            probabilities = model(model_features(datasets.preprocess(texts)), training=False)
            class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            outputs = {"probabilities": probabilities, "class_ids": class_ids,
                       "class_names": tf.gather(names, class_ids)}
            if multi_label:
                outputs["labels"] = tf.cast(probabilities >= 0.5, tf.int32)
            return outputs

        endpoints = {"serving_default": (serve, [tf.TensorSpec([None], tf.string, name=self.input_name)])}
        return [model, *datasets.preprocessing_layers], endpoints

    def serving_requests(self, examples, indices) -> list[dict[str, np.ndarray]]:
        """One `serving_default` request per example: its raw text."""
        return text_requests(self.input_name, examples, indices)

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --text` with the request's text."""
        return text_arguments(request[self.input_name])

    def reference(self, model, datasets, requests) -> np.ndarray:
        """What the in-memory Keras model says for the same texts the export gets."""
        import tensorflow as tf

        texts = tf.constant(np.concatenate([r[self.input_name] for r in requests]))
        return np.asarray(model(model_features(datasets.preprocess(texts)), training=False))
