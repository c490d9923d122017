"""`kpipe schema`: print the spec's JSON Schema (for editors with a YAML language server), one branch per task."""

from __future__ import annotations

import json

from pipelines.cli.common import EXIT_OK


def add_parser(commands) -> None:
    commands.add_parser("schema", help="Print the spec's JSON Schema.").set_defaults(handler=run)


def run(args) -> int:
    """Print the spec's JSON Schema (for editors with a YAML language server)."""
    from pydantic import TypeAdapter

    from pipelines import components  # noqa: F401  (fills the registries)
    from pipelines.spec import spec_union

    schema = TypeAdapter(spec_union()).json_schema()
    print(json.dumps({"title": "Spec", **schema}, indent=2))
    return EXIT_OK
