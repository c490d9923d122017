"""`training.backend`: the spec field, tasks refused on a backend they cannot run, the CLI setting
KERAS_BACKEND before Keras is imported, and (in a subprocess on JAX) the contract test and DataParallel."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from pipelines import components  # noqa: F401  (fills the registries)
from pipelines import registry
from pipelines.backend import BACKENDS, BackendMismatch, spec_backend, use_backend
from pipelines.cli import EXIT_BAD_INPUT, main
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import DIGITS_SPEC, REPO
from tests.test_task_contract import shipped_spec

TASKS = registry.tasks.names()
REFUSED = [name for name in TASKS if "jax" not in registry.tasks.get(name).build.backends]
ON_JAX = [name for name in TASKS if name not in REFUSED]
JAX_SUBPROCESS_TIMEOUT = 500


def on_jax(task: str) -> dict:
    spec = yaml.safe_load(shipped_spec(task).read_text())
    spec.setdefault("training", {})["backend"] = "jax"
    return spec


def test_every_task_runs_on_tensorflow_and_names_only_known_backends():
    for name in TASKS:
        task = registry.tasks.get(name).build
        assert set(task.backends) <= set(BACKENDS) and task.backends[0] == "tensorflow", name
    assert {"image_classification", "forecasting", "sequence_classification"} <= set(ON_JAX)


def test_backend_defaults_to_tensorflow_and_takes_jax(tiny_spec):
    assert load_spec(tiny_spec).training.backend == "tensorflow"
    assert load_spec(tiny_spec, ["training.backend=jax"]).training.backend == "jax"
    with pytest.raises(SpecError, match="training.backend"):
        load_spec(tiny_spec, ["training.backend=torch"])


@pytest.mark.parametrize("task", REFUSED)
def test_a_task_that_cannot_run_on_jax_is_refused_naming_task_and_backend(task):
    with pytest.raises(SpecError) as caught:
        load_spec(on_jax(task))
    message = str(caught.value)
    assert f"training.backend: task {task} does not run on the jax backend (" in message, message
    assert "use training.backend: tensorflow" in message


@pytest.mark.parametrize("task", ON_JAX)
def test_tasks_that_run_on_jax_validate_with_it(task):
    assert load_spec(on_jax(task)).training.backend == "jax"


@pytest.mark.parametrize("strategy", ["mirrored", "tpu"])
def test_jax_refuses_tf_distribute_strategies(tiny_spec, strategy):
    with pytest.raises(SpecError, match=f"training: strategy: {strategy} is a tf.distribute strategy"):
        load_spec(tiny_spec, ["training.backend=jax", f"training.strategy={strategy}"])


def test_spec_backend_reads_the_yaml_and_overrides_without_keras(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ntraining: {backend: jax, epochs: 2}\n")
    assert spec_backend(path) == "jax"
    assert spec_backend(path, ["training.epochs=3", "training.backend=tensorflow"]) == "tensorflow"
    assert spec_backend(DIGITS_SPEC) == "tensorflow"
    assert spec_backend(tmp_path / "missing.yaml") == "tensorflow"  # the full load reports the missing file


def test_a_process_whose_keras_runs_tensorflow_refuses_a_jax_run(tiny_spec, capsys):
    import keras

    assert keras.backend.backend() == "tensorflow"
    with pytest.raises(BackendMismatch, match="training.backend: jax, but Keras in this process already runs the "
                                              "tensorflow backend") as caught:
        use_backend("jax")
    assert "kpipe run SPEC" in str(caught.value) and "KERAS_BACKEND=jax" in str(caught.value)
    use_backend("tensorflow")  # the backend it runs: nothing to do

    spec = load_spec(tiny_spec, ["training.backend=jax"])
    with pytest.raises(BackendMismatch, match="training.backend: jax"):  # what `pipelines.run(spec)` meets first
        registry.tasks.get(spec.task).build(spec)

    assert main(["run", str(DIGITS_SPEC), "--set", "training.backend=jax"]) != 0
    assert "training.backend: jax, but Keras in this process already runs" in capsys.readouterr().err


def test_a_sweep_cannot_vary_the_backend(capsys):
    code = main(["sweep", str(DIGITS_SPEC), "--grid", "training.backend=tensorflow,jax"])
    assert code == EXIT_BAD_INPUT
    assert "training.backend cannot vary between trials" in capsys.readouterr().err


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_the_cli_sets_keras_backend_from_the_spec_before_keras_is_imported():
    # KERAS_BACKEND=tensorflow in the environment, as the Makefile exports it: the spec wins
    code = ("import sys; from pipelines.cli import main\n"
            f"assert main(['validate', {str(DIGITS_SPEC)!r}, '--set', 'training.backend=jax']) == 0\n"
            "import keras; print('backend', keras.backend.backend())")
    result = _python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "backend jax" in result.stdout


def _pytest_on_jax(selection: str, tests: int, **env: str) -> dict[str, int]:
    """Run the tests of tests/test_jax_contract.py matching `selection` in a process on JAX; passed and skipped."""
    environment = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-W", "ignore",
                             "-k", selection, "tests/test_jax_contract.py"], cwd=REPO, env=environment,
                            capture_output=True, text=True, timeout=JAX_SUBPROCESS_TIMEOUT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (passed|skipped)", result.stdout)}
    assert counts.get("passed", 0) + counts.get("skipped", 0) == tests, result.stdout[-3000:]
    return counts


@pytest.mark.slow
def test_the_task_contract_passes_on_jax():
    """tests/test_jax_contract.py's contract, for every task that runs on JAX, in a process on JAX."""
    assert _pytest_on_jax("task_contract_on_jax", len(ON_JAX)) == {"passed": len(ON_JAX)}


@pytest.mark.slow
def test_jax_trains_data_parallel_over_two_devices():
    """DataParallel (pipelines.jax_distribution) on two host CPU devices: fit, evaluation, export; and a run."""
    counts = _pytest_on_jax("data_parallel", 2, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert counts.get("passed", 0) >= 1  # the run's test skips until pipelines.strategy hands JAX over
