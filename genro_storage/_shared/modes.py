"""The modes of ``open()`` in both APIs, read once: which modes exist, what their text
parameters may be, and the logic that opens a file for writing in each write mode
(``'w'`` replace, ``'x'`` create only, ``'a'`` append)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Any

from .config import require
from .exceptions import StorageConfigError, already_exists, is_a_directory
from .operations import CHUNK_SIZE, N, WriteHandle, info_or_none
from .sansio import Logic, call

#: Every mode ``open()`` accepts, in the order the error message names them.
MODES = ("r", "rb", "w", "wb", "x", "xb", "a", "ab")
#: The ``newline`` values ``io.TextIOWrapper`` accepts.
NEWLINES = (None, "", "\n", "\r", "\r\n")


@dataclass(frozen=True)
class OpenMode:
    """A checked ``open()`` mode with its text parameters."""

    kind: str  # 'r' | 'w' | 'x' | 'a'
    binary: bool
    encoding: str = "utf-8"
    errors: str = "strict"
    newline: str | None = None

    @property
    def reading(self) -> bool:
        return self.kind == "r"

    @property
    def exclusive(self) -> bool:
        return self.kind == "x"

    @property
    def append(self) -> bool:
        return self.kind == "a"


def parse_mode(
    mode: object,
    encoding: object = None,
    errors: object = None,
    newline: object = None,
) -> OpenMode:
    """Check ``mode`` and the text parameters; raises ``StorageConfigError`` naming what
    is accepted. Binary modes take none of the three; text modes default to UTF-8,
    ``'strict'`` and universal newlines (as ``io.TextIOWrapper`` with ``newline=None``)."""
    if not isinstance(mode, str) or mode not in MODES:
        accepted = ", ".join(repr(m) for m in MODES)
        raise StorageConfigError(f"open() mode must be one of {accepted}, not {mode!r}")
    binary = mode.endswith("b")
    if binary:
        for name, value in (("encoding", encoding), ("errors", errors), ("newline", newline)):
            if value is not None:
                raise StorageConfigError(f"open() mode {mode!r} is binary: it takes no {name}")
        return OpenMode(mode[0], True)
    return OpenMode(
        mode[0],
        False,
        _check_encoding(encoding),
        _check_errors(errors),
        _check_newline(newline),
    )


def _check_encoding(encoding: object) -> str:
    if encoding is None:
        return "utf-8"
    if not isinstance(encoding, str):
        raise StorageConfigError(f"open() encoding must be a str, not {type(encoding).__name__}")
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise StorageConfigError(f"open() encoding {encoding!r} is not a known codec") from None
    if not getattr(info, "_is_text_encoding", True):  # 'hex', 'zip'...: bytes to bytes
        raise StorageConfigError(f"open() encoding {encoding!r} is not a text encoding")
    return encoding


def _check_errors(errors: object) -> str:
    if errors is None:
        return "strict"
    if not isinstance(errors, str):
        raise StorageConfigError(f"open() errors must be a str, not {type(errors).__name__}")
    try:
        codecs.lookup_error(errors)
    except LookupError:
        raise StorageConfigError(f"open() errors {errors!r} is not a known handler") from None
    return errors


def _check_newline(newline: object) -> str | None:
    if newline is not None and (not isinstance(newline, str) or newline not in NEWLINES):
        accepted = ", ".join(repr(n) for n in NEWLINES)
        raise StorageConfigError(f"open() newline must be one of {accepted}, not {newline!r}")
    return newline


def g_open_write(node: N, how: OpenMode) -> Logic[tuple[WriteHandle[N], bytes]]:
    """The write handle of ``node.open(mode)`` for ``'w'``, ``'x'`` and ``'a'``.

    ``'x'``: refused with ``StorageExistsError`` when something is at the path now, and
    again at the publish (``WriteHandle`` with ``exclusive``: the store's conditional
    write where it has one). ``'a'``: the existing content is streamed into the new
    write first, so the publish replaces the file whole with old + new bytes (a write
    made by someone else in between is lost: see the modes table in docs/guide.md).

    Returns the handle and the first bytes of the content appended to (``b''`` for
    none), which the text modes need to pick their encoder (``textcodec.start_encoding``).
    """
    require(node.config, "write", f"write '{node.fullpath}'")
    found = None
    if how.exclusive or how.append:
        found = yield from info_or_none(node)
        if found is not None and how.exclusive:
            raise already_exists(node.fullpath)
        if found is not None and found.isdir:
            raise is_a_directory(node.fullpath)
    writer = yield call(node._backend.open_write, node.path)
    handle = WriteHandle(node, writer, exclusive=how.exclusive)
    head = b""
    if found is not None and how.append:
        try:
            head = yield from _g_copy_into(node, handle)
        except BaseException:
            yield from handle.g_abort()
            raise
    return handle, head


def _g_copy_into(node: Any, handle: WriteHandle[Any]) -> Logic[bytes]:
    """Stream the file's current content into ``handle`` (chunk by chunk); returns its
    first bytes (a BOM, if any, is there)."""
    head = b""
    reader = yield call(node._backend.open_read, node.path)
    try:
        while chunk := (yield call(reader.read, CHUNK_SIZE)):
            head = head or bytes(chunk[:4])
            yield from handle.g_write(chunk)
    finally:
        yield call(reader.close)
    return head
