"""`token_classification`: a tag for every whitespace token (NER, POS), learned on sub-word pieces.

A word's tag sits on its first sub-word piece; its other pieces, special
tokens and padding are masked out of the loss and the metrics (sample weight
0). Held-out metrics: token accuracy, macro precision/recall/F1 over tags and
entity-level precision/recall/F1 (seqeval, BIO/IOB tags). The export's
`serving_default(texts: tf.string [batch])` splits each text on whitespace,
tokenizes inside the graph and maps the predictions back to those words:
`tokens` and `tags` [batch, words] (padded with ""), `tag_ids` (-1 for padding
and for words cut off by `sequence_length`), `probabilities` [batch, words,
tags] and `num_tokens`.

Example (YAML):
    task: token_classification
    data: {source: {type: conll, path: data/samples/ner.conll}}
    stages: [{tokenize: {tokenizer: word_piece, vocabulary_size: 1000, sequence_length: 48}}]
    model: {backbone: {source: builtin, name: bilstm}}
"""

from __future__ import annotations

import numpy as np

from models.tasks.base import Evaluation, Task, named_option
from models.tasks.classes import ClassTask
from models.tasks.heads import DenseHead
from models.tasks.scores import macro_scores, per_class_f1
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


def word_probabilities(texts, word_ids, probabilities):
    """Per-piece probabilities -> [batch, words, tags], each word read at its first piece.

    Returns the padded whitespace tokens, those probabilities (zeros where a
    word has no piece inside `sequence_length`), which words were found, and
    the number of words per text.

    Example:
        >>> tokens, probs, found, counts = word_probabilities(texts, features["word_ids"], model(features))  # doctest: +SKIP
    """
    import tensorflow as tf

    words = tf.strings.split(texts)
    tokens = words.to_tensor("")
    positions = tf.where(word_ids >= 0)
    word = tf.cast(tf.gather_nd(word_ids, positions), tf.int64)
    target = tf.stack([positions[:, 0], word], axis=1)
    shape = tf.shape(tokens, out_type=tf.int64)
    per_word = tf.scatter_nd(
        target, tf.gather_nd(probabilities, positions), tf.concat([shape, tf.shape(probabilities, tf.int64)[-1:]], 0)
    )
    found = tf.scatter_nd(target, tf.ones_like(word, tf.int32), shape) > 0
    return tokens, per_word, found, words.row_lengths()


def word_outputs(texts, word_ids, probabilities, tag_names):
    """The export's outputs: `tokens`, `tags`, `tag_ids`, `probabilities` per word, `num_tokens`.

    Example:
        >>> word_outputs(texts, features["word_ids"], model(features), tf.constant(["O", "B-PER"]))["tags"]  # doctest: +SKIP
    """
    import tensorflow as tf

    tokens, per_word, found, counts = word_probabilities(texts, word_ids, probabilities)
    tag_ids = tf.where(found, tf.argmax(per_word, axis=-1, output_type=tf.int32), -1)
    return {"tokens": tokens, "tags": tf.where(found, tf.gather(tag_names, tf.maximum(tag_ids, 0)), ""),
            "tag_ids": tag_ids, "probabilities": per_word, "num_tokens": counts}


@tasks.register("token_classification", DenseHead)
class TokenClassification(ClassTask):
    """Tag every word of a text (BIO entities, parts of speech); strings-in TF Serving export."""

    input_name = "texts"
    backends = ("tensorflow",)
    backend_notes = {"jax": "the tokenize stage's TextEncoder is a plain Keras layer, which JAX cannot run on "
                            "strings inside tf.data"}
    weighs_classes = False  # per-pixel (per-token) targets: Keras weighs classes of one label per example
    class_weight = Task.class_weight

    # Data -------------------------------------------------------------------------------------

    def check(self, examples) -> None:
        """Fail early unless the source gives tokens with one tag each."""
        check_text("token_classification", examples, tokens=True)

    def targets(self):
        """Model features, each position's tag id (its word's, on first pieces) and 0/1 sample weights."""
        import tensorflow as tf

        def align(features, tags):
            word_ids = features["word_ids"]
            padded = tf.concat([tags, tf.zeros([1], tags.dtype)], axis=0)
            labels = tf.gather(padded, tf.maximum(word_ids, 0))
            return model_features(features), labels, tf.cast(word_ids >= 0, tf.float32)

        return align

    def backbone_input_shape(self, input_shape) -> tuple[int, ...]:
        check_tokenized("token_classification", input_shape)
        return input_shape["token_ids"]

    # Model ------------------------------------------------------------------------------------

    def build_model(self, backbone, input_shape):
        """Backbone + per-token hidden dense layers + dropout + softmax over tags."""
        import keras

        inputs = text_inputs(input_shape)
        outputs = self.softmax_head(sequence_output(backbone, inputs))
        return keras.Model(inputs, outputs, name=self.spec.name.replace("-", "_"))

    def compile_options(self) -> dict:
        """Sparse categorical cross-entropy; metrics weighted, so masked positions do not count."""
        import keras

        loss = self.spec.training.loss
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy()
        return {"loss": loss, "weighted_metrics": self.keras_metrics()}

    # Evaluation -------------------------------------------------------------------------------

    def word_tags(self, model, dataset) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """True and predicted tag ids of each sentence's words (those inside `sequence_length`)."""
        true, predicted = [], []
        for features, labels, weights in dataset:
            guesses = np.asarray(model(features, training=False)).argmax(-1)
            for row_true, row_guess, row_weight in zip(np.asarray(labels), guesses, np.asarray(weights)):
                keep = row_weight > 0
                true.append(row_true[keep])
                predicted.append(row_guess[keep])
        return true, predicted

    def evaluate(self, model, dataset, train, held_out):
        """Token and entity-level metrics, the per-tag F1 chart, the tag confusion matrix and collapse verdicts."""
        from seqeval.metrics import f1_score, precision_score, recall_score

        from models import plots

        scores = model.evaluate(dataset, return_dict=True, verbose=0)
        metrics = {f"test_{k}": float(v) for k, v in scores.items()}
        true, predicted = self.word_tags(model, dataset)
        flat_true, flat_predicted = np.concatenate(true), np.concatenate(predicted)
        metrics["test_accuracy"] = float(np.mean(flat_true == flat_predicted))
        metrics.update(macro_scores(flat_true, flat_predicted))
        names = np.array(self.class_names)
        true_tags = [list(names[row]) for row in true]
        predicted_tags = [list(names[row]) for row in predicted]
        metrics.update({
            "test_entity_f1": float(f1_score(true_tags, predicted_tags, zero_division=0)),
            "test_entity_precision": float(precision_score(true_tags, predicted_tags, zero_division=0)),
            "test_entity_recall": float(recall_score(true_tags, predicted_tags, zero_division=0)),
        })
        f1 = per_class_f1(flat_true, flat_predicted, self.class_names)
        figures = {
            "f1_per_tag.png": plots.bar_chart(f1, "F1 per tag (held-out split)", "F1", (0, 1)),
            "confusion_matrix.png": plots.confusion_matrix(flat_true, flat_predicted, self.class_names),
        }
        train_tags = np.concatenate([np.asarray(row, "int64") for row in train.labels])
        return Evaluation(metrics, figures).update(self.diagnose(flat_true, flat_predicted, train_tags))

    def collapse_causes(self) -> list[str]:
        """The learning rate and epochs, and sentences cut short by the tokenizer."""
        causes = super().collapse_causes()
        length = named_option(self.spec.stages, "tokenize", "sequence_length")
        if length is not None:
            causes.append(f"sentences cut short (words past it are not tagged): raise the tokenize stage's "
                          f"sequence_length (now {length})")
        return causes

    def data_figures(self, datasets, examples) -> dict:
        """How many tokens carry each tag (whole source)."""
        from models import plots

        counts = np.bincount(np.concatenate(list(examples.labels)), minlength=examples.num_classes)
        values = {name: float(count) for name, count in zip(examples.class_names, counts)}
        return {"tag_counts.png": plots.bar_chart(values, "Tokens per tag", "tokens")}

    # Export -----------------------------------------------------------------------------------

    def _features(self, model, datasets, texts):
        features = datasets.preprocess(texts)
        return features, model(model_features(features), training=False)

    def export_endpoints(self, model, datasets) -> tuple[list, dict]:
        """Objects to track and the strings-in `serving_default` endpoint (tags per whitespace token)."""
        import tensorflow as tf

        names = tf.constant(self.class_names)

        def serve(texts):
            features, probabilities = self._features(model, datasets, texts)
            return word_outputs(texts, features["word_ids"], probabilities, names)

        endpoints = {"serving_default": (serve, [tf.TensorSpec([None], tf.string, name=self.input_name)])}
        return [model, *datasets.preprocessing_layers], endpoints

    def serving_requests(self, examples, indices) -> list[dict[str, np.ndarray]]:
        """One `serving_default` request per example: its tokens joined by spaces."""
        return text_requests(self.input_name, examples, indices)

    def predict_arguments(self, request: dict, folder) -> list[str]:
        """`kpipe predict --text` with the request's text."""
        return text_arguments(request[self.input_name])

    def reference(self, model, datasets, requests) -> np.ndarray:
        """Per-word probabilities the in-memory Keras model gives for the batch of request texts."""
        import tensorflow as tf

        texts = tf.constant(np.concatenate([r[self.input_name] for r in requests]))
        features, probabilities = self._features(model, datasets, texts)
        return np.asarray(word_probabilities(texts, features["word_ids"], probabilities)[1])
