"""A process that used the obstore engine exits cleanly (status 0, never SIGABRT).

obstore's coroutines complete on its tokio runtime's threads, which release the GIL
inside ``loop.call_soon_threadsafe`` and take it once more to return; a program that
ended meanwhile aborted in ``Py_Finalize`` ("Fatal Python error: Aborted", 4-13 % of
short processes in the reproduction). The library settles those threads at exit
(``_shared/nativeexit.py``).

Short processes run against the suite's moto server: the async API (calls that complete,
calls cancelled in flight), the command line, and the sync API. Most run with the race
made certain rather than rare: ``exitrace`` (below) holds each runtime thread out of the
GIL for a moment after it posts a result, and keeps the interpreter's teardown busy for
longer than that, so a runtime thread left behind asks for the GIL while the interpreter
finalizes, which kills the process every time (without the rule 8 and 10 of these 25
runs died in two runs of the test: SIGABRT, a few SIGBUS). A few run as they are.
"""

from __future__ import annotations

import _thread
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cloud_mounts
import pytest
import yaml

from genro_storage._shared import nativeexit

ROOT = Path(__file__).resolve().parent.parent

#: Imported first by a raced child. Instrumentation only (no library code changed):
#: a thread Python did not start sleeps 0.1 s without the GIL after waking the loop, and
#: the interpreter's teardown releases the GIL for 0.3 s (a finalizer collected by its
#: last garbage collection), so a thread still away at exit comes back mid-teardown.
EXITRACE = """
import asyncio.selector_events, atexit, threading, time

_write = asyncio.selector_events.BaseSelectorEventLoop._write_to_self

def _write_to_self(self):
    _write(self)
    if threading.get_ident() not in {t.ident for t in threading.enumerate()}:
        time.sleep(0.1)

asyncio.selector_events.BaseSelectorEventLoop._write_to_self = _write_to_self

class _SlowTeardown:
    def __del__(self):
        time.sleep(0.3)

def _cycle():  # registered first: runs after the library's exit hooks
    slow = _SlowTeardown()
    slow.cycle = slow

atexit.register(_cycle)
"""

ASYNC_CHILD = """
import asyncio, sys
from genro_storage.async_ import AsyncStorageManager

async def main(name, cancel):
    node = AsyncStorageManager(sys.argv[1]).node(f"s3:{name}")
    if not cancel:
        await node.write_bytes(b"hello")
        assert await node.read_bytes() == b"hello"
        assert name in [e.name for e in (await node.parent.list()).entries]
        await node.info()
        return
    for delay in (0, 0.0005, 0.002):  # a HEAD cancelled in flight, at different points
        task = asyncio.ensure_future(node.exists())
        await asyncio.sleep(delay)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

asyncio.run(main(sys.argv[2], sys.argv[3] == "cancel"))
"""

SYNC_CHILD = """
import sys
from genro_storage import StorageManager

node = StorageManager(sys.argv[1]).node(f"s3:{sys.argv[2]}")
node.write_bytes(b"hello")
assert node.read_bytes() == b"hello"
"""

#: The raced runs, then a few as they are: (kind, raced).
RUNS = [(kind, True) for kind in ("async", "cli-ls", "cli-cp", "cancel", "sync") * 4] + [
    ("async", False),
    ("cli-cp", False),
    ("async", False),
    ("cancel", False),
    ("cli-ls", False),
]


def command(kind: str, raced: bool, config: Path, work: Path, i: int) -> list[str]:
    """The child's command line; a raced child imports ``exitrace`` before anything."""
    name = f"f{i}.txt"
    if kind.startswith("cli"):
        args = ["ls", "s3:"] if kind == "cli-ls" else ["cp", str(work / "src.txt"), f"s3:{name}"]
        run = (
            "import runpy, sys; sys.argv = ['genro-storage', *sys.argv[1:]];"
            " runpy.run_module('genro_storage.cli', run_name='__main__', alter_sys=True)"
        )
        code = f"import exitrace; {run}" if raced else run
        return [sys.executable, "-c", code, *args]
    script = work / ("sync.py" if kind == "sync" else "async.py")
    body = f"import exitrace, runpy, sys; runpy.run_path({str(script)!r}, run_name='__main__')"
    head = ["-c", body] if raced else [str(script)]
    return [sys.executable, *head, str(config), name, kind]


def test_short_processes_on_the_obstore_engine_exit_cleanly(s3_server: Any, tmp_path: Path):
    work = tmp_path
    config = work / "mounts.yaml"
    mount = cloud_mounts.s3_mount(s3_server, "s3", f"exit-{uuid.uuid4().hex[:8]}", engine="obstore")
    config.write_text(yaml.safe_dump([mount]), "utf-8")
    (work / "exitrace.py").write_text(EXITRACE, "utf-8")
    (work / "async.py").write_text(ASYNC_CHILD, "utf-8")
    (work / "sync.py").write_text(SYNC_CHILD, "utf-8")
    (work / "src.txt").write_text("x", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENRO_STORAGE_DEBUG")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(work)])
    env["GENRO_STORAGE_CONFIG"] = str(config)
    env["PYTHONFAULTHANDLER"] = "1"  # an abort says so on stderr

    def run(i: int) -> tuple[str, bool, int, str]:
        kind, raced = RUNS[i]
        done = subprocess.run(
            command(kind, raced, config, work, i),
            cwd=work,
            env=env,
            capture_output=True,
            timeout=120,
        )
        return kind, raced, done.returncode, done.stderr.decode(errors="replace")

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, range(len(RUNS))))

    failed = [(kind, raced, code, err[-600:]) for kind, raced, code, err in results if code]
    assert not failed, f"{len(failed)} of {len(results)} exited badly: {failed}"
    assert len(results) == 25
    assert not any("Fatal Python error" in err for *_, err in results)
    listed = subprocess.run(
        command("cli-ls", False, config, work, 0), cwd=work, env=env, capture_output=True
    )
    assert listed.returncode == 0
    # every write landed: the async children's and the command line's copies
    names = set(listed.stdout.decode().split())
    for i, (kind, _) in enumerate(RUNS):
        if kind in ("async", "cli-cp", "sync"):
            assert any(f"f{i}.txt" in n for n in names), (i, kind, names)


def test_settle_waits_for_threads_python_did_not_start(monkeypatch: pytest.MonkeyPatch):
    """A thread started without ``threading`` (as a native runtime's are) holding a
    Python thread state keeps settle() waiting, up to its grace; once it has left,
    settle() returns. Threads of ``threading`` never count."""
    monkeypatch.setattr(nativeexit, "_used", True)
    monkeypatch.setattr(nativeexit, "_last_end", 0.0)
    idle, stop = threading.Event(), threading.Event()
    python_thread = threading.Thread(target=stop.wait)
    python_thread.start()
    left = threading.Event()

    def foreign() -> None:
        idle.set()
        stop.wait()
        left.set()

    ident = _thread.start_new_thread(foreign, ())
    try:
        idle.wait()
        states = nativeexit.foreign_thread_states()
        assert ident in states
        assert python_thread.ident not in states
        assert threading.get_ident() not in states
        assert nativeexit.settle(grace=0.05) is False  # bounded: it gives up
    finally:
        stop.set()
        python_thread.join()
    left.wait()
    assert nativeexit.settle(grace=5) is True
    assert ident not in nativeexit.foreign_thread_states()


def test_settle_is_immediate_in_a_process_without_native_calls(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(nativeexit, "_used", False)
    stop = threading.Event()
    _thread.start_new_thread(stop.wait, ())
    try:
        assert nativeexit.settle(grace=0) is True  # a foreign thread, but no native call
    finally:
        stop.set()
