"""Training output: a progress bar on a terminal, a line per epoch in a log, nothing under `kpipe run --quiet`."""

import sys

import pytest
import yaml
from mlflow import MlflowClient

from pipelines.cli import build_parser, main
from pipelines.tracking_uri import default_tracking_uri
from pipelines.training import keras_verbose


@pytest.mark.parametrize(("tty", "expected"), [(True, 1), (False, 2)])
def test_auto_is_a_progress_bar_on_a_terminal_and_a_line_per_epoch_otherwise(monkeypatch, tty, expected):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert keras_verbose("auto") == expected


@pytest.mark.parametrize("tty", [True, False])
@pytest.mark.parametrize("setting", [0, 1, 2])
def test_a_number_is_kept_whatever_stdout_is(monkeypatch, tty, setting):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert keras_verbose(setting) == setting


def test_auto_without_isatty_is_a_line_per_epoch(monkeypatch):
    monkeypatch.setattr(sys, "stdout", object())
    assert keras_verbose("auto") == 2


@pytest.mark.parametrize(("flags", "expected"), [(["--quiet"], "0"), (["--verbose"], "1"), ([], "2")])
def test_quiet_and_verbose_override_the_spec_as_a_set_would(monkeypatch, flags, expected):
    """The flags become a `training.verbose` override, applied last, so they win over the file and --set."""
    from pipelines.cli import run as run_command

    seen = {}

    def fake_load(args):
        seen["set"] = list(args.set or [])
        raise SystemExit(0)

    monkeypatch.setattr(run_command, "load", fake_load)
    args = build_parser().parse_args(["run", "spec.yaml", "--set", "training.verbose=2", *flags])
    with pytest.raises(SystemExit):
        args.handler(args)
    overrides = dict(item.split("=", 1) for item in seen["set"])
    assert overrides["training.verbose"] == expected
    assert seen["set"][0] == "training.verbose=2"


def test_quiet_and_verbose_together_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["run", "spec.yaml", "--quiet", "--verbose"])
    assert raised.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_kpipe_run_quiet_prints_no_epoch_line_and_logs_verbose_0(tiny_spec, in_tmp_dir, capfd):
    tiny_spec["training"].update(epochs=1, verbose="auto")  # auto: a line per epoch here, stdout is no terminal
    tiny_spec["tracking"] = {"log_model": False}
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(tiny_spec))
    assert main(["run", "tiny.yaml", "--quiet"]) == 0
    out = capfd.readouterr().out
    assert "Epoch" not in out
    assert "run id" in out  # the summary is still printed
    client = MlflowClient(default_tracking_uri())
    run = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])[0]
    assert run.data.params["training.verbose"] == "0"
