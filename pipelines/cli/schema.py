"""`kpipe schema`: print the spec's JSON Schema (for editors with a YAML language server)."""

from __future__ import annotations

import json

from pipelines.cli.common import EXIT_OK


def add_parser(commands) -> None:
    commands.add_parser("schema", help="Print the spec's JSON Schema.").set_defaults(handler=run)


def run(args) -> int:
    """Print the spec's JSON Schema (for editors with a YAML language server)."""
    from pipelines import components  # noqa: F401  (fills the registries)
    from pipelines.spec import spec_model

    print(json.dumps(spec_model().model_json_schema(), indent=2))
    return EXIT_OK
