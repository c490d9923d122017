"""What a reviewer sees: the MLflow UI's run page and report.html, rendered by headless Chromium.

One tiny digits run (one epoch, export on, no logged model, a `description`) is tracked in a
sqlite store in the test's folder; `mlflow server` serves that store on a free loopback port
(waited for at most 60 s, always terminated). Chromium (`chromium` or `chromium-browser`, the
Debian package `chromium`) then checks, with the test skipped and the reason given where no
Chromium is on PATH or it does not start:

1. The run page `http://127.0.0.1:<port>/#/experiments/<experiment_id>/runs/<run_id>`, through
   `--dump-dom --virtual-time-budget=15000` (the React UI renders in that time): the DOM holds
   the description, the "Datasets" section, the first dataset as `digits (<digest[:12]>)` with
   its context ("training"), and "+2" for the other two, which MLflow 3.17 folds away.
2. The same page through `--screenshot`: a non-empty PNG (signature and size checked) in tmp.
3. The same page driven over the DevTools protocol (`--remote-debugging-pipe`, standard
   library only): a click on "+2" opens the list of the other datasets, and the page text then
   shows all three, `digits (<digest[:12]>)` each followed by its context (Training,
   Validation, Test), the digests being those of the run's three dataset inputs. A screenshot of
   that state is also saved (`run_page_datasets.png`) and checked as a PNG.
4. report.html, downloaded with MlflowClient and opened as `file://...` with `--dump-dom`: the
   description, the "Headline metrics" table with `test_accuracy` as its first row.
"""

from __future__ import annotations

import base64
import copy
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import TINY

DESCRIPTION = "Screenshot check: a tiny digits CNN."
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--hide-scrollbars", "--window-size=1400,1000"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chromium_or_skip() -> str:
    """The Chromium binary, after a start that dumps about:blank; skips the test with the reason otherwise."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("headless Chromium is not installed: neither `chromium` nor `chromium-browser` is on PATH "
                    "(Debian: apt-get install chromium)")
    try:
        done = subprocess.run([binary, *CHROMIUM_FLAGS, "--dump-dom", "about:blank"], capture_output=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"headless Chromium ({binary}) could not start: {error}")
    if done.returncode != 0 or b"<html" not in done.stdout:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        pytest.skip(f"headless Chromium ({binary}) could not start (exit {done.returncode}): {' | '.join(tail)}")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dump_dom(binary: str, url: str, budget_ms: int = 15000) -> str:
    done = subprocess.run([binary, *CHROMIUM_FLAGS, f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                          capture_output=True, timeout=90)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode("utf-8", errors="replace")


def screenshot(binary: str, url: str, path: Path, budget_ms: int = 15000) -> None:
    done = subprocess.run([binary, *CHROMIUM_FLAGS, f"--virtual-time-budget={budget_ms}", f"--screenshot={path}",
                           url], capture_output=True, timeout=90, cwd=path.parent)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 10_000, f"{path}: {len(data)} bytes, not a rendered PNG"


class DevTools:
    """The DevTools protocol over `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, binary: str, profile: Path):
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Lift the child's ends above any fd the test process holds, so moving them to 3 and 4 clobbers neither.
        high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 100)
        high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 100)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def child_fds():
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=child_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(high_r)
        os.close(high_w)
        self.out, self.inp, self.buffer, self.next_id, self.session = to_chrome_w, from_chrome_r, b"", 0, None

    def call(self, method: str, timeout: float = 30, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" not in self.buffer:
                assert time.monotonic() < deadline, f"no answer to {method} in {timeout} s"
                chunk = os.read(self.inp, 1 << 20)
                assert chunk, "Chromium closed the DevTools pipe"
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.next_id:
                assert "error" not in answer, answer["error"]
                return answer["result"]

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for_text(self, predicate, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.evaluate("document.body ? document.body.innerText : ''") or ""
            if predicate(text):
                return text
            time.sleep(0.3)
        raise AssertionError(f"page text never matched in {timeout} s; it ends: {text[-1500:]!r}")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.out)
        os.close(self.inp)


def start_server(store: str, port: int, log: Path) -> subprocess.Popen:
    """`mlflow server` on loopback in its own process group (it runs its web workers as children)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", store, "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_healthy(server: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"mlflow server exited {server.returncode}: {log.read_text()[-2000:]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:  # noqa: network (loopback)
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"mlflow server not healthy in {timeout} s: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_run_page_and_report_show_description_datasets_and_headline(tmp_path):
    binary = chromium_or_skip()
    from mlflow import MlflowClient

    from pipelines.runner import run

    spec = copy.deepcopy(TINY)
    spec["description"] = DESCRIPTION
    spec["training"]["epochs"] = 1
    spec["stages"] = [{"rescale": {"scale": 1 / 255}}]
    spec["tracking"] = {"log_model": False, "tracking_uri": f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"}
    (tmp_path / "store").mkdir()
    result = run(spec)
    assert result.export_path
    client = MlflowClient(result.tracking_uri)
    mlflow_run = client.get_run(result.run_id)
    datasets = {tag.value: inp.dataset for inp in mlflow_run.inputs.dataset_inputs for tag in inp.tags
                if tag.key == "mlflow.data.context"}
    assert sorted(datasets) == ["test", "training", "validation"]

    port = free_port()
    log = tmp_path / "mlflow_server.log"
    server = start_server(result.tracking_uri, port, log)
    try:
        wait_healthy(server, port, log)
        url = f"http://127.0.0.1:{port}/#/experiments/{mlflow_run.info.experiment_id}/runs/{result.run_id}"

        # 1. The rendered DOM of the run page.
        dom = dump_dom(binary, url)
        assert DESCRIPTION in dom, "description missing from the run page"
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", "", dom, flags=re.S)))
        assert "Datasets" in text
        first = datasets["training"]
        assert f"{first.name} ({first.digest[:12]}) training +2" in text, text[text.find("Datasets"):][:300]

        # 2. A screenshot of it.
        shot = tmp_path / "run_page.png"
        screenshot(binary, url, shot)
        assert_png(shot)

        # 3. All three datasets, after a click on "+2".
        browser = DevTools(binary, tmp_path / "chromium_profile")
        try:
            browser.open(url)
            browser.wait_for_text(lambda t: "Datasets" in t and "+2" in t and DESCRIPTION in t)
            clicked = browser.evaluate(
                "(() => { const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === '+2');"
                " if (!b) return false; b.click(); return true; })()")
            assert clicked, "no '+2' button next to the first dataset"
            shown = {context: f"{d.name} ({d.digest[:12]})\n{context.capitalize()}" for context, d in datasets.items()}
            page = browser.wait_for_text(lambda t: all(s in t for s in shown.values()), timeout=15)
            assert all(s in page for s in shown.values())
            picture = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
            (tmp_path / "run_page_datasets.png").write_bytes(picture)
            assert_png(tmp_path / "run_page_datasets.png")
        finally:
            browser.close()
    finally:
        stop_server(server)

    # 4. report.html as a file.
    report = Path(client.download_artifacts(result.run_id, "report.html", str(tmp_path)))
    dom = dump_dom(binary, report.resolve().as_uri(), budget_ms=2000)
    assert DESCRIPTION in dom
    assert "<h2>Headline metrics</h2>" in dom
    assert re.search(r"<tr class=\"default\"><td>test_accuracy</td>", dom), "test_accuracy is not the first row"
