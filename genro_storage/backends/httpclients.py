"""The HTTP clients behind ``_shared.httpwire``: thin transports that send one request,
read a bounded piece of a body and close, and decide nothing.

* :class:`AiohttpTransport`: an aiohttp session, either the HTTP mount's own (reached
  through the backend's ``_fs_coro``, so the sync API runs it on fsspec's loop thread)
  or a plain session (the async ``fill_from_url``).
* :class:`UrllibTransport`: the standard library (the sync ``fill_from_url``).

Neither follows a redirect nor decodes a ``Content-Encoding``; timeouts are idle
timeouts (to connect, and between two pieces of data), never a total one.
"""

from __future__ import annotations

import functools
import io
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._shared.httpwire import Response
from .._shared.sansio import blocking, call

__all__ = ["AiohttpTransport", "LocalFile", "UrllibTransport"]

#: aiohttp warns (ResourceWarning) on a raw ``bytes`` body above 1 MiB.
_SMALL_BODY = 1024 * 1024
#: Request options of an fsspec HTTP filesystem that this module sets itself.
_OWN_OPTIONS = frozenset(
    ("headers", "auth", "allow_redirects", "timeout", "auto_decompress", "data", "max_redirects")
)


@dataclass(frozen=True)
class LocalFile:
    """A request body streamed from a local file."""

    path: str


# -- aiohttp ----------------------------------------------------------------------------


async def _session_of(source: Any) -> Any:
    """The aiohttp session of ``source``: a session, or an fsspec HTTP filesystem."""
    import aiohttp

    if isinstance(source, aiohttp.ClientSession):
        return source
    return await source.set_session()


def _request_options(source: Any) -> dict[str, Any]:
    """Extra request options configured on an fsspec filesystem (``ssl``...)."""
    options = getattr(source, "kwargs", None) or {}
    return {k: v for k, v in options.items() if k not in _OWN_OPTIONS}


@functools.lru_cache(maxsize=16)
def _client_timeout(seconds: float | None) -> Any:
    """The aiohttp timeout of ``seconds`` (made once: it is immutable)."""
    import aiohttp

    if seconds is None:
        return aiohttp.ClientTimeout(total=None)
    return aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)


async def aio_send(
    source: Any,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any,
    timeout: float | None,
) -> Response:
    """Send a request on ``source``'s session, redirects not followed; a file body
    (``LocalFile``) is streamed from disk."""
    import yarl

    session = await _session_of(source)
    handle = None
    data = body
    if isinstance(body, LocalFile):
        handle = data = open(body.path, "rb")  # noqa: SIM115 - closed below
    elif isinstance(body, bytes | bytearray) and len(body) > _SMALL_BODY:
        data = io.BytesIO(body)
    try:
        answer = await session.request(
            method,
            yarl.URL(url, encoded=True),
            headers=headers,
            data=data,
            allow_redirects=False,
            auto_decompress=False,
            timeout=_client_timeout(timeout),
            **_request_options(source),
        )
    finally:
        if handle is not None:
            handle.close()
    names = {k.lower(): v for k, v in answer.headers.items()}
    return Response(answer.status, url, names, answer)


async def aio_read(source: Any, response: Response, size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end of the body."""
    content = response.handle.content
    first: bytes = await content.read(size)
    if not first or len(first) >= size or content.at_eof():
        return first
    buffer = bytearray(first)
    while len(buffer) < size:
        chunk = await content.read(size - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


async def aio_close(source: Any, response: Response) -> None:
    """Close a response: its connection is reused only when the body was read to its end."""
    answer = response.handle
    if answer.content.at_eof():
        answer.release()  # read to its end: the connection goes back to the pool
    else:
        answer.close()  # never drain an unread (maybe endless) body


class AiohttpTransport:
    """Requests on an aiohttp session. ``op(fn, *args)`` makes the op that runs
    ``await fn(source, *args)`` where ``source`` is the session or the filesystem holding
    it (an HTTP backend passes its ``_fs_coro``)."""

    def __init__(self, op: Callable[..., Any], timeout: float | None) -> None:
        self._op = op
        self._timeout = timeout

    @classmethod
    def on_session(cls, session: Any, timeout: float | None) -> AiohttpTransport:
        """A transport whose ops run directly on ``session``."""
        return cls(lambda fn, *args: call(fn, session, *args), timeout)

    def send(self, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
        """The op that sends a request (see ``httpwire.Transport``)."""
        return self._op(aio_send, method, url, headers, body, self._timeout)

    def read(self, response: Response, size: int) -> Any:
        """The op that reads up to ``size`` bytes of the body."""
        return self._op(aio_read, response, size)

    def close(self, response: Response) -> Any:
        """The op that closes the response."""
        return self._op(aio_close, response)


# -- urllib -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hands every redirect back as an answer: ``httpwire`` decides whether to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def _urllib_send(
    method: str, url: str, headers: dict[str, str], body: Any, timeout: float | None
) -> Response:
    data = body
    if isinstance(body, LocalFile):
        raise TypeError("the urllib transport sends no file bodies")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        answer = _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:  # an error status is an answer too
        answer = error
    names = {k.lower(): v for k, v in answer.headers.items()}
    return Response(answer.status or answer.getcode(), url, names, answer)


def _urllib_read(response: Response, size: int) -> bytes:
    data: bytes = response.handle.read(size)
    return data


def _urllib_close(response: Response) -> None:
    response.handle.close()


class UrllibTransport:
    """Requests with the standard library (``urllib``, proxies from the environment);
    blocking, for the sync API. ``timeout`` is the socket timeout: an idle timeout."""

    def __init__(self, timeout: float | None) -> None:
        self._timeout = timeout

    def send(self, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
        """The op that sends a request (see ``httpwire.Transport``)."""
        return blocking(_urllib_send, method, url, headers, body, self._timeout)

    def read(self, response: Response, size: int) -> Any:
        """The op that reads up to ``size`` bytes of the body."""
        return blocking(_urllib_read, response, size)

    def close(self, response: Response) -> Any:
        """The op that closes the response."""
        return blocking(_urllib_close, response)
