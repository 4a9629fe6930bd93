"""`hilo serve` end to end: embedded PostgreSQL up, ready, and stopped again on shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if (
            proc.info["name"] == "postgres"
            and str(data_dir) in cmdline
            and proc.info["status"] != psutil.STATUS_ZOMBIE
        ):
            found.append(proc)
    return found


def wait_ready(url: str, proc: subprocess.Popen[str], seconds: float) -> httpx.Response | None:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            last = httpx.get(url, timeout=5)
            if last.status_code == 200:
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    return last


def test_serve_starts_embedded_postgres_is_ready_and_stops_it_on_shutdown(tmp_path):
    # Outside pytest's 0700 base temp (see test_readyz): the server runs as `pgserver`.
    data_dir = (Path(tempfile.mkdtemp(prefix="hilo-serve-")) / "hilo-data").resolve()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HILO_DATA_DIR")}
    env |= {"HILO_DATA_DIR": str(data_dir), "HILO_LOG_FORMAT": "text"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=tmp_path,  # no .env of the checkout
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/readyz", proc, 60)
        running_postgres = postgres_processes(data_dir)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()

    assert ready is not None and ready.status_code == 200, output
    assert running_postgres, "the embedded PostgreSQL should run under HILO_DATA_DIR"
    assert proc.returncode == 0, output
    deadline = time.monotonic() + 10
    while postgres_processes(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert postgres_processes(data_dir) == [], "serve left its embedded PostgreSQL running"


def test_serve_with_an_unreachable_database_says_so_in_one_line_and_exits_1(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://hilo@127.0.0.1:{free_port()}/hilo",
        "HILO_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert any("cannot connect to PostgreSQL" in line and "DATABASE_URL" in line for line in lines)
