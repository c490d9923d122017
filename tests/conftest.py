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


SCHEDULED_FIRST = ("tests/test_task_contract.py", "tests/test_jax_backend.py", "tests/test_jax_multi_process.py",
                   "tests/test_multi_worker.py", "tests/pipelines/test_detection_run.py")
"""The longest modules, collected first: `make test`'s pytest-xdist processes take whole modules in collection
order (`--dist loadfile`), so starting these early keeps one process from ending the run alone on them."""


def pytest_collection_modifyitems(config, items):
    """Move the items of SCHEDULED_FIRST's modules to the front, in that order; the rest keep theirs."""
    def rank(item):
        path = item.nodeid.split("::")[0]
        return SCHEDULED_FIRST.index(path) if path in SCHEDULED_FIRST else len(SCHEDULED_FIRST)

    items.sort(key=rank)  # stable: within a module, and among the rest, the collection order stands
