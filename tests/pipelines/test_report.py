"""report.html: a self-contained page of a run (pure rendering, then one tiny digits run)."""

import base64
import io
import json
import math
import re
import shlex

import pytest

from pipelines.report import Report, Sample, Signature, curl_line, image_type, render_report


def png_bytes(size: int = 4) -> bytes:
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size), 128, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def curl_body(line: str) -> dict:
    """The JSON body of a curl line, as the shell would pass it (command substitutions left as text)."""
    words = shlex.split(line)
    return json.loads(words[words.index("-d") + 1], parse_constant=lambda c: float(c))


def test_render_escapes_text_and_embeds_images_without_external_links():
    png = png_bytes()
    page = render_report(Report(
        name="run <1>", task="image_classification", description="uses <script>alert(1)</script> & more",
        spec_yaml="name: a<b\n", data={"origin": "digits", "classes": ["<x>", "y"]},
        metrics={"test_majority_baseline_accuracy": 0.1, "test_loss": 0.5, "test_accuracy": 0.91,
                 "val_accuracy": 0.8},
        default_metric="test_accuracy", verdicts=["Neural model accuracy 0.91 beat every baseline <b>"],
        figures={"training_curves.png": png}, timings="data 1.0 s · total 2.0 s",
    ))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "run &lt;1&gt;" in page and "name: a&lt;b" in page and "&lt;x&gt;" in page
    assert "beat every baseline &lt;b&gt;" in page and "data 1.0 s · total 2.0 s" in page
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in page
    assert not re.search(r"(href|src)=\"(https?:)?//", page) and "<link" not in page
    rows = re.findall(r"<tr class=\"(\w*)\"><td>(\w+)</td>", page)
    assert rows[0] == ("default", "test_accuracy")  # the default metric first, then the model, then baselines
    assert rows[-1] == ("baseline", "test_majority_baseline_accuracy")
    assert "val_accuracy" not in page.split("<h2>Verdicts")[0]


def test_curl_line_for_each_input_kind():
    small = png_bytes()
    big = png_bytes(200) + b"\0" * 3000
    image = Signature("serving_default", {"image_bytes": ("string", [None])}, ["class_names"])
    body = curl_body(curl_line("digits", image, {"image_bytes": small}))
    assert body == {"signature_name": "serving_default",
                    "instances": [{"image_bytes": {"b64": base64.b64encode(small).decode()}}]}
    line = curl_line("digits", image, {"image_bytes": big})
    assert "$(base64 -w0 image_bytes.png)" in line and line.startswith(
        "curl -X POST http://localhost:8501/v1/models/digits:predict")
    assert curl_body(line)["instances"][0]["image_bytes"] == {"b64": "$(base64 -w0 image_bytes.png)"}

    text = Signature("serving_default", {"texts": ("string", [None])}, ["class_names"])
    assert curl_body(curl_line("sentiment", text, {"texts": "it's <fine>".encode()}))["instances"] == [
        {"texts": "it's <fine>"}]

    table = Signature("serving_default", {"Horsepower": ("float32", [None, 1]), "Origin": ("string", [None, 1])},
                      ["predictions"])
    row = curl_body(curl_line("mpg", table, {"Horsepower": [math.nan], "Origin": [b"USA"]}))["instances"][0]
    assert math.isnan(row["Horsepower"][0]) and row["Origin"] == ["USA"]
    assert "NaN" in curl_line("mpg", table, {"Horsepower": [math.nan], "Origin": [b"USA"]})

    placeholders = curl_body(curl_line("mpg", table))["instances"][0]
    assert placeholders == {"Horsepower": [0.0], "Origin": ["text"]}


def test_samples_show_images_texts_and_cells():
    png = png_bytes()
    signature = Signature("serving_default", {"image_bytes": ("string", [None]), "note": ("string", [None]),
                                              "x": ("float32", [None, 1])}, ["class_names"])
    page = render_report(Report(name="r", task="t", model_name="m", export_path="/m/1", signatures=[signature],
                                samples=[Sample({"image_bytes": png, "note": b"a & b", "x": [math.nan]},
                                                {"class_names": "3"})]))
    table = page.split("<h2>Sample predictions</h2>")[1]
    assert '<img class="thumb"' in table and "a &amp; b" in table and "<td>NaN</td>" in table
    assert "<td>3</td>" in table and "curl -X POST" in page and image_type(png) == "image/png"


@pytest.mark.usefixtures("in_tmp_dir")
def test_a_tiny_run_logs_a_report(fast_spec, monkeypatch):
    from mlflow import MlflowClient

    from pipelines.runner import run

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    spec = {**fast_spec, "description": "Tiny <CNN> for the report test."}
    result = run(spec)
    client = MlflowClient(result.tracking_uri)
    page = (client.download_artifacts(result.run_id, "report.html"))
    page = open(page, encoding="utf-8").read()
    assert "Tiny &lt;CNN&gt; for the report test." in page
    assert "<h2>Headline metrics</h2>" in page and '<tr class="default"><td>test_accuracy</td>' in page
    assert "test_majority_baseline_accuracy" in page
    assert page.count("<img") >= 3  # training curves, confusion matrix, a thumbnail of a warmup image
    assert "data:image/png;base64," in page and "serving_default" in page and "curl -X POST" in page
    assert '<img class="thumb"' in page


def test_a_large_tensor_signature_gets_no_placeholder_curl_line():
    images = Signature("predict_tensor", {"images": ("float32", [None, 224, 224, 3])}, ["class_ids"])
    small = Signature("predict_features", {"features": ("float32", [None, 4])}, ["class_ids"])
    page = render_report(Report(name="r", task="t", model_name="m", export_path="/m/1", signatures=[images, small]))
    assert page.count("curl -X POST") == 1 and "&quot;features&quot;: [0.0, 0.0, 0.0, 0.0]" in page
