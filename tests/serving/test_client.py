from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
import tensorflow as tf

from serving.client import latest_version_dir, predict_files, rest_predict, rest_request_body


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
