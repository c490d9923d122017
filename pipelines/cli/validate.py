"""`kpipe validate SPEC`: check a spec and print every problem at once."""

from __future__ import annotations

from pipelines.cli.common import EXIT_OK, add_spec_parser, load


def add_parser(commands) -> None:
    add_spec_parser(commands, "validate", run, "Check a spec and print every problem at once.")


def run(args) -> int:
    """Check a spec; print every problem with its key path."""
    spec = load(args)
    print(f"{args.spec}: ok ({spec.task}, {spec.data.source.type} source, {len(spec.stages)} stage{'s' * (len(spec.stages) != 1)})")
    return EXIT_OK
