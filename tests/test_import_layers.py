"""The import contract: layers point one way.

    core     pipelines.{registry, options, spec, spec_unions, sweep_spec, spec_distribution, spec_errors, gates, backend}
    data     data/**                                   may import core, data
    models   models/** except models/tasks/**          may import core, models
    tasks    models/tasks/**                           may import core, data, models, tasks
    serving  serving/**                                may import serving only
    app      the rest of pipelines/, benchmarks/       may import anything

Every `import`/`from ... import` node counts, wherever it sits (module top,
function body, `if TYPE_CHECKING:`), relative imports resolved. The checker
parses source with `ast` and never imports it, so this test is fast.
"""

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "data", "models", "serving")
OURS = (*PACKAGES, "benchmarks")
CORE = frozenset(
    f"pipelines.{name}" for name in ("registry", "options", "spec", "spec_unions", "sweep_spec", "spec_distribution",
                                     "spec_errors", "gates", "backend")
)
ALLOWED = {
    "core": {"core"},
    "data": {"core", "data"},
    "models": {"core", "models"},
    "tasks": {"core", "data", "models", "tasks"},
    "serving": {"serving"},
    "app": {"core", "data", "models", "tasks", "serving", "app"},
}


def layer(module: str) -> str:
    """The layer of a dotted module name of ours."""
    top = module.split(".")[0]
    if top == "pipelines":
        return "core" if _within(module, CORE) else "app"
    if top == "models" and _within(module, {"models.tasks"}):
        return "tasks"
    return {"data": "data", "models": "models", "serving": "serving"}.get(top, "app")


def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _python_files(root: Path) -> list[Path]:
    """Tracked (and new, not ignored) .py files under our packages; a plain walk outside git."""
    if (root / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *PACKAGES],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout
        paths = {root / p for p in out.split("\0") if p.endswith(".py")}
        return sorted(p for p in paths if p.is_file())
    return sorted(
        p for pkg in PACKAGES for p in (root / pkg).rglob("*.py") if "__pycache__" not in p.parts
    )


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]):
    """(line, imported module) for every import node, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                # `from pkg import sub` imports the submodule pkg.sub when there is one.
                sub = f"{target}.{alias.name}"
                yield node.lineno, sub if sub in known else target


def violations(root: Path) -> list[str]:
    """Every import of ours that crosses a layer the wrong way, as `module:line imports X (...)`."""
    root = Path(root)
    files = _python_files(root)
    names = {path: _module_name(root, path) for path in files}
    known = {name for name, _ in names.values()}
    found = []
    for path, (module, is_package) in names.items():
        source_layer = layer(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, target in sorted(set(_imports(tree, module, is_package, known))):
            if target.split(".")[0] not in OURS:
                continue
            target_layer = layer(target)
            if target_layer not in ALLOWED[source_layer]:
                found.append((path.relative_to(root).as_posix(), line,
                              f"imports {target} (layer {source_layer} may not import layer {target_layer})"))
    return [f"{name}:{line} {what}" for name, line, what in sorted(found)]


def test_the_tree_keeps_its_layers():
    found = violations(ROOT)
    assert not found, "import layer violations:\n" + "\n".join(found)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_checker_catches_a_forbidden_import_inside_a_function(tmp_path):
    root = _tree(tmp_path, {
        "pipelines/__init__.py": "",
        "pipelines/runner.py": "",
        "pipelines/registry.py": "",
        "data/__init__.py": "",
        "data/x.py": "from pipelines import registry\n\ndef f():\n    from pipelines import runner\n",
    })
    assert violations(root) == [
        "data/x.py:4 imports pipelines.runner (layer data may not import layer app)"
    ]


def test_checker_resolves_relative_and_type_checking_imports(tmp_path):
    root = _tree(tmp_path, {
        "pipelines/__init__.py": "",
        "pipelines/spec.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import components\n",
        "pipelines/components.py": "",
        "data/__init__.py": "",
        "models/__init__.py": "",
        "models/plots.py": "from ..data import annotations\n",
        "models/tasks/__init__.py": "",
        "models/tasks/t.py": "from .. import plots\nfrom data import annotations\nimport serving.export\n",
        "serving/__init__.py": "",
        "serving/export.py": "import pipelines\n",
    })
    assert violations(root) == [
        "models/plots.py:1 imports data (layer models may not import layer data)",
        "models/tasks/t.py:3 imports serving.export (layer tasks may not import layer serving)",
        "pipelines/spec.py:3 imports pipelines.components (layer core may not import layer app)",
        "serving/export.py:1 imports pipelines (layer serving may not import layer app)",
    ]
