"""A 2x2 grid sweep of tiny digits runs, swept once per session for the sweep and compare tests."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
import yaml

from tests.helpers import TINY

GRID = ["--grid", "training.optimizer.learning_rate=1e-3,3e-3", "--grid", "model.head.dropout=0.1,0.3"]


def fast(spec: dict) -> dict:
    """A tiny spec cut further for sweeps: one epoch, no augmentation, no logged model."""
    spec = copy.deepcopy(spec)
    spec["training"]["epochs"] = 1
    spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    spec["tracking"] = {"log_model": False}
    return spec


@pytest.fixture
def fast_spec():
    """The tiny digits spec with one epoch, no augmentation and no logged model (a copy)."""
    return fast(TINY)


@pytest.fixture(scope="session")
def grid_sweep(tmp_path_factory):
    """`kpipe sweep` of a 2x2 grid (learning rate x dropout) in its own folder; exports on."""
    from pipelines.cli import main
    from pipelines.tracking_uri import default_tracking_uri

    root = tmp_path_factory.mktemp("grid_sweep")
    spec_path = root / "tiny.yaml"
    spec_path.write_text(yaml.safe_dump(fast(TINY)))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        code = main(["sweep", str(spec_path), *GRID])
        uri = default_tracking_uri()
    return SimpleNamespace(root=root, spec=spec_path, uri=uri, code=code, experiment="tiny")
