"""The statsmodels source: real series read offline from the package, with timestamps and the missing policy."""

import socket

import numpy as np
import pytest

from data.sources.statsmodels import DATASETS, StatsmodelsOptions, load_statsmodels


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to connect fails the test: the datasets must come from the installed package."""

    def refuse(*args, **kwargs):
        raise AssertionError("the statsmodels source tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize("name, steps, first, step", [
    ("co2", 2284, "1958-03-29", np.timedelta64(7, "D")),
    ("sunspots", 309, "1700-01-01", None),
    ("nile", 100, "1871-01-01", None),
    ("elnino", 61 * 12, "1950-01-01", None),
    ("macrodata", 203, "1959-01-01", None),
])
def test_each_dataset_loads_offline_as_one_dated_series(name, steps, first, step):
    examples = load_statsmodels(StatsmodelsOptions(name=name))
    assert examples.kind == "series" and examples.labels.tolist() == [name]
    values, times = examples.inputs[0], examples.timestamps[0]
    assert values.shape == (steps, 1) and np.isfinite(values).all() and len(times) == steps
    assert str(times[0])[:10] == first and np.all(np.diff(times) > np.timedelta64(0))
    if step is not None:
        assert np.all(np.diff(times) == step)


def test_co2_reports_its_missing_weeks_and_the_policy_applies(capsys):
    filled = load_statsmodels(StatsmodelsOptions(name="co2"))
    assert "statsmodels: co2: 59 missing values of 'co2'" in capsys.readouterr().err
    forward = load_statsmodels(StatsmodelsOptions(name="co2", missing="ffill"))
    assert not np.array_equal(filled.inputs[0], forward.inputs[0])
    with pytest.raises(ValueError, match="statsmodels: co2: 59 missing values .* the first at 1958-05-10"):
        load_statsmodels(StatsmodelsOptions(name="co2", missing="error"))


def test_elnino_is_read_month_after_month():
    examples = load_statsmodels(StatsmodelsOptions(name="elnino"))
    times = examples.timestamps[0]
    assert [str(t)[:7] for t in times[10:14]] == ["1950-11", "1950-12", "1951-01", "1951-02"]
    assert examples.columns == {"temperature": "target"}


def test_macrodata_columns_as_target_and_covariates():
    examples = load_statsmodels(StatsmodelsOptions(name="macrodata", target_column="realcons",
                                                   covariate_columns=["realdpi", "cpi"]))
    assert examples.columns == {"realcons": "target", "realdpi": "covariate", "cpi": "covariate"}
    assert examples.inputs[0].shape == (203, 3) and str(examples.timestamps[0][1])[:10] == "1959-04-01"
    with pytest.raises(ValueError, match="macrodata has no column 'gdp'; did you mean 'realgdp'"):
        load_statsmodels(StatsmodelsOptions(name="macrodata", target_column="gdp"))


def test_unknown_dataset_is_refused_by_the_options():
    with pytest.raises(ValueError):
        StatsmodelsOptions(name="airline")
    assert sorted(DATASETS) == ["co2", "elnino", "macrodata", "nile", "sunspots"]
