"""Backbones and task heads."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
