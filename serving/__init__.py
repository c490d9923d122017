"""Export to TF Serving, warmup records, models.config and a client."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
