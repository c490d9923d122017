"""Shared fixtures: every test runs in its own folder, so mlruns/, serving/ and .kpipe/ stay there."""

import copy
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.helpers import TINY  # noqa: E402


@pytest.fixture
def tiny_spec():
    """A digits spec that trains in seconds (a deep copy; change it freely)."""
    return copy.deepcopy(TINY)


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    """Run each test in its own empty folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path
