"""The run's `servable` model is the export: raw PNG bytes and strings in, the export's answers out.

A digits run is served by a real `mlflow models serve` (loopback, a free port) and asked over
REST with a base64 PNG (`dataframe_split`, binary column). The sentiment run's servable is
loaded with `mlflow.pyfunc.load_model`, then promoted with `kpipe promote`, and
`models:/sentiment@champion` is served by a real scoring server and asked with strings in
TF Serving's row format (`instances`).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.helpers import REPO, TINY

SERVER_START_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: network (loopback)
        return json.loads(response.read())


def wait_for_ping(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mlflow models serve exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:  # noqa: network (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"mlflow models serve did not answer /ping in {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def scoring_server(model_uri: str, tracking_uri: str, log: Path):
    """`mlflow models serve` of `model_uri` on loopback and a free port; yields its URL, always stopped after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    bin_dir = str(Path(sys.executable).parent)  # the server execs `uvicorn` from PATH: this venv's
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri,
           "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    mlflow_cli = shutil.which("mlflow", path=bin_dir) or "mlflow"
    with log.open("w") as out:
        server = subprocess.Popen(
            [mlflow_cli, "models", "serve", "-m", model_uri, "--env-manager", "local", "-p", str(port),
             "-h", "127.0.0.1"],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_for_ping(server, url, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def export_answer(export_path, **inputs):
    """`serving_default` of the SavedModel export itself, on raw inputs."""
    import tensorflow as tf

    from serving.loading import load_export

    serve = load_export(export_path).signatures["serving_default"]
    return {k: v.numpy() for k, v in serve(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


@pytest.mark.slow
def test_servable_answers_raw_inputs_like_the_export(in_tmp_dir):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.utils.proto_json_utils import parse_tf_serving_input

    from pipelines.cli import main
    from pipelines.runner import run
    from pipelines.tracking_uri import default_tracking_uri
    from serving.warmup import read_warmup

    digits = copy.deepcopy(TINY)
    digits["training"]["epochs"] = 1
    digits["stages"] = [{"rescale": {"scale": 1 / 255}}]
    digits["tracking"] = {"log_model": True}
    sentiment = yaml.safe_load((REPO / "pipelines" / "specs" / "sentiment.yaml").read_text())
    sentiment["data"]["source"]["path"] = str(REPO / "data" / "samples" / "sentiment.csv")
    sentiment["training"]["epochs"] = 1
    sentiment["export"]["gates"] = []  # one epoch need not beat the baseline
    sentiment["tracking"]["log_model"] = True
    image_run, text_run = run(digits), run(sentiment)
    uri = default_tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)

    def logged_models(run_id):
        experiment = client.get_run(run_id).info.experiment_id
        return {m.name: m for m in client.search_logged_models([experiment],
                                                               filter_string=f"source_run_id = '{run_id}'")}

    servable = logged_models(image_run.run_id)["servable"]
    assert servable.tags["kpipe.export_version"] == image_run.export_path.name

    # the digits servable behind a real scoring server: a base64 PNG in a binary column
    png = read_warmup(image_run.export_path)[0].predict_log.request.inputs["image_bytes"].string_val[0]
    expected = export_answer(image_run.export_path, image_bytes=[png])
    with scoring_server(f"runs:/{image_run.run_id}/servable", uri, in_tmp_dir / "serve_digits.log") as url:
        body = {"dataframe_split": {"columns": ["image_bytes"], "data": [[base64.b64encode(png).decode()]]}}
        answer = post(f"{url}/invocations", body)["predictions"][0]
    assert answer["class_ids"] == int(expected["class_ids"][0])
    assert answer["class_names"] == expected["class_names"][0].decode()
    np.testing.assert_allclose(answer["probabilities"], expected["probabilities"][0], atol=1e-5)

    # the sentiment servable in process, then promoted: strings in, the export's class out
    texts = ["a lovely film, warm and funny", "dull, long and badly acted"]
    expected = export_answer(text_run.export_path, texts=texts)
    loaded = mlflow.pyfunc.load_model(f"runs:/{text_run.run_id}/servable")
    answer = loaded.predict(pd.DataFrame({"texts": texts}))
    assert answer["class_names"].tolist() == [name.decode() for name in expected["class_names"]]
    # an `instances` request, parsed as the scoring server parses it
    instances = parse_tf_serving_input({"instances": [{"texts": text} for text in texts]},
                                       loaded.metadata.get_input_schema())
    assert loaded.predict(instances)["class_ids"].tolist() == expected["class_ids"].tolist()

    assert main(["promote", "--run", text_run.run_id]) == 0
    version = client.get_model_version_by_alias("sentiment", "champion")
    assert version.tags["kpipe.export_version"] == text_run.export_path.name
    assert version.source == logged_models(text_run.run_id)["servable"].model_uri  # not the Keras `model`
    champion = mlflow.pyfunc.load_model("models:/sentiment@champion")
    answer = champion.predict(pd.DataFrame({"texts": texts}))
    assert answer["class_ids"].tolist() == expected["class_ids"].tolist()
    # the promoted servable behind a real scoring server: strings in TF Serving's row format
    with scoring_server("models:/sentiment@champion", uri, in_tmp_dir / "serve_sentiment.log") as url:
        answers = post(f"{url}/invocations", {"instances": [{"texts": text} for text in texts]})["predictions"]
    assert [row["class_names"] for row in answers] == [name.decode() for name in expected["class_names"]]
