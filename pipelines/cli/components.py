"""`kpipe components`: every registered source, stage, backbone, task, callback... with its options."""

from __future__ import annotations

from pipelines.cli.common import EXIT_OK, console


def add_parser(commands) -> None:
    commands.add_parser("components", help="List registered components and options.").set_defaults(handler=run)


def describe_options(options) -> str:
    """`name=default, ...` for an options model; required fields without a default."""
    parts = []
    for name, field in options.model_fields.items():
        default = "" if field.is_required() else f"={field.get_default(call_default_factory=True)!r}"
        parts.append(f"{name}{default}")
    return ", ".join(parts) or "-"


def run(args) -> int:
    """List every registered component with its options and summary."""
    from rich.table import Table

    from pipelines import components, registry  # noqa: F401  (components fills the registries)
    from pipelines.spec import spec_model

    spec_model()
    out = console()
    for kind, reg in registry.ALL.items():
        table = Table(title=f"{kind}s", title_justify="left", show_lines=False)
        table.add_column("name", style="bold")
        table.add_column("what it does")
        table.add_column("options")
        for component in reg:
            table.add_row(component.name, component.summary, describe_options(component.options))
        out.print(table)
    return EXIT_OK
