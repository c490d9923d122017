"""The `kpipe` parser: one module per command, assembled from `COMMANDS`, cheap to start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipelines.cli as cli

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_module_adds_its_parser_and_runs():
    names = [module.__name__.rpartition(".")[2] for module in cli.COMMANDS]
    assert names == ["init", "run", "validate", "schema", "components", "predict", "sweep", "compare", "promote",
                     "tracking_upload"]
    parser = cli.build_parser()
    for module, name in zip(cli.COMMANDS, names):
        assert callable(module.add_parser) and callable(module.run)
        argv = {"run": ["run", "s.yaml"], "validate": ["validate", "s.yaml"], "sweep": ["sweep", "s.yaml"],
                "init": ["init", "data.csv"], "predict": ["predict", "export"], "promote": ["promote", "--run", "x"],
                "tracking_upload": ["tracking", "upload", "x.pending"]}
        args = parser.parse_args(argv.get(name, [name]))
        assert args.command == name.partition("_")[0] and args.handler is module.run


def test_help_and_module_entry_point_import_no_tensorflow_or_mlflow():
    code = ("import sys; from pipelines.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
            "heavy = {'tensorflow', 'keras', 'mlflow', 'pandas'} & set(sys.modules)\n"
            "assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for name in ("init", "run", "validate", "predict", "promote"):
        assert name in result.stdout
    module = subprocess.run([sys.executable, "-m", "pipelines.cli", "predict", "--help"], cwd=ROOT,
                            capture_output=True, text=True)
    assert module.returncode == 0 and "--rows" in module.stdout


@pytest.mark.parametrize("argv", [["export"], ["export", "a.png", "--text", "hi"], ["export", "--text", "hi",
                                                                                    "--rows", "r.csv"]])
def test_predict_takes_exactly_one_kind_of_input(argv, capsys):
    assert cli.main(["predict", *argv]) == cli.EXIT_BAD_INPUT
    assert "exactly one" in capsys.readouterr().err
