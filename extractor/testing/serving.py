"""`extractor serve` (or any command that serves HTTP) as a subprocess, for the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def extractor_command(python: Path | None = None) -> list[str]:
    """The `extractor` script beside the interpreter (or `python -c` when it is missing)."""
    python = python or Path(sys.executable)
    executable = python.with_name("extractor")
    return [str(executable)] if executable.exists() else [
        str(python), "-c", "from extractor.cli import cli; cli()"]


@dataclass
class Served:
    """A serving subprocess, its address and everything it printed."""

    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return "".join(self.output)

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 10) -> None:
        """Send ``sig`` to the whole process group, then SIGKILL it if it is still there."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def start_serving(arguments: Sequence[str], port: int, *, cwd: Path | None = None,
                  env: dict[str, str] | None = None, ready_path: str = "/-/versions.json",
                  timeout: float = 30) -> Served:
    """Start the command in its own process group and wait until ``ready_path`` answers 200."""
    environment = env if env is not None else {
        k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    process = subprocess.Popen(list(arguments), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=environment, cwd=cwd,
                               start_new_session=True)
    served = Served(process, port)
    reader = threading.Thread(target=lambda: served.output.extend(process.stdout or []),
                              daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            reader.join(2)
            raise RuntimeError(f"{arguments[0]} exited {process.returncode}:\n{served.text()}")
        try:
            with urllib.request.urlopen(served.base + ready_path, timeout=1) as response:
                if response.status == 200:
                    return served
        except OSError:
            pass
        if time.monotonic() > deadline:
            served.stop(signal.SIGKILL)
            raise RuntimeError(f"{arguments[0]} did not answer in {timeout:.0f} s:\n"
                               f"{served.text()}")
        time.sleep(0.1)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler for the test servers: HTTP/1.1, no request log, Nagle off (headers
    and body go out in two writes: with Nagle's algorithm on, the body would wait for the
    client's delayed ACK, about 40 ms a call on loopback, a latency of the harness, not of the
    pipeline)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep pytest output clean


class LoopbackServer:
    """A test HTTP server on 127.0.0.1 served from a daemon thread: ``base_url``, ``start``,
    ``stop`` (the replay server and the fake Batch API share this)."""

    def __init__(self, httpd: Any, name: str) -> None:
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(target=httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True, name=name)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

