"""Load an export in Python, with the TensorFlow Text ops that text exports use registered first.

Text exports tokenize inside the graph with TensorFlow Text kernels
(`RegexSplitWithOffsets`, `FastWordpieceTokenizeWithOffsets`, SentencePiece);
`tf.saved_model.load` only finds them after `import tensorflow_text`. TF
Serving's model server links those ops itself.

Example:
    >>> serve = load_export("serving/models/sentiment/1").signatures["serving_default"]  # doctest: +SKIP
    >>> serve(texts=tf.constant(["a lovely film"]))["class_names"]                       # doctest: +SKIP
"""

from __future__ import annotations

import os


def load_export(export_dir: str | os.PathLike):
    """`tf.saved_model.load(export_dir)` after registering TensorFlow Text's ops."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops of text exports)

    return tf.saved_model.load(str(export_dir))
