"""A team's tracking server for the tests: PostgreSQL and `mlflow server --serve-artifacts` on loopback.

`tracking_server` (session-scoped) starts PostgreSQL 15 from the Debian package (`initdb` and
`pg_ctl` as the `postgres` user, a data folder and socket folder it owns, a free port on
127.0.0.1) and an `mlflow server` whose backend store is that database and whose artifacts it
proxies (`mlflow-artifacts:/...`), and stops both at the end. Tests that stop the server and
start it again (`server.stop()`, `server.start()`) get the same URI back. Where PostgreSQL or
psycopg2 is not installed, the tests that use it are skipped, saying which is missing.

Use it by importing the fixture into a test module:
    from tests.tracking_server import tracking_server  # noqa: F401  (a pytest fixture)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("KPIPE_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL command as the `postgres` OS user (PostgreSQL refuses root)."""
    prefix = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, check=True, timeout=60, **kwargs)


def missing() -> str | None:
    """Why a PostgreSQL-backed server cannot be started here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL is not installed ({PG_BIN}/initdb missing; apt-get install postgresql)"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 is not installed (pip install psycopg2-binary, in the dev extra)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser, so PostgreSQL cannot be started as its own user"
    return None


class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1:`port` with a database `mlflow`."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(root, PG_USER)

    def start(self) -> None:
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", PG_USER, "-A", "trust",
                     "--no-sync", "-E", "UTF8")
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"), "-w",
                     "-o", f"-h 127.0.0.1 -p {self.port} -k {self.root} -F", "start")
        _as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "mlflow")

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{self.port}/mlflow"

    def stop(self) -> None:
        try:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (subprocess.SubprocessError, OSError):
            pass


class MlflowServer:
    """`mlflow server` on 127.0.0.1:`port`: a backend store URI and proxied artifacts in `artifacts`."""

    def __init__(self, backend_uri: str, root: Path):
        self.backend_uri = backend_uri
        self.artifacts = root / "artifacts"
        self.log = root / "mlflow-server.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as answer:  # noqa: network (loopback)
                return answer.status == 200
        except OSError:
            return False

    def start(self) -> None:
        """Start the server (again, on the same port) and wait for /health."""
        mlflow = Path(sys.executable).with_name("mlflow")
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        env.pop("MLFLOW_TRACKING_URI", None)
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [str(mlflow), "server", "--backend-store-uri", self.backend_uri, "--serve-artifacts",
                 "--artifacts-destination", str(self.artifacts), "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", "1"],
                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text()[-3000:]
                raise RuntimeError(f"mlflow server did not start on {self.uri}:\n{tail}")
            time.sleep(0.25)

    def stop(self) -> None:
        """Stop the server and every process it started; its port refuses connections after this."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None


class TrackingServer:
    """PostgreSQL plus the mlflow server in front of it; `uri` is what clients use."""

    def __init__(self, root: Path):
        self.root = root
        self.postgres = Postgres(root / "postgres")
        self.server = MlflowServer("", root)

    @property
    def uri(self) -> str:
        return self.server.uri

    @property
    def artifacts(self) -> Path:
        return self.server.artifacts

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def up(self) -> "TrackingServer":
        self.postgres.start()
        self.server.backend_uri = self.postgres.uri
        self.server.start()
        return self

    def down(self) -> None:
        self.server.stop()
        self.postgres.stop()


@pytest.fixture(scope="session")
def tracking_server():
    """A running PostgreSQL-backed `mlflow server --serve-artifacts` on loopback, for the whole session."""
    reason = missing()
    if reason:
        pytest.skip(f"no PostgreSQL-backed tracking server: {reason}")
    root = Path(tempfile.mkdtemp(prefix="kpipe-tracking-server-"))
    root.chmod(0o755)  # the postgres user reaches its folder inside
    (root / "postgres").mkdir()
    server = TrackingServer(root)
    try:
        server.up()
    except (subprocess.SubprocessError, OSError, RuntimeError) as error:
        server.down()
        detail = getattr(error, "stderr", "") or ""
        raise RuntimeError(f"could not start the tracking server: {error} {detail}") from error
    yield server
    server.down()
    shutil.rmtree(root, ignore_errors=True)
