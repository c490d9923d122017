"""The outbox of a remote tracker, without a server: order, retries, what is left behind and its upload."""

import threading

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from pipelines.tracking_buffer import Outbox, read_pending, unreachable, upload


@pytest.mark.parametrize(("error", "expected"), [
    (requests.ConnectionError("Max retries exceeded with url"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (MlflowException("API request to http://x/api/2.0/mlflow/runs/log-batch failed with exception "
                     "HTTPConnectionPool: Max retries exceeded"), True),
    (MlflowException("API request to endpoint /runs/log-batch failed with error code 503 != 200"), True),
    (MlflowException("Changing param values is not allowed. Param with key='a' was already logged"), False),
    (ValueError("bad value"), False),
])
def test_only_an_unreachable_server_is_worth_retrying(error, expected):
    assert unreachable(error) is expected


class FlakyServer:
    """Refuses the first `refusals` sends, then takes records; remembers what it took, in order."""

    def __init__(self, refusals):
        self.refusals = refusals
        self.taken = []
        self.lock = threading.Lock()

    def send(self, record):
        with self.lock:
            if self.refusals:
                self.refusals -= 1
                raise requests.ConnectionError("Connection refused")
            if record.get("bad"):
                raise MlflowException("INVALID_PARAMETER_VALUE: a bad value")
            self.taken.append(record)


def header():
    return {"tracking_uri": "http://127.0.0.1:9", "run_id": "r1", "experiment": "buffered", "run_name": "buffered",
            "start_time": 1, "tags": {"owner": "me"}}


def test_records_wait_for_the_server_and_go_in_order(tmp_path, capsys):
    server = FlakyServer(refusals=3)
    outbox = Outbox(tmp_path / "r1.pending", header(), server.send, wait_s=30, retry_every_s=0.05)
    for step in range(5):
        outbox.put("metrics", items=[["loss", 1.0 / (step + 1), 1000 + step, step]])
    with pytest.warns(UserWarning, match="a bad value"):
        outbox.put("tags", items={"x": "y"}, bad=True)  # refused for good: dropped with a warning
        assert outbox.close("FINISHED")
    assert [r["items"][0][3] for r in server.taken if r["op"] == "metrics"] == [0, 1, 2, 3, 4]
    assert server.taken[-1] == {"op": "end", "status": "FINISHED"}
    assert not (tmp_path / "r1.pending").exists()
    err = capsys.readouterr().err
    assert "is unreachable" in err and "is back" in err


def test_a_server_that_stays_away_leaves_the_records_and_the_command(tmp_path, capsys):
    server = FlakyServer(refusals=10**6)
    folder = tmp_path / "r1.pending"
    outbox = Outbox(folder, header(), server.send, wait_s=0.2, retry_every_s=0.05)
    outbox.put("params", items={"training.epochs": "2"})
    for step in range(3):
        outbox.put("metrics", items=[["val_loss", 0.5, 1000 + step, step]])
    outbox.put("tags", items={"kpipe.task": "image_classification"})
    (outbox.slot("spec.yaml")).write_text("name: buffered\n")
    outbox.put("artifact", file="files/00001/spec.yaml", path=None)
    assert not outbox.close("FINISHED")
    assert f"kpipe tracking upload {folder}" in capsys.readouterr().err
    run, records, sent = read_pending(folder)
    assert (run["run_id"], len(records), sent) == ("r1", 7, 0)

    local = f"sqlite:///{tmp_path}/local.db"
    run_id = upload(folder, local)
    client = MlflowClient(local)
    record = client.get_run(run_id)
    assert record.info.status == "FINISHED" and record.info.run_name == "buffered"
    assert record.data.params == {"training.epochs": "2"}
    assert record.data.tags["owner"] == "me" and record.data.tags["kpipe.task"] == "image_classification"
    assert [m.step for m in client.get_metric_history(run_id, "val_loss")] == [0, 1, 2]
    assert [a.path for a in client.list_artifacts(run_id)] == ["spec.yaml"]
    assert not folder.exists()


def test_upload_of_a_folder_that_is_not_one_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run's pending records folder"):
        upload(tmp_path)
