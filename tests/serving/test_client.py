from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from serving.client import latest_version_dir, predict_files, rest_predict, rest_request_body
from serving.rows_client import column_mismatch, predict_rows, rows_request


@pytest.fixture
def png_file(tmp_path, make_png):
    path = tmp_path / "sample.png"
    path.write_bytes(make_png(5))
    return path


def test_rest_body_is_tf_serving_row_format(png_file, make_png):
    body = rest_request_body([png_file])
    assert body["signature_name"] == "serving_default"
    assert list(body["instances"][0]) == ["image_bytes"]
    assert base64.b64decode(body["instances"][0]["image_bytes"]["b64"]) == make_png(5)
    json.dumps(body)


def test_rest_predict_posts_to_the_model_endpoint(png_file):
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["path"] = self.path
            seen["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = json.dumps({"predictions": [{"class_ids": 1, "class_names": "one"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        predictions = rest_predict(url, "tiny", [png_file], timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert predictions == [{"class_ids": 1, "class_names": "one"}]
    assert seen["path"] == "/v1/models/tiny:predict"
    assert seen["body"] == rest_request_body([png_file])


def test_latest_version_dir(published, tmp_path):
    model_dir, version_dir = published["model_dir"], published["version_dir"]
    assert latest_version_dir(model_dir) == version_dir
    assert latest_version_dir(version_dir) == version_dir
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        latest_version_dir(tmp_path)


def test_predict_files_matches_the_model(published, tiny_model, png_file, make_png):
    (result,) = predict_files(published["model_dir"], [str(png_file)])
    pixels = tf.io.decode_png(make_png(5)).numpy()[None].astype("float32") / 255.0
    expected = tiny_model.predict(pixels, verbose=0)[0]
    assert result["file"] == str(png_file)
    assert result["class_id"] == int(expected.argmax())
    assert result["class_name"] == ["zero", "one", "two"][result["class_id"]]
    np.testing.assert_allclose(result["probability"], expected.max(), rtol=1e-5)


def test_predict_files_names_unreadable_and_undecodable_files(published, png_file, tmp_path):
    missing = tmp_path / "missing.png"
    with pytest.raises(FileNotFoundError, match="missing.png"):
        predict_files(published["model_dir"], [str(png_file), str(missing)])
    not_png = tmp_path / "notes.txt"
    not_png.write_text("not an image")
    with pytest.raises(ValueError, match="notes.txt"):
        predict_files(published["model_dir"], [str(png_file), str(not_png)])


# --- Tabular rows: one named input per raw column ---------------------------------------------------------------
ROW_INPUTS = {
    "Horsepower": tf.TensorSpec([None], tf.float32, name="Horsepower"),
    "Weight": tf.TensorSpec([None], tf.float32, name="Weight"),
    "Origin": tf.TensorSpec([None], tf.string, name="Origin"),
}


class _RowModel(tf.Module):
    """Answers what it was sent: predictions = Horsepower + Weight (-1 where either is NaN), class_names = Origin."""

    @tf.function(input_signature=list(ROW_INPUTS.values()))
    def serve(self, Horsepower, Weight, Origin):  # noqa: N803  (input names are the raw column names)
        total = Horsepower + Weight
        predictions = tf.where(tf.math.is_nan(total), -tf.ones_like(total), total)
        probabilities = tf.stack([tf.fill(tf.shape(total), 0.25), tf.fill(tf.shape(total), 0.75)], axis=-1)
        return {
            "predictions": predictions,
            "class_names": tf.strings.join(["origin:", Origin]),
            "probabilities": probabilities,
            "embedding": tf.zeros([tf.shape(total)[0], 3]),  # several values per row: not shown
        }


@pytest.fixture(scope="module")
def row_export(tmp_path_factory):
    path = tmp_path_factory.mktemp("rows") / "cars" / "1"
    module = _RowModel()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    return path.parent


def test_rows_request_fills_each_input_from_its_column():
    frame = pd.DataFrame({
        "Horsepower": ["130", "", "fast", None],
        "Origin": [1.0, None, 3.0, 2.5],  # an integer column that pandas read as float because of a gap
        "Turbo": [True, False, True, False],
        "Name": ["a", "b", "c", "d"],
    })
    inputs = {**ROW_INPUTS, "Turbo": tf.TensorSpec([None, 1], tf.string)}
    batch = rows_request(inputs, frame)
    assert batch["Horsepower"].dtype == np.float32 and batch["Horsepower"].shape == (4,)
    np.testing.assert_array_equal(batch["Horsepower"], [130, np.nan, np.nan, np.nan])
    assert batch["Origin"].tolist() == ["1", "", "3", "2.5"]
    assert batch["Turbo"].shape == (4, 1) and batch["Turbo"][:, 0].tolist() == ["true", "false", "true", "false"]
    assert np.isnan(batch["Weight"]).all()  # no column: all missing
    assert "Name" not in batch
    assert column_mismatch(inputs, frame.columns) == (["Weight"], ["Name"])


def test_rows_request_refuses_gaps_in_integer_inputs():
    with pytest.raises(ValueError, match="'Cylinders'.*row\\(s\\) 2"):
        rows_request({"Cylinders": tf.TensorSpec([None], tf.int64)}, pd.DataFrame({"Cylinders": [4, None]}))
    batch = rows_request({"Cylinders": tf.TensorSpec([None], tf.int64)}, pd.DataFrame({"Cylinders": [4.0, 6.0]}))
    assert batch["Cylinders"].dtype == np.int64 and batch["Cylinders"].tolist() == [4, 6]


def test_predict_rows_sends_each_row_and_names_missing_and_extra_columns(row_export, tmp_path):
    csv = tmp_path / "new.csv"
    csv.write_text("Name,Horsepower,Origin\nford,130,USA\nvw,,\nfiat,n/a,Italy\n")
    notes = []
    rows = predict_rows(row_export, csv, note=notes.append)
    assert [r["row"] for r in rows] == [1, 2, 3]
    assert [r["predictions"] for r in rows] == [-1.0, -1.0, -1.0]  # Weight has no column: NaN
    assert [r["class_names"] for r in rows] == ["origin:USA", "origin:", "origin:Italy"]
    assert [r["probability"] for r in rows] == [0.75] * 3
    assert all(set(r) == {"row", "predictions", "class_names", "probability"} for r in rows)
    assert any("Weight" in n and "missing" in n for n in notes)
    assert any("Name" in n and "ignored" in n for n in notes)

    csv.write_text("Horsepower,Weight,Origin\n130,2.5,USA\n")
    notes.clear()
    (row,) = predict_rows(row_export / "1", csv, note=notes.append)
    assert row["predictions"] == pytest.approx(132.5) and notes == []


def test_predict_rows_refuses_an_image_export_and_an_empty_csv(published, row_export, tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="does not take table rows"):
        predict_rows(published["model_dir"], csv)
    csv.write_text("Horsepower,Origin\n")
    with pytest.raises(ValueError, match="no rows"):
        predict_rows(row_export, csv)


def test_kpipe_predict_rows_prints_one_line_per_row(row_export, tmp_path, capsys):
    from pipelines.cli import main

    csv = tmp_path / "new.csv"
    csv.write_text("Horsepower,Weight,Origin,Name\n130,2.5,USA,ford\n90,1.5,Japan,honda\n")
    assert main(["predict", str(row_export), "--rows", str(csv)]) == 0
    out, err = capsys.readouterr()
    assert "132.5000" in out and "91.5000" in out and "origin:Japan" in out and "0.7500" in out
    assert "Name" in err and "ignored" in err
    assert main(["predict", str(row_export), "--rows", str(csv), "--text", "hi"]) == 2
    assert "exactly one" in capsys.readouterr().err


def _recommender(folder):
    """A SavedModel whose `recommend(user_ids, k)` answers each user's first k of four items."""
    items = tf.constant(["i1", "i2", "i3", "i4"])

    class Recommender(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="user_ids"),
                                      tf.TensorSpec([], tf.int32, name="k")])
        def recommend(self, user_ids, k):
            top = tf.tile(items[None, :k], [tf.shape(user_ids)[0], 1])
            return {"item_ids": top, "scores": tf.ones(tf.shape(top), tf.float32)}

    module = Recommender()
    tf.saved_model.save(module, str(folder / "1"), signatures={"serving_default": module.recommend.get_concrete_function(),
                                                               "recommend": module.recommend.get_concrete_function()})
    return folder


def test_rows_go_to_a_named_signature_with_its_single_value_inputs_from_arguments(tmp_path, capsys):
    from pipelines.cli import main

    export = _recommender(tmp_path / "recommender")
    rows = tmp_path / "users.csv"
    rows.write_text("user_ids\nu1\nu2\n")
    answers = predict_rows(export, rows, signature="recommend", arguments={"k": "2"})
    assert [answer["item_ids"] for answer in answers] == ["i1, i2", "i1, i2"]
    with pytest.raises(ValueError, match=r"recommend takes one int32 'k' per request: give --arg k=VALUE"):
        predict_rows(export, rows, signature="recommend")
    with pytest.raises(ValueError, match=r"--arg n: recommend takes no single-value input of that name; .*: k"):
        predict_rows(export, rows, signature="recommend", arguments={"k": "2", "n": "1"})
    with pytest.raises(ValueError, match=r"--arg k=two: recommend.s k is int32"):
        predict_rows(export, rows, signature="recommend", arguments={"k": "two"})
    with pytest.raises(ValueError, match=r"has no signature 'score'; it has recommend, serving_default"):
        predict_rows(export, rows, signature="score")
    capsys.readouterr()
    assert main(["predict", str(export), "--rows", str(rows), "--signature", "recommend", "--arg", "k=3"]) == 0
    assert "i1, i2, i3" in capsys.readouterr().out
