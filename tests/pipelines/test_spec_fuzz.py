"""Fuzzing `kpipe validate`: random, partly wrong specs get exit 0 or 2 and a message, never a traceback."""

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.cli import main
from tests.helpers import DIGITS_SPEC

BASE = yaml.safe_load(DIGITS_SPEC.read_text())

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["adam", "sklearn", "resize", "builtin", "cnn", "auto", "ünïcødé ✓", "1e-3", "-1", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


ALL_PATHS = [p for p in paths(BASE) if p]

mutation = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(ALL_PATHS), values),
    st.tuples(st.just("delete"), st.sampled_from(ALL_PATHS), st.none()),
    st.tuples(st.just("add"), st.sampled_from(ALL_PATHS), values),
)


def mutate(spec, change):
    kind, path, value = change
    parent = spec
    for part in path[:-1]:
        if not isinstance(parent, (dict, list)):
            return
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if not isinstance(parent, (dict, list)):
        return
    try:
        if kind == "set":
            parent[last] = value
        elif kind == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"{last}_extra"] = value
    except (KeyError, IndexError, TypeError):
        return


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(mutation, max_size=4))
def test_validate_answers_every_spec_with_exit_0_or_2(changes, tmp_path_factory, in_tmp_dir, capsys):
    spec = copy.deepcopy(BASE)
    for change in changes:
        mutate(spec, change)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert (out if code == 0 else err).strip()
    assert "Traceback" not in err
    assert list(in_tmp_dir.iterdir()) == []
    assert [p.name for p in folder.iterdir()] == ["spec.yaml"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_validate_answers_any_file_content(text, tmp_path_factory, capsys):
    path = tmp_path_factory.mktemp("fuzz") / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err
