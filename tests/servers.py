"""Real storage servers for the test suite, started and stopped by the test run.

One class per server; each has ``start()``/``stop()``, works as a context manager
and exposes what a client needs (endpoint URL, credentials, connection string):

* :class:`S3Server`    -- moto's standalone server (or an external S3 such as MinIO
  when ``GENRO_STORAGE_TEST_S3_ENDPOINT``/``_KEY``/``_SECRET`` are set).
* :class:`AzureServer` -- Azurite blob service, installed with
  ``npm install --prefix tests/azurite``.
* :class:`GCSServer`   -- gcp-storage-emulator, in memory.
* :class:`HTTPServer`  -- an aiohttp file server in its own thread (Range, HEAD, ETag,
  optional PUT/DELETE, nginx-style autoindex listings with sizes, optional latency).
* :class:`StdlibHTTPServer` -- ``python -m http.server`` over a folder: no Range, no
  ETag, folders redirected to ``dir/``, listings without sizes.
* :class:`HostileHTTPServer` -- an aiohttp server that lies: ignores Range, announces
  more bytes than it sends, gzip bombs, endless bodies, redirects across origins and
  schemes (listening on two ports: two origins).

Every server listens on a free port of 127.0.0.1, is polled until it really answers
and, once stopped, leaves no process, temporary folder or bound port behind.

Importing this module sets ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`` (unless already
set): otherwise gcsfs uses its ExtendedGcsFileSystem, which probes each bucket's type
over gRPC/TLS, which the emulator cannot answer, and stalls up to 60 s per bucket. gcsfs
reads the variable when it is imported, so import this module first (conftest does).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import email.utils
import hashlib
import html
import mimetypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from typing import Self

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

__all__ = [
    "AzureServer",
    "GCSServer",
    "HTTPServer",
    "HostileHTTPServer",
    "S3Server",
    "ServerStartError",
    "StdlibHTTPServer",
]

HOST = "127.0.0.1"
TESTS_DIR = Path(__file__).resolve().parent
AZURITE_DIR = TESTS_DIR / "azurite"
AZURITE_BIN = AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"

# Servers started and not yet stopped, stopped at interpreter exit as a last resort.
_RUNNING: set[_Server] = set()


class ServerStartError(RuntimeError):
    """A test server could not be started."""


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True if a server could listen on ``port`` of 127.0.0.1 again.

    Binds with SO_REUSEADDR, as servers do, so connections left in TIME_WAIT by
    the previous server do not count: only a socket still bound to the port does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def stop_process_tree(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM a process group, wait, SIGKILL it if needed, then kill whatever is left of
    its process tree (children that started sessions of their own included)."""
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)]
    except psutil.NoSuchProcess:
        family = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=5)
    for leftover in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            leftover.kill()
    psutil.wait_procs(alive, timeout=5)


def _http_answers(url: str) -> bool:
    """True if ``url`` gives any HTTP response (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            resp.read()
    except urllib.error.HTTPError as err:
        err.close()
        return True
    except (OSError, ValueError):
        return False
    return True


class _Server:
    """Common lifecycle: a temp data dir, ``start()``/``stop()``, context manager."""

    name = "server"
    start_timeout = 60.0

    def __init__(self) -> None:
        self.host = HOST
        self.port: int | None = None
        self.data_dir: Path | None = None
        self.start_seconds: float | None = None
        self.stop_seconds: float | None = None

    def start(self) -> Self:
        """Start the server and wait until it answers; return ``self``."""
        if self.port is not None:
            raise RuntimeError(f"{self.name} already started")
        t0 = time.monotonic()
        _RUNNING.add(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Stop the server and remove its data dir; safe to call more than once."""
        t0 = time.monotonic()
        try:
            self._stop()
        finally:
            if self.data_dir is not None:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                self.data_dir = None
            self.port = None
            _RUNNING.discard(self)
        self.stop_seconds = time.monotonic() - t0

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def _make_data_dir(self) -> Path:
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"genro-storage-{self.name}-"))
        return self.data_dir

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _ProcessServer(_Server):
    """A server run as a subprocess in its own process group, logging to a file."""

    def __init__(self) -> None:
        super().__init__()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.command: list[str] = []

    @property
    def pid(self) -> int | None:
        """Pid of the server process (``None`` when not running)."""
        return self.process.pid if self.process is not None else None

    def _command(self, port: int, data_dir: Path) -> list[str]:
        raise NotImplementedError

    def _probe_url(self) -> str:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1"}

    def _start(self) -> None:
        data_dir = self._make_data_dir()
        self.log_path = data_dir / "server.log"
        for attempt in range(3):  # a freshly picked free port may be taken meanwhile
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.command = self._command(self.port, data_dir)
                self.process = subprocess.Popen(
                    self.command,
                    cwd=data_dir,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_ready():
                return
            assert self.process is not None
            code = self.process.poll()
            self._terminate()
            tail = self.log_tail()
            if "in use" not in tail.lower() or attempt == 2:
                why = (
                    f"exited with code {code}"
                    if code is not None
                    else f"did not answer within {self.start_timeout:g}s"
                )
                raise ServerStartError(
                    f"{self.name} server on {self.host}:{self.port} {why}.\n"
                    f"command: {shlex.join(self.command)}\n"
                    f"--- last lines of its log ---\n{tail}"
                )

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if _http_answers(self._probe_url()):
                return True
            time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 40) -> str:
        """Last ``lines`` lines of the server's log."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty log)"

    def _stop(self) -> None:
        self._terminate()

    def _terminate(self) -> None:
        """SIGTERM the process group, wait, then SIGKILL whatever is left."""
        proc, self.process = self.process, None
        if proc is None:
            return
        stop_process_tree(proc, timeout=10)


class S3Server(_ProcessServer):
    """moto's standalone S3 server, or an external S3 given by environment variables.

    With ``GENRO_STORAGE_TEST_S3_ENDPOINT`` (plus ``GENRO_STORAGE_TEST_S3_KEY``,
    ``GENRO_STORAGE_TEST_S3_SECRET``, optional ``GENRO_STORAGE_TEST_S3_REGION``) set,
    nothing is started and ``stop()`` does nothing.
    """

    name = "s3"
    #: Endpoints of moto servers started by this process. When the environment points at
    #: one of them (the notebook run exports its server), it is reused, not "external".
    started_here: set[str] = set()

    def __init__(self, use_environment: bool = True) -> None:
        """``use_environment=False`` always starts a fresh moto server."""
        super().__init__()
        given = os.environ.get("GENRO_STORAGE_TEST_S3_ENDPOINT", "").rstrip("/")
        given = given if use_environment else ""
        self.reused = bool(given) and given in S3Server.started_here
        self.external = bool(given) and not self.reused
        self.endpoint_url = ""
        self.access_key = "testing"
        self.secret_key = "testing"
        self.region = os.environ.get("GENRO_STORAGE_TEST_S3_REGION", "us-east-1")

    def _start(self) -> None:
        if not self.external and not self.reused:
            super()._start()
            self.endpoint_url = f"http://{self.host}:{self.port}"
            S3Server.started_here.add(self.endpoint_url)
            return
        try:
            self.endpoint_url = os.environ["GENRO_STORAGE_TEST_S3_ENDPOINT"].rstrip("/")
            self.access_key = os.environ["GENRO_STORAGE_TEST_S3_KEY"]
            self.secret_key = os.environ["GENRO_STORAGE_TEST_S3_SECRET"]
        except KeyError as exc:
            raise ServerStartError(
                f"GENRO_STORAGE_TEST_S3_ENDPOINT is set but {exc.args[0]} is not"
            ) from None
        parsed = urllib.parse.urlsplit(self.endpoint_url)
        self.host = parsed.hostname or ""
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if not _http_answers(self.endpoint_url):
            raise ServerStartError(f"external S3 endpoint {self.endpoint_url} does not answer")

    def _stop(self) -> None:
        if not self.external and not self.reused:
            S3Server.started_here.discard(self.endpoint_url)
            super()._stop()

    def _command(self, port: int, data_dir: Path) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/moto-api/"

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        return env

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def create_bucket(self, name: str, versioned: bool = False) -> None:
        """Create bucket ``name``, with versioning enabled if ``versioned``."""
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


class AzureServer(_ProcessServer):
    """Azurite's blob service with the well-known development account."""

    name = "azure"
    account_name = "devstoreaccount1"
    account_key = (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    )

    def __init__(self) -> None:
        super().__init__()
        self.endpoint_url = ""
        self.connection_string = ""

    def _start(self) -> None:
        if not AZURITE_BIN.exists():
            raise ServerStartError(
                f"Azurite is not installed ({AZURITE_BIN} missing): "
                "run `npm install --prefix tests/azurite`"
            )
        super()._start()
        self.endpoint_url = f"http://{self.host}:{self.port}/{self.account_name}"
        self.connection_string = (
            f"DefaultEndpointsProtocol=http;AccountName={self.account_name};"
            f"AccountKey={self.account_key};BlobEndpoint={self.endpoint_url};"
        )

    def _command(self, port: int, data_dir: Path) -> list[str]:
        location = data_dir / "data"
        location.mkdir(exist_ok=True)
        return [
            str(AZURITE_BIN),
            "--blobHost",
            HOST,
            "--blobPort",
            str(port),
            "--location",
            str(location),
            "--silent",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--loose",
        ]

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/{self.account_name}?comp=list"

    def client(self) -> Any:
        """An azure-storage-blob ``BlobServiceClient`` for this server."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def create_container(self, name: str) -> None:
        """Create blob container ``name``."""
        with self.client() as service:
            service.create_container(name)


# Run by GCSServer: raise the listen backlog of the emulator's (single-threaded)
# http.server.HTTPServer from 5 to 128 before it is created, then run its CLI.
_GCS_LAUNCHER = """
import sys
import http.server
http.server.HTTPServer.request_queue_size = 128
from gcp_storage_emulator.__main__ import main
main(sys.argv[1:])
"""


class GCSServer(_ProcessServer):
    """gcp-storage-emulator, in memory, reached anonymously at ``endpoint_url``."""

    name = "gcs"
    project = "test-project"

    def __init__(self) -> None:
        super().__init__()
        self.endpoint_url = ""

    def _start(self) -> None:
        super()._start()
        self.endpoint_url = f"http://{self.host}:{self.port}"

    def _command(self, port: int, data_dir: Path) -> list[str]:
        return [
            sys.executable,
            "-c",
            _GCS_LAUNCHER,
            "start",
            "--host",
            HOST,
            "--port",
            str(port),
            "--in-memory",
            "--quiet",
        ]

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _env(self) -> dict[str, str]:
        # Keep the emulator's on-disk defaults (unused in memory) inside the data dir.
        return {**super()._env(), "STORAGE_BASE": str(self.data_dir)}

    def create_bucket(self, name: str) -> None:
        """Create bucket ``name`` through the JSON API."""
        req = urllib.request.Request(
            f"{self.endpoint_url}/storage/v1/b?project={self.project}",
            data=f'{{"name": "{name}"}}'.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()


class HTTPServer(_Server):
    """aiohttp file server for a folder, in its own thread with its own event loop.

    ``root``: folder to serve (a temp folder, removed at stop, when not given).
    ``writable``: accept PUT (atomic write) and DELETE. ``latency``: seconds slept
    before answering each request. ETag is the quoted md5 hex of the file.
    """

    name = "http"

    def __init__(
        self, root: str | os.PathLike[str] | None = None, writable: bool = False, latency: float = 0
    ) -> None:
        super().__init__()
        self._given_root = Path(root) if root is not None else None
        self.root: Path | None = self._given_root
        self.writable = writable
        self.latency = latency
        self.endpoint_url = ""
        self.thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Any = None
        self._serving = False
        self._md5_cache: dict[tuple[Path, int, int], str] = {}
        #: ``(method, raw path)`` of every request, in order (tests count them).
        self.requests: list[tuple[str, str]] = []

    def url(self, path: str = "") -> str:
        """URL of ``path`` (relative to the root) on this server."""
        return f"{self.endpoint_url}/{urllib.parse.quote(path.lstrip('/'))}"

    def _start(self) -> None:
        from aiohttp import web

        if self._given_root is None:
            self.root = self._make_data_dir()
        assert self.root is not None
        self.root = self.root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

        app = web.Application(client_max_size=1024**4)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self.port = sock.getsockname()[1]
        self.endpoint_url = f"http://{self.host}:{self.port}"

        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock, backlog=512).start())
        except BaseException:
            sock.close()
            raise
        self.thread = threading.Thread(target=loop.run_forever, name="http-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not _http_answers(self.endpoint_url + "/"):  # answered without latency
            if time.monotonic() > deadline:
                raise ServerStartError(f"http server did not answer on {self.endpoint_url}")
            time.sleep(0.02)
        self._serving = True

    def _stop(self) -> None:
        loop, self._loop = self._loop, None
        self._serving = False
        if loop is None:
            return
        if self.thread is not None and self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            self.thread.join(timeout=10)
        else:
            loop.run_until_complete(self._shutdown())
        loop.close()
        if self._given_root is None:
            self.root = None

    async def _shutdown(self) -> None:
        """Close the site and connections, then cancel and await what is left."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()

    # ---------------------------------------------------------------- handlers

    def _resolve(self, request: Any) -> Path | None:
        """Filesystem path for the request, or ``None`` if it escapes the root."""
        assert self.root is not None
        raw = urllib.parse.unquote(request.raw_path.split("?", 1)[0])
        if ".." in raw.replace("\\", "/").split("/") or "\0" in raw:
            return None
        target = (self.root / raw.lstrip("/")).resolve()
        if target != self.root and not target.is_relative_to(self.root):
            return None
        return target

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        self.requests.append((request.method, request.raw_path))
        if self.latency and self._serving:
            await asyncio.sleep(self.latency)
        path = self._resolve(request)
        if path is None:
            return web.Response(status=403, text="forbidden: path escapes the root\n")
        method = request.method
        if method in ("GET", "HEAD"):
            if path.is_dir():
                return self._listing(request, path)
            if not path.is_file():
                return web.Response(status=404, text="not found\n")
            return await self._send_file(request, path)
        if method in ("PUT", "DELETE") and self.writable:
            return await (self._put(request, path) if method == "PUT" else self._delete(path))
        allowed = "GET, HEAD, PUT, DELETE" if self.writable else "GET, HEAD"
        return web.Response(status=405, headers={"Allow": allowed}, text="not allowed\n")

    def _md5(self, path: Path, stat: os.stat_result) -> str:
        key = (path, stat.st_mtime_ns, stat.st_size)
        digest = self._md5_cache.get(key)
        if digest is None:
            md5 = hashlib.md5()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    md5.update(chunk)
            digest = self._md5_cache[key] = md5.hexdigest()
        return digest

    async def _send_file(self, request: Any, path: Path) -> Any:
        from aiohttp import web

        stat = path.stat()
        size = stat.st_size
        md5 = await asyncio.to_thread(self._md5, path, stat)
        headers = {
            "ETag": f'"{md5}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "Accept-Ranges": "bytes",
        }
        span = _parse_range(request.headers.get("Range"), size)
        if span == "unsatisfiable":
            headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=416, headers=headers)
        status, start, end = 200, 0, size  # end exclusive
        if span is not None:
            status, (start, end) = 206, span
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        headers["Content-Length"] = str(end - start)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        if request.method == "GET":
            with open(path, "rb") as fh:
                fh.seek(start)
                remaining = end - start
                while remaining > 0:
                    chunk = await asyncio.to_thread(fh.read, min(remaining, 1 << 20))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    await response.write(chunk)
        await response.write_eof()
        return response

    def _listing(self, request: Any, path: Path) -> Any:
        """An index page in nginx's autoindex format: one line per entry, with the
        modification time and, for a file, its exact size."""
        from aiohttp import web

        assert self.root is not None
        rel = path.relative_to(self.root).as_posix()
        base = "/" if rel == "." else f"/{rel}/"
        lines = ['<a href="../">../</a>']
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            is_dir = child.is_dir()
            href = urllib.parse.quote(base + child.name + ("/" if is_dir else ""))
            label = html.escape(child.name + ("/" if is_dir else ""))
            stat = child.stat()
            size = "-" if is_dir else str(stat.st_size)
            lines.append(
                f'<a href="{html.escape(href)}">{label}</a>'
                f"{' ' * max(1, 50 - len(label))} {_autoindex_time(stat.st_mtime)}"
                f" {size:>19}"
            )
        title = f"Index of {html.escape(base)}"
        body = (
            f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><hr><pre>" + "\n".join(lines) + "\n</pre><hr></body></html>\n"
        )
        return web.Response(text=body, content_type="text/html")

    async def _put(self, request: Any, path: Path) -> Any:
        from aiohttp import web

        if request.raw_path.split("?", 1)[0].endswith("/"):
            path.mkdir(parents=True, exist_ok=True)  # PUT /dir/ creates a folder
            return web.Response(status=201)
        if path.is_dir():
            return web.Response(status=409, text="is a directory\n")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                async for chunk in request.content.iter_chunked(1 << 20):
                    await asyncio.to_thread(fh.write, chunk)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return web.Response(status=204 if existed else 201)

    async def _delete(self, path: Path) -> Any:
        from aiohttp import web

        if path == self.root:
            return web.Response(status=403, text="cannot delete the root\n")
        if path.is_dir():
            try:
                path.rmdir()
            except OSError:
                return web.Response(status=409, text="directory not empty\n")
        elif path.is_file():
            path.unlink()
        else:
            return web.Response(status=404, text="not found\n")
        return web.Response(status=204)


class StdlibHTTPServer(_ProcessServer):
    """``python -m http.server`` serving ``root`` (a folder of the data dir), in a
    subprocess: the plain server of the standard library. It ignores ``Range`` (always
    200), sends no ETag, redirects ``dir`` to ``dir/`` and lists folders without sizes.
    """

    name = "stdhttp"
    start_timeout = 30.0

    def __init__(self) -> None:
        super().__init__()
        self.root: Path | None = None
        self.endpoint_url = ""

    def url(self, path: str = "") -> str:
        """URL of ``path`` (relative to the root) on this server."""
        return f"{self.endpoint_url}/{urllib.parse.quote(path.lstrip('/'))}"

    def _command(self, port: int, data_dir: Path) -> list[str]:
        self.root = data_dir / "www"  # the log lives in data_dir, out of sight
        self.root.mkdir(exist_ok=True)
        self.endpoint_url = f"http://{self.host}:{port}"
        return [
            sys.executable, "-m", "http.server", "--bind", self.host,
            "--directory", str(self.root), str(port),
        ]  # fmt: skip

    def _probe_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _stop(self) -> None:
        super()._stop()
        self.root = None


MiB = 1024 * 1024
#: Bytes of the hostile server's files: byte ``p`` is ``p % 251``.
PATTERN_BLOCK = bytes(range(251)) * 4177  # ~1 MiB, a whole number of periods


def pattern(start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of the hostile server's pattern files."""
    return bytes(p % 251 for p in range(start, end))


def pattern_bytes(start: int, end: int) -> bytes:
    """``pattern(start, end)``, fast (sliced from ``PATTERN_BLOCK``)."""
    out = bytearray()
    while start + len(out) < end:
        offset = (start + len(out)) % 251
        out += PATTERN_BLOCK[offset : offset + end - start - len(out)]
    return bytes(out)


def gzip_bomb(size: int) -> bytes:
    """A single gzip stream that decodes to ``size`` zero bytes (a multiple of 1 MiB)
    in about ``size / 1000`` bytes, built without compressing ``size`` bytes."""
    import struct
    import zlib

    zeros = bytes(MiB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    final = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(size // MiB):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + segment * (size // MiB) + final + trailer


class HostileHTTPServer(HTTPServer):
    """An aiohttp server that lies, in its own thread, on two ports: ``url(path)`` is on
    origin A, ``url(path, other=True)`` on origin B (same routes).

    Files under ``/files/`` (GET and HEAD):

    * ``norange.bin`` -- ``BIG`` pattern bytes; ignores ``Range`` (always 200).
    * ``chunked.bin`` -- ``CHUNKED`` pattern bytes, no Content-Length; ignores ``Range``.
    * ``ranged-chunked.bin`` -- ``RANGED`` pattern bytes, no Content-Length (on HEAD
      and GET), but honours ``Range``: a 206's Content-Range gives the total.
    * ``bomb.bin`` / ``bomb-chunked.bin`` -- a gzip bomb (``BOMB`` zeros in ~1 MB) sent
      with ``Content-Encoding: gzip`` whatever was asked, with / without Content-Length.
    * ``endless.bin`` -- 200 and zeros forever (chunked); ignores ``Range``.
    * ``endless-206.bin`` -- a 206 whose Content-Range is right, then zeros forever.
    * ``wrong-range.bin`` -- a 206 that always starts at byte 0.
    * ``short.bin`` -- announces 1,000 bytes, sends 500, closes the connection.
    * ``page.html`` -- an HTML page with relative links (not a folder).
    * ``drip.bin`` -- ``DRIP`` pieces of 1 KiB, ``DRIP_GAP`` seconds apart (no
      Content-Length): data keeps flowing for longer than a short idle timeout.
    * ``stall.bin`` -- headers, one byte, then nothing for ``STALL`` seconds.

    Index pages: ``/index-bad/`` (links with ``%00``, ``\\``, ``..`` among good ones),
    ``/endless-index/`` (an index page that never ends).
    Redirects: ``/redirect/cross/<name>`` (302 to ``/echo/<name>`` on the other origin),
    ``/redirect/same/<name>`` (to ``/echo/<name>`` here), ``/redirect/ftp``,
    ``/redirect/file``, ``/redirect/loop``. ``/echo/<name>`` answers the request's
    headers as JSON. Every request is logged in ``requests``.
    """

    name = "hostile"
    BIG = 200 * MiB
    CHUNKED = 160 * MiB
    RANGED = 3 * MiB + 17
    BOMB = 1024 * MiB
    SHORT = (1000, 500)
    DRIP = 12
    DRIP_GAP = 0.15
    STALL = 20.0

    def __init__(self) -> None:
        super().__init__()
        self.other_url = ""
        self.bomb = b""
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    def url(self, path: str = "", other: bool = False) -> str:
        base = self.other_url if other else self.endpoint_url
        return f"{base}/{path.lstrip('/')}"

    def _start(self) -> None:
        from aiohttp import web

        self.bomb = gzip_bomb(self.BOMB)
        super()._start()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self.other_url = f"http://{self.host}:{sock.getsockname()[1]}"
        assert self._loop is not None
        site = web.SockSite(self._runner, sock, backlog=128)
        asyncio.run_coroutine_threadsafe(site.start(), self._loop).result(timeout=30)

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        self.seen.append((request.method, request.raw_path, dict(request.headers)))
        path = request.path
        if path.startswith("/files/"):
            return await self._file(request, path[len("/files/") :])
        if path.startswith("/echo/"):
            names = {k.lower(): v for k, v in request.headers.items()}
            return web.json_response({"path": path, "headers": names})
        if path.startswith("/redirect/"):
            return self._redirect(request, path[len("/redirect/") :])
        if path in ("/index-bad", "/index-bad/"):
            links = ["ok.txt", "bad%00name.txt", "back%5Cslash.txt", "..", "%2e%2e/x",
                     "sub/", "two%2Fparts.txt", "http://elsewhere.example/x.txt",
                     "bad%ffutf8.txt", "last.txt"]  # fmt: skip
            items = "\n".join(f'<a href="{link}">{link}</a>' for link in links)
            body = f"<html><head><title>Index of /index-bad/</title></head><pre>{items}</pre>"
            return web.Response(text=body, content_type="text/html")
        if path in ("/endless-index", "/endless-index/"):
            return await self._endless(
                request, b"<html><head><title>Index of /endless-index/</title></head><pre>",
                b"<!-- " + b"x" * (64 * 1024) + b" -->\n", "text/html",
            )  # fmt: skip
        return web.Response(status=404, text="not found\n")

    def _redirect(self, request: Any, what: str) -> Any:
        from aiohttp import web

        kind, _, name = what.partition("/")
        target = {
            "cross": f"{self.other_url}/echo/{name}",
            "same": f"/echo/{name}",
            "ftp": "ftp://127.0.0.1/x.bin",
            "file": "file:///etc/passwd",
            "loop": "/redirect/loop",
        }.get(kind)
        if target is None:
            return web.Response(status=404)
        return web.Response(status=302, headers={"Location": target})

    async def _stream(self, request: Any, response: Any, chunks: Any) -> Any:
        """Send ``chunks`` until they end or the client goes away."""
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        try:
            for chunk in chunks:
                await response.write(chunk)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client closed the connection: what bounded readers do
        return response

    async def _endless(self, request: Any, first: bytes, filler: bytes, kind: str) -> Any:
        from aiohttp import web

        response = web.StreamResponse(headers={"Content-Type": kind})

        def chunks() -> Any:
            yield first
            while True:
                yield filler

        return await self._stream(request, response, chunks())

    def _pattern_chunks(self, size: int) -> Any:
        sent = 0
        while sent < size:
            piece = PATTERN_BLOCK[: size - sent]
            sent += len(piece)
            yield piece

    async def _file(self, request: Any, name: str) -> Any:
        from aiohttp import web

        octets = "application/octet-stream"
        if name == "norange.bin":
            response = web.StreamResponse(
                headers={"Content-Length": str(self.BIG), "Content-Type": octets}
            )
            return await self._stream(request, response, self._pattern_chunks(self.BIG))
        if name == "chunked.bin":
            response = web.StreamResponse(headers={"Content-Type": octets})
            response.enable_chunked_encoding()
            return await self._stream(request, response, self._pattern_chunks(self.CHUNKED))
        if name in ("bomb.bin", "bomb-chunked.bin"):
            headers = {"Content-Type": octets, "Content-Encoding": "gzip"}
            response = web.StreamResponse(headers=headers)
            if name == "bomb.bin":
                response.content_length = len(self.bomb)
            else:
                response.enable_chunked_encoding()
            pieces = (self.bomb[i : i + 65536] for i in range(0, len(self.bomb), 65536))
            return await self._stream(request, response, pieces)
        if name == "ranged-chunked.bin":
            size = self.RANGED
            span = _parse_range(request.headers.get("Range"), size)
            start, end = span if isinstance(span, tuple) else (0, size)
            headers = {"Content-Type": octets}
            if isinstance(span, tuple):
                headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
            response = web.StreamResponse(
                status=206 if "Content-Range" in headers else 200, headers=headers
            )
            response.enable_chunked_encoding()
            return await self._stream(request, response, [pattern_bytes(start, end)])
        if name == "endless.bin":
            return await self._endless(request, b"", bytes(MiB), octets)
        if name == "endless-206.bin":
            span = _parse_range(request.headers.get("Range"), 1 << 40)
            start, end = span if isinstance(span, tuple) else (0, 1 << 40)
            response = web.StreamResponse(
                status=206,
                headers={"Content-Type": octets, "Content-Range": f"bytes {start}-{end - 1}/*"},
            )
            response.enable_chunked_encoding()

            def forever() -> Any:
                while True:
                    yield bytes(MiB)

            return await self._stream(request, response, forever())
        if name == "wrong-range.bin":
            size = 10 * MiB
            response = web.StreamResponse(
                status=206,
                headers={
                    "Content-Type": octets,
                    "Content-Range": f"bytes 0-{size - 1}/{size}",
                    "Content-Length": str(size),
                },
            )
            return await self._stream(request, response, self._pattern_chunks(size))
        if name == "short.bin":
            declared, sent = self.SHORT
            response = web.StreamResponse(
                headers={"Content-Length": str(declared), "Content-Type": octets}
            )
            await response.prepare(request)
            if request.method == "GET":
                await response.write(pattern(0, sent))
                request.transport.close()  # the rest never comes
            return response
        if name in ("drip.bin", "stall.bin"):
            response = web.StreamResponse(headers={"Content-Type": octets})
            response.enable_chunked_encoding()
            await response.prepare(request)
            if request.method == "HEAD":
                return response
            try:
                if name == "stall.bin":
                    await response.write(b"x")
                    await asyncio.sleep(self.STALL)
                else:
                    for number in range(self.DRIP):
                        await asyncio.sleep(self.DRIP_GAP)
                        await response.write(pattern(number * 1024, (number + 1) * 1024))
                await response.write_eof()
            except (ConnectionError, RuntimeError):
                pass
            return response
        if name == "page.html":
            body = (
                "<html><head><title>A page</title></head><body>"
                '<a href="other.html">other</a> <a href="sub/deeper.html">deeper</a>'
                "</body></html>"
            )
            return web.Response(text=body, content_type="text/html")
        return web.Response(status=404, text="not found\n")


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _autoindex_time(mtime: float) -> str:
    """``01-Jan-2024 10:00`` (UTC), as nginx's autoindex writes it."""
    t = time.gmtime(mtime)
    return f"{t.tm_mday:02d}-{_MONTHS[t.tm_mon - 1]}-{t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}"


def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """Parse a single ``bytes=a-b`` range into ``(start, end_exclusive)``.

    ``None`` means "serve the whole file" (no header, a malformed one or several
    ranges, which RFC 9110 allows to ignore); ``"unsatisfiable"`` means 416.
    """
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[len("bytes=") :].strip().partition("-")
    if not sep or not (first.isdigit() or last.isdigit()):
        return None
    if not first.isdigit():  # suffix: the last N bytes
        if not last.isdigit() or int(last) == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - int(last)), size
    start = int(first)
    if last and not last.isdigit():
        return None
    end = int(last) + 1 if last else size
    if last and end <= start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size)


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()
