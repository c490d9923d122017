"""Per-phase timings: the Timings clock on its own, then one tiny run that records them."""

import time

import pytest

from pipelines.timings import Timings, process_age


def test_a_phase_is_timed_and_adds_up_when_it_runs_again():
    timings = Timings()
    with timings.phase("plots"):
        time.sleep(0.02)
    with timings.phase("plots"):
        time.sleep(0.02)
    assert timings.seconds["plots"] >= 0.04
    assert list(timings.seconds) == ["plots"]


def test_a_phase_that_raises_is_still_timed():
    timings = Timings()
    with pytest.raises(RuntimeError), timings.phase("data"):
        raise RuntimeError("bad record")
    assert "data" in timings.seconds


def test_parts_are_printed_within_their_phase_and_left_out_of_the_sum():
    timings = Timings()
    timings.add("data", 1.23)
    timings.add("first_epoch", 4.1, within="training")
    timings.add("training", 12.0)
    timings.add("export_write", 1.0, within="export")
    timings.add("export_verify", 1.5, within="export")
    timings.add("export", 3.0)
    timings.add("model_logging", 0.5)
    assert timings.summary_line() == ("data 1.2 s · training 12.0 s (first epoch 4.1 s) · "
                                      "export 3.0 s (write 1.0 s, verify 1.5 s) · model logging 0.5 s")
    assert timings.covered() == pytest.approx(1.23 + 12.0 + 3.0 + 0.5)


def test_metric_names_and_the_total():
    timings = Timings()
    timings.add("startup", 2.0)
    timings.add("input_pipeline", 0.25)
    assert timings.as_metrics() == {"time_startup_s": 2.0, "time_input_pipeline_s": 0.25}
    timings.finish()
    assert set(timings.as_metrics()) == {"time_startup_s", "time_input_pipeline_s", "time_total_s"}
    assert timings.summary_line().startswith("start-up 2.0 s · input pipeline 0.2 s · total ")


def test_startup_runs_from_the_clock_start():
    timings = Timings(origin=time.perf_counter() - 5.0)
    timings.since_start("startup")
    assert 5.0 <= timings.seconds["startup"] < 6.0


def test_the_process_clock_starts_before_now():
    age = process_age()
    if age is None:
        pytest.skip("no /proc/self/stat here")
    assert 0 < age < 24 * 3600
    assert Timings.from_process_start().origin <= time.perf_counter() - age + 0.05


def test_the_keras_callback_times_compile_training_and_the_first_epoch():
    import keras
    import numpy as np

    timings = Timings()
    callback = timings.keras_callback()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=2, verbose=0, callbacks=[callback])
    assert set(timings.seconds) == {"compile", "first_epoch", "training"}
    assert timings.seconds["first_epoch"] <= timings.seconds["training"]
    assert timings.parents == {"first_epoch": "training"}


def test_the_profiler_records_steps_and_a_profiler_that_cannot_start_is_skipped(tmp_path, monkeypatch):
    import keras
    import numpy as np
    import tensorflow as tf

    from pipelines.timings import profiler_callback

    def fit(folder):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(np.zeros((64, 3)), np.zeros((64, 1)), batch_size=8, epochs=1, verbose=0,
                  callbacks=[profiler_callback(folder)])

    fit(tmp_path / "profile")
    assert list((tmp_path / "profile").rglob("*.xplane.pb"))

    def refuse(*args, **kwargs):
        raise RuntimeError("no profiler here")

    monkeypatch.setattr(tf.profiler.experimental, "start", refuse)
    with pytest.warns(UserWarning, match="without a profile"):
        fit(tmp_path / "none")
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
def test_kpipe_run_profile_logs_the_trace_and_prints_the_time_row(tiny_spec, in_tmp_dir, capsys, monkeypatch):
    import yaml
    from mlflow import MlflowClient

    from pipelines.cli import main
    from pipelines.tracking_uri import default_tracking_uri

    tiny_spec["training"]["epochs"] = 1
    tiny_spec["tracking"] = {"log_model": False}
    tiny_spec["export"]["enabled"] = False
    (in_tmp_dir / "tiny.yaml").write_text(yaml.safe_dump(tiny_spec))
    monkeypatch.setenv("COLUMNS", "400")  # the time row on one line
    assert main(["run", "tiny.yaml", "--profile"]) == 0
    out = capsys.readouterr().out
    (time_row,) = [line for line in out.splitlines() if line.startswith("│ time ")]
    assert "start-up" in time_row and "(first epoch" in time_row and "total" in time_row
    client = MlflowClient(default_tracking_uri())
    (record,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert [a.path for a in client.list_artifacts(record.info.run_id)].count("profile") == 1
    # main() called inside this test process: start-up is counted from the call, not the process start
    assert record.data.metrics["time_startup_s"] < record.data.metrics["time_total_s"]


@pytest.mark.slow
def test_a_run_records_its_phases_in_the_result_and_in_mlflow(tiny_spec, in_tmp_dir):
    from mlflow import MlflowClient

    from pipelines.runner import run
    from pipelines.tracking_uri import default_tracking_uri

    tiny_spec["training"]["epochs"] = 1
    started = time.perf_counter()
    result = run(tiny_spec)
    wall = time.perf_counter() - started

    phases = {"startup", "data", "input_pipeline", "fingerprint", "model", "compile", "training", "first_epoch",
              "evaluation", "plots", "export", "export_write", "export_verify", "export_publish", "model_logging"}
    assert phases <= set(result.timings)
    metrics = MlflowClient(default_tracking_uri()).get_run(result.run_id).data.metrics
    for name in phases | {"total"}:
        assert metrics[f"time_{name}_s"] == pytest.approx(result.timings[name], abs=1e-3)
    top_level = sum(s for name, s in result.timings.items()
                    if name != "total" and name != "first_epoch" and not name.startswith("export_"))
    assert top_level <= result.timings["total"] <= wall
    assert result.timings["first_epoch"] <= result.timings["training"]
    parts = sum(s for name, s in result.timings.items() if name.startswith("export_"))
    assert parts <= result.timings["export"]
