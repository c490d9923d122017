"""Data sources, stages and the tf.data pipeline."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
