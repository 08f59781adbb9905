"""``node.call(*args)`` / ``storage.call(*args)``: run a command-line tool on nodes,
written once as logic (see ``sansio``) for both APIs; only the step that runs the
process differs (``run_sync`` with ``subprocess``, ``run_async`` with
``asyncio.create_subprocess_exec``).

The rules, in one place:

* Every node argument becomes a local path in ONE private temporary folder (mode 0700,
  one subfolder per file so the tool sees the file's own name), removed afterwards
  whatever happens. Local mounts get a copy too: the tool never touches a stored file.
* A node that exists is copied there first. A node on a read-only mount (or a virtual
  node) is an input only: its copy is made read-only and never uploaded; a missing
  node on a read-only mount is refused before anything runs.
* Only when the command exits 0, each staged file of a writable mount that the command
  created or changed (size, mtime or inode differ) is uploaded through the store's
  atomic writer. Untouched inputs are not rewritten. On a non-zero exit
  ``subprocess.CalledProcessError`` is raised and no store is changed.
* Nodes over the same place (the same node twice, two mounts over one folder) share
  one local file.
* The child runs in its own session; a timeout, an interrupt or a cancelled task kills
  its whole process group, and nothing is uploaded. Uploading, once started, is
  finished even if the task is cancelled meanwhile (a commit point).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Any

from .config import require
from .exceptions import StorageConfigError, StorageError, StoragePermissionError
from .identity import Location
from .operations import CHUNK_SIZE, WriteHandle, info_or_none
from .sansio import Logic, Shielded, blocking, call

#: Keyword arguments the library decides itself (or that change what stdout is).
_RESERVED = (
    "args",
    "shell",
    "check",
    "capture_output",
    "start_new_session",
    "process_group",
    "preexec_fn",
    "text",
    "universal_newlines",
    "encoding",
    "errors",
)

Outcome = tuple[int, Any, Any]


@dataclass
class _Staged:
    node: Any  # the first node staged at this place
    local: str
    writer: Any  # the node to upload through (one on a writable mount), or None
    stamp: tuple[int, int, int] | None  # (size, mtime_ns, inode) after the copy


class CallPlan:
    """One call: its checked arguments and its private folder."""

    def __init__(
        self,
        node_type: type[Any],
        args: tuple[Any, ...],
        return_output: Any,
        kwargs: dict[str, Any],
    ) -> None:
        if not isinstance(return_output, bool):
            raise StorageConfigError(
                f"call() return_output must be True or False, not {return_output!r}"
            )
        if not args:
            raise StorageConfigError("call() needs a command: call('sort', node, ...)")
        for i, arg in enumerate(args):
            if isinstance(arg, (node_type, str, bytes, os.PathLike)):
                continue
            if isinstance(arg, int | float) and not isinstance(arg, bool):
                continue
            raise TypeError(
                f"call() argument {i} must be a {node_type.__name__}, str, bytes, path or "
                f"number, not {type(arg).__name__}"
            )
        for name in kwargs:
            if name in _RESERVED:
                raise StorageConfigError(f"call() does not accept {name}=: the library sets it")
        if return_output and kwargs.get("stdout") is not None:
            raise StorageConfigError("call() return_output=True captures stdout: drop stdout=")
        self.node_type = node_type
        self.args = args
        self.return_output = return_output
        self.timeout = _check_timeout(kwargs.pop("timeout", None))
        self.input = kwargs.pop("input", None)
        if self.input is not None:
            if not isinstance(self.input, bytes | bytearray | memoryview):
                raise TypeError(f"call() input must be bytes, not {type(self.input).__name__}")
            if kwargs.get("stdin") is not None:
                raise StorageConfigError("call() takes input= or stdin=, not both")
            self.input = bytes(self.input)
        self.kwargs = kwargs
        self.folder: str | None = None
        self._staged: dict[Location, _Staged] = {}

    # -- before --------------------------------------------------------------------
    def g_prepare(self) -> Logic[list[Any]]:
        """Stage every node argument; returns the command line."""
        self.folder = tempfile.mkdtemp(prefix="genro-storage-call-")  # mode 0700
        argv: list[Any] = []
        for arg in self.args:
            if isinstance(arg, self.node_type):
                argv.append((yield from self._stage(arg)))
            elif isinstance(arg, int | float):
                argv.append(str(arg))
            elif isinstance(arg, os.PathLike):
                # resolved here, so that an object refusing to be a path (a node of
                # another API) raises its own TypeError, not one from inside Popen
                argv.append(os.fspath(arg))
            else:
                argv.append(arg)
        return argv

    def _stage(self, node: Any) -> Logic[str]:
        place = node._backend.location(node.path)
        writable = _writable(node)
        known = self._staged.get(place)
        if known is not None:
            if (known.writer is not None) != writable:  # whichever comes first
                ro, rw = (known.node, node) if writable else (node, known.node)
                raise StorageConfigError(
                    f"call(): '{rw.fullpath}' and the read-only '{ro.fullpath}' "
                    "are one file; pass only the writable one"
                )
            return known.local
        found = yield from info_or_none(node)
        if found is not None and found.isdir:
            raise StorageError(f"call() takes files: '{node.fullpath}' is a folder")
        if found is None:
            require(node.config, "write", f"create '{node.fullpath}' with call()")
            if not writable:
                raise StoragePermissionError(
                    f"Mount '{node.mount}' is read-only: cannot create '{node.fullpath}'"
                    " with call()"
                )
        assert self.folder is not None
        sub = os.path.join(self.folder, str(len(self._staged)))
        os.mkdir(sub, 0o700)
        local = os.path.join(sub, _local_name(node.basename))
        stamp = None
        if found is not None:
            yield from _download(node, local)
            os.utime(local, ns=(0, 0))  # any write by the tool moves the mtime
            if not writable:
                os.chmod(local, stat.S_IRUSR)
                os.chmod(sub, stat.S_IRUSR | stat.S_IXUSR)  # not replaceable either
            stamp = _stamp(local)
        self._staged[place] = _Staged(node, local, node if writable else None, stamp)
        return local

    # -- after ---------------------------------------------------------------------
    def g_publish(self) -> Logic[None]:
        """Upload what the command created or changed (the command exited 0). Every
        output is checked first: one that is not a regular file (the command left a
        symlink or a folder there) fails the call before anything is uploaded."""
        changed = []
        for staged in self._staged.values():
            if staged.writer is None:
                continue
            now = _stamp(staged.local)
            if now is None or now == staged.stamp:
                continue  # not created, deleted, or untouched: the store keeps its file
            changed.append(staged)
        for staged in changed:
            yield from _upload(staged.local, staged.writer)

    def cleanup(self) -> None:
        """Remove the private folder, whatever the command left in it (read-only
        folders are made writable first; a symlink is removed, never followed)."""
        folder, self.folder = self.folder, None
        if folder is None:
            return
        for root, dirs, _ in os.walk(folder):  # top-down: a folder is opened after this
            for name in dirs:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    with contextlib.suppress(OSError):
                        os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(folder, ignore_errors=True)


def _writable(node: Any) -> bool:
    """Whether a staged copy of ``node`` is an output: the mount's permissions AND the
    store allow writes (an HTTP mount without ``writable`` is read-only whatever its
    permissions say), as ``node.capabilities`` tells."""
    return bool(node.config.can_write and node.capabilities.write)


def _check_timeout(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise StorageConfigError(f"call() timeout must be a number of seconds > 0, not {value!r}")
    return float(value)


def _local_name(basename: str) -> str:
    """The staged file's name: the node's own, unless the local disk cannot hold it (an
    object key's segment may be longer than a file name may be)."""
    name = basename or "data"
    if len(os.fsencode(name)) > 255:
        tail = os.path.splitext(name)[1]
        name = "data" + (tail if len(os.fsencode(tail)) <= 32 else "")
    return name


def _stamp(local: str) -> tuple[int, int, int] | None:
    """``(size, mtime_ns, inode)`` of a staged file, ``None`` if the command removed it;
    ``StorageError`` if it left something that is not a regular file there."""
    try:
        st = os.lstat(local)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise StorageError(
            f"call(): the command left a non-regular file at '{os.path.basename(local)}' "
            "(a symlink or a folder); nothing was uploaded"
        )
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _download(node: Any, local: str) -> Logic[None]:
    reader = yield call(node._backend.open_read, node.path)
    try:
        out = yield blocking(open, local, "xb")
        try:
            while chunk := (yield call(reader.read, CHUNK_SIZE)):
                yield blocking(out.write, chunk)
        finally:
            yield blocking(out.close)
    finally:
        yield call(reader.close)


def _open_regular(local: str) -> Any:
    """The staged file for reading, never through a symlink."""
    return os.fdopen(os.open(local, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def _upload(local: str, node: Any) -> Logic[None]:
    handle = WriteHandle(node, (yield call(node._backend.open_write, node.path)))
    try:
        source = yield blocking(_open_regular, local)
        try:
            while chunk := (yield blocking(source.read, CHUNK_SIZE)):
                yield from handle.g_write(chunk)
        finally:
            yield blocking(source.close)
    except BaseException:
        yield from handle.g_abort()
        raise
    yield from handle.g_close()


def run_call(plan: CallPlan, runner: Any) -> Logic[str | None]:
    """The whole call: stage, run (``runner(plan, argv)``), publish on exit 0, clean."""
    try:
        argv = yield from plan.g_prepare()
        code, out, err = yield call(runner, plan, argv)
        if code != 0:
            raise subprocess.CalledProcessError(code, argv, out, err)
        yield Shielded(plan.g_publish())
        if plan.return_output:
            return bytes(out or b"").decode("utf-8", "replace")
        return None
    finally:
        plan.cleanup()


def _not_started(plan: CallPlan, exc: Exception) -> StorageConfigError:
    """The process could not even start because of an argument of the wrong type or
    value (``cwd=5``, ``env=5``, a NUL in an argument): a library error naming what was
    passed, never the raw ``TypeError``/``AttributeError`` from inside ``subprocess``.
    Only keyword names are shown: their values (``env``) may hold secrets."""
    names = ", ".join(f"{k}=" for k in sorted(plan.kwargs)) or "none"
    return StorageConfigError(
        f"call() could not start the command: {type(exc).__name__}: {exc}"
        f" (check the arguments and the keyword arguments given: {names})"
    )


def _kill_group(pid: int) -> None:
    """Kill the child's whole process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_sync(plan: CallPlan, argv: list[Any]) -> Outcome:
    """Run the command with ``subprocess`` (the sync API)."""
    kwargs = dict(plan.kwargs)
    if plan.return_output:
        kwargs["stdout"] = subprocess.PIPE
    if plan.input is not None:
        kwargs["stdin"] = subprocess.PIPE
    try:
        proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    except (TypeError, ValueError, AttributeError) as exc:
        raise _not_started(plan, exc) from None
    try:
        out, err = proc.communicate(plan.input, timeout=plan.timeout)
    except BaseException:
        _kill_group(proc.pid)
        with contextlib.suppress(Exception):
            proc.communicate()
        raise
    return proc.returncode, out, err


async def run_async(plan: CallPlan, argv: list[Any]) -> Outcome:
    """Run the command with ``asyncio.create_subprocess_exec`` (the async API)."""
    kwargs = dict(plan.kwargs)
    if plan.return_output:
        kwargs["stdout"] = asyncio.subprocess.PIPE
    if plan.input is not None:
        kwargs["stdin"] = asyncio.subprocess.PIPE
    try:
        proc = await asyncio.create_subprocess_exec(*argv, start_new_session=True, **kwargs)
    except (TypeError, ValueError, AttributeError) as exc:
        raise _not_started(plan, exc) from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(plan.input), plan.timeout)
    except BaseException as exc:
        _kill_group(proc.pid)
        with contextlib.suppress(Exception):
            await proc.wait()
        if isinstance(exc, TimeoutError):
            assert plan.timeout is not None
            raise subprocess.TimeoutExpired(argv, plan.timeout) from None
        raise
    assert proc.returncode is not None
    return proc.returncode, out, err
