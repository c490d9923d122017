"""`report.html`: one self-contained page a reviewer opens in the run's artifacts (MLflow previews it).

It holds the run's name, description and task; the resolved spec; a data summary; the headline
test metrics next to the baselines (the task's default metric first); the verdicts; every figure
the run logged (PNGs inlined as data URIs); where the time went; and, when the run exported, each
signature's inputs and outputs, a ready `curl` line for TF Serving's REST API and a table of the
export's answers to its own warmup requests (images as thumbnails, texts as text, numbers as cells).
No external links, scripts or fonts: inline CSS only.

`render_report` is a pure function of plain data (`Report`); `log_report` gathers that data at the
end of a run and logs the page with `tracker.log_text`.

Example:
    >>> page = render_report(Report(name="digits-cnn", task="image_classification",
    ...                             metrics={"test_accuracy": 0.9}, default_metric="test_accuracy"))
    >>> ">0.9</td>" in page and page.startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

import base64
import html
import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

REST_URL = "http://localhost:8501"
"""Where `docker compose up` (serving/docker-compose.yml) serves TF Serving's REST API."""

MAX_SAMPLES = 8
INLINE_B64_LIMIT = 2000
"""Image bytes longer than this (as base64) go into the curl line as `$(base64 -w0 <input>.png)`."""
PLACEHOLDER_LIMIT = 64
"""A signature without a sample whose input holds more values per row than this gets no curl line."""

IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF87a": "image/gif",
                    b"GIF89a": "image/gif", b"BM": "image/bmp"}


@dataclass
class Signature:
    """One export signature: inputs as name -> (dtype, shape with None for any size), output names."""

    name: str
    inputs: dict[str, tuple[str, list[int | None] | None]]
    outputs: list[str]


@dataclass
class Sample:
    """One warmup row: its inputs (bytes, str, numbers or lists of them) and the export's answer as text."""

    inputs: dict[str, Any]
    outputs: dict[str, str]


@dataclass
class Report:
    """What the page shows; every field is plain data."""

    name: str
    task: str
    description: str = ""
    spec_yaml: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    default_metric: str | None = None
    verdicts: list[str] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)
    timings: str = ""
    model_name: str = ""
    export_path: str = ""
    signatures: list[Signature] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:70em;
color:#222;line-height:1.4;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.task{color:#666}.description{font-size:1.1em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;
vertical-align:top}th{background:#f5f5f5}tr.default td{font-weight:bold}tr.baseline td{color:#555;background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f7f7f7;border:1px solid #e5e5e5;padding:.8em;overflow-x:auto;white-space:pre-wrap;
word-break:break-all}
figure{display:inline-block;margin:.5em;vertical-align:top}figure img{max-width:32em;border:1px solid #eee}
figcaption{color:#666;font-size:.9em}img.thumb{width:64px;height:auto;max-height:96px;image-rendering:pixelated}
ul.verdicts li{margin:.2em 0}
"""


def image_type(data: bytes) -> str | None:
    """The MIME type of encoded image bytes (PNG, JPEG, GIF, BMP, WebP), else None.

    Example:
        >>> image_type(b"\\x89PNG\\r\\n\\x1a\\n..."), image_type(b"hello")
        ('image/png', None)
    """
    for magic, mime in IMAGE_SIGNATURES.items():
        if data.startswith(magic):
            return mime
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _number(value: float) -> str:
    return "NaN" if isinstance(value, float) and math.isnan(value) else f"{value:.4g}"


def _metric_kind(name: str) -> str:
    if "baseline" not in name:
        return "model"
    return "margin" if "_over_" in name else "baseline"


def _metrics_table(metrics: dict[str, float], default: str | None) -> str:
    shown = {k: v for k, v in metrics.items() if k.startswith("test_") or "baseline" in k}
    order = {"model": 0, "baseline": 1, "margin": 2}
    names = sorted(shown, key=lambda k: (k != default, order[_metric_kind(k)]))  # stable: logged order within
    rows = []
    for name in names:
        kind = _metric_kind(name)
        css = "default" if name == default else ("baseline" if kind != "model" else "")
        label = {"model": "model", "baseline": "baseline", "margin": "margin over baseline"}[kind]
        rows.append(f'<tr class="{css}"><td>{html.escape(name)}</td><td class="num">{_number(shown[name])}</td>'
                    f"<td>{label}{' (default metric)' if name == default else ''}</td></tr>")
    if not rows:
        return "<p>No test metrics (no held-out split).</p>"
    return ("<table><tr><th>metric</th><th>value</th><th>kind</th></tr>" + "".join(rows) + "</table>")


def _data_table(data: dict[str, Any]) -> str:
    rows = []
    for key, value in data.items():
        if isinstance(value, (list, tuple)):
            shown = ", ".join(map(str, value[:50])) + (f", ... ({len(value)})" if len(value) > 50 else "")
        else:
            shown = str(value)
        rows.append(f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(shown)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>" if rows else "<p>No data summary.</p>"


def _is_binary(name: str, value: bytes) -> bool:
    if name.endswith("_bytes") or image_type(value):
        return True
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _cell(name: str, value: Any) -> str:
    """One input value as HTML: an image thumbnail, text, a number or the first few numbers."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bytes):
        mime = image_type(value)
        if mime:
            return f'<img class="thumb" alt="{html.escape(name)}" src="{data_uri(value, mime)}">'
        if _is_binary(name, value):
            return f"{len(value)} bytes"
        value = value.decode("utf-8")
    if isinstance(value, str):
        return html.escape(value if len(value) <= 300 else value[:300] + "...")
    if isinstance(value, list):
        flat = [v for v in _flatten(value)]
        text = ", ".join(_number(v) if isinstance(v, (int, float)) else str(v) for v in flat[:8])
        return html.escape(text + (f", ... ({len(flat)})" if len(flat) > 8 else ""))
    if isinstance(value, (int, float)):
        return _number(value)
    return html.escape(str(value))


def _flatten(value):
    for item in value:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _json_value(name: str, value: Any, files: dict[str, str]):
    """A row-format JSON value; long image bytes become a placeholder that `curl_line` swaps for a file."""
    if isinstance(value, list):
        return [_json_value(name, v, files) for v in value]
    if isinstance(value, bytes):
        if not _is_binary(name, value):
            return value.decode("utf-8")
        encoded = base64.b64encode(value).decode("ascii")
        if len(encoded) > INLINE_B64_LIMIT:
            files[name] = f"@@{name}@@"
            return {"b64": files[name]}
        return {"b64": encoded}
    return value


def _placeholder(name: str, dtype: str, shape: list[int | None] | None):
    if dtype == "string":
        value = b"\x89PNG" if name.endswith("_bytes") or "image" in name else b"text"
    elif dtype.startswith("float"):
        value = 0.0
    else:
        value = 0
    for size in reversed((shape or [None])[1:]):
        value = [value] * (size or 1)
    return value


def curl_line(model_name: str, signature: Signature, instance: dict[str, Any] | None = None,
              url: str = REST_URL) -> str:
    """A `curl` POST of one row-format instance to TF Serving's REST predict API.

    `instance` is one row of inputs (a warmup sample's); without it, placeholders by dtype. Image bytes
    go as `{"b64": ...}` (from `$(base64 -w0 <input>.png)` when long), texts as text, numbers as
    numbers, a missing number as NaN (which TF Serving's JSON parser reads).

    Example:
        >>> sig = Signature("serving_default", {"texts": ("string", [None])}, ["class_names"])
        >>> curl_line("sentiment", sig, {"texts": b"a lovely film"})
        'curl -X POST http://localhost:8501/v1/models/sentiment:predict -d \\'{"signature_name": "serving_default", "instances": [{"texts": "a lovely film"}]}\\''
    """
    if instance is None:
        instance = {name: _placeholder(name, dtype, shape) for name, (dtype, shape) in signature.inputs.items()}
    files: dict[str, str] = {}
    row = {name: _json_value(name, value, files) for name, value in instance.items()}
    body = json.dumps({"signature_name": signature.name, "instances": [row]})
    endpoint = f"{url}/v1/models/{model_name}:predict"
    if not files:
        return f"curl -X POST {endpoint} -d '" + body.replace("'", "'\\''") + "'"
    for char in ("\\", '"', "$", "`"):
        body = body.replace(char, "\\" + char)
    for name, marker in files.items():
        body = body.replace(marker, f"$(base64 -w0 {name}.png)")
    return f'curl -X POST {endpoint} -d "{body}"'


def _signatures_section(report: Report) -> str:
    if not report.signatures:
        return "<p>No export (export disabled, a gate failed, or no held-out split).</p>"
    parts = [f"<p>Version <code>{html.escape(report.export_path)}</code>, served as "
             f"<code>{html.escape(report.model_name)}</code>.</p>"]
    first = report.samples[0].inputs if report.samples else None
    for signature in report.signatures:
        inputs = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(dtype)}</td>"
            f"<td>{html.escape(str(shape) if shape is not None else 'unknown')}</td></tr>"
            for name, (dtype, shape) in signature.inputs.items())
        instance = first if first is not None and set(first) == set(signature.inputs) else None
        sizes = [math.prod(size or 1 for size in (shape or [None])[1:]) for _, shape in signature.inputs.values()]
        request = (f"<pre>{html.escape(curl_line(report.model_name, signature, instance))}</pre>"
                   if instance is not None or max(sizes, default=0) <= PLACEHOLDER_LIMIT else
                   "<p>Each instance is one value of each input's shape without the batch dimension.</p>")
        parts.append(
            f"<h3>{html.escape(signature.name)}</h3>"
            f"<table><tr><th>input</th><th>dtype</th><th>shape</th></tr>{inputs}</table>"
            f"<p>Outputs: {html.escape(', '.join(signature.outputs))}</p>{request}")
    return "".join(parts)


def _samples_table(samples: list[Sample]) -> str:
    if not samples:
        return "<p>No warmup requests in the export.</p>"
    inputs = list(dict.fromkeys(k for s in samples for k in s.inputs))
    outputs = list(dict.fromkeys(k for s in samples for k in s.outputs))
    head = "".join(f"<th>{html.escape(n)}</th>" for n in inputs) + "".join(
        f"<th>&rarr; {html.escape(n)}</th>" for n in outputs)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(n, s.inputs[n]) if n in s.inputs else ''}</td>" for n in inputs)
        + "".join(f"<td>{html.escape(s.outputs.get(n, ''))}</td>" for n in outputs) + "</tr>"
        for s in samples)
    return f"<table><tr>{head}</tr>{rows}</table>"


def render_report(report: Report) -> str:
    """The whole page: HTML with inline CSS and images, every text escaped."""
    e = html.escape
    figures = "".join(
        f'<figure><img alt="{e(name)}" src="{data_uri(png, image_type(png) or "image/png")}">'
        f"<figcaption>{e(name)}</figcaption></figure>" for name, png in report.figures.items())
    verdicts = ("<ul class=\"verdicts\">" + "".join(f"<li>{e(v)}</li>" for v in report.verdicts) + "</ul>"
                if report.verdicts else "<p>No verdicts.</p>")
    sections = [
        f"<h1>{e(report.name)}</h1><p class=\"task\">task: {e(report.task)}</p>",
        f"<p class=\"description\">{e(report.description)}</p>" if report.description else "",
        "<h2>Headline metrics</h2>", _metrics_table(report.metrics, report.default_metric),
        "<h2>Verdicts</h2>", verdicts,
        "<h2>Data</h2>", _data_table(report.data),
        "<h2>Figures</h2>", figures or "<p>No figures.</p>",
        f"<h2>Time</h2><p>{e(report.timings)}</p>" if report.timings else "",
        "<h2>Export</h2>", _signatures_section(report),
        "<h2>Sample predictions</h2>" if report.signatures else "",
        _samples_table(report.samples) if report.signatures else "",
        f"<h2>Spec</h2><pre>{e(report.spec_yaml)}</pre>" if report.spec_yaml else "",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(report.name)} report</title><style>{CSS}</style></head><body>\n"
            + "\n".join(s for s in sections if s) + "\n</body></html>\n")


def _plain(value):
    """A numpy value as plain Python (bytes stay bytes)."""
    import numpy as np

    value = np.asarray(value)
    return value.item() if value.ndim == 0 else value.tolist()


def export_summary(export_dir, limit: int = MAX_SAMPLES) -> tuple[list[Signature], list[Sample]]:
    """The signatures of an export and up to `limit` warmup rows with the export's answers to them."""
    import tensorflow as tf

    from serving.client import summarize_outputs
    from serving.loading import load_export
    from serving.warmup import read_warmup

    loaded = load_export(export_dir)
    signatures = []
    for name in sorted(loaded.signatures, key=lambda n: (n != "serving_default", n)):
        function = loaded.signatures[name]
        inputs = {key: (spec.dtype.name, spec.shape.as_list() if spec.shape.rank is not None else None)
                  for key, spec in function.structured_input_signature[1].items()}
        signatures.append(Signature(name, inputs, list(function.structured_outputs)))
    samples: list[Sample] = []
    try:
        logs = read_warmup(export_dir)
    except FileNotFoundError:
        logs = []
    for log in logs:
        if len(samples) >= limit or log.WhichOneof("log_type") != "predict_log":
            continue
        request = log.predict_log.request
        inputs = {key: tf.make_ndarray(proto) for key, proto in request.inputs.items()}
        answer = loaded.signatures[request.model_spec.signature_name or "serving_default"](
            **{key: tf.constant(value) for key, value in inputs.items()})
        answer = {key: value.numpy() for key, value in answer.items()}
        rows = len(next(iter(inputs.values())))
        for row in range(min(rows, limit - len(samples))):
            samples.append(Sample({k: _plain(v[row]) for k, v in inputs.items()}, summarize_outputs(answer, row)))
    return signatures, samples


def latest_of_each_series(figures: dict[str, bytes]) -> dict[str, bytes]:
    """The figures, a series of figures in one folder (one per epoch, `samples/epoch_003.png`) cut to its last.

    Example:
        >>> list(latest_of_each_series({"a.png": b"", "samples/epoch_001.png": b"", "samples/epoch_002.png": b""}))
        ['a.png', 'samples/epoch_002.png']
    """
    kept: dict[str, tuple[str, bytes]] = {}
    for name, png in figures.items():
        kept[name.rpartition("/")[0] or name] = (name, png)
    return dict(kept.values())


def gather_report(spec, prepared, result, figures: dict[str, bytes], timings=None) -> Report:
    """A run's `Report` from its spec, prepared data (`runner.PreparedData`), `RunResult` and figures."""
    import yaml

    examples = prepared.examples
    source = spec.data.source
    data = {"source": f"{source.type}" + (f" ({source.name})" if getattr(source, "name", None) else ""),
            "origin": examples.origin}
    for split, part in zip(("train", "validation", "test"), prepared.splits):
        data[f"{split} examples"] = len(part.labels)
    data["skipped records"] = examples.skipped
    if examples.class_names:
        data["classes"] = list(examples.class_names)
    report = Report(
        name=spec.tracking.run_name or spec.name, task=spec.task, description=spec.description,
        spec_yaml=yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), data=data,
        metrics=dict(result.metrics), default_metric=f"test_{prepared.task.metric}",
        verdicts=list(result.verdicts), figures=latest_of_each_series(figures),
        timings=timings.summary_line() if timings is not None else "", model_name=spec.model_name)
    if result.export_path is not None:
        report.export_path = str(result.export_path)
        report.signatures, report.samples = export_summary(result.export_path)
    return report


def log_report(tracker, spec, prepared, result, timings=None) -> None:
    """Log `report.html` into the run's artifacts; a failure is a warning, never a failed run."""
    from pipelines.timings import Timings
    from pipelines.tracking import TrackingWarning

    if not tracker.active:
        return
    timings = timings if timings is not None else Timings()
    with timings.phase("tracking"):
        try:
            page = render_report(gather_report(spec, prepared, result, getattr(tracker, "figures", {}), timings))
        except Exception as error:  # noqa: BLE001  (the report must never break a finished run)
            warnings.warn(f"report.html was not written: {error}", TrackingWarning, stacklevel=2)
            return
        tracker.log_text(page, "report.html")
