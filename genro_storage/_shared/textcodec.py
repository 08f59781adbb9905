"""Text over bytes as ``io.TextIOWrapper`` does it, written once with no I/O: the async
text files (``async_/textfile.py``) feed it the bytes they read, and take from it the
bytes they write. The sync files are ``io.TextIOWrapper`` itself; the property tests
hold this code to it (``tests/test_modes.py``).

Reading: an incremental decoder (``codecs.getincrementaldecoder``), wrapped in
``io.IncrementalNewlineDecoder`` for ``newline=None`` (universal newlines, translated to
``'\\n'``) and ``newline=''`` (universal newlines, kept as they are). Lines end at
``'\\n'`` (``None``), at any of ``'\\n'``, ``'\\r'``, ``'\\r\\n'`` (``''``), or at the
``newline`` given. Writing: ``'\\n'`` becomes ``os.linesep`` (``None``), the ``newline``
given (``'\\r'``, ``'\\r\\n'``), or stays (``''``, ``'\\n'``).
"""

from __future__ import annotations

import codecs
import io
import os
import sys

#: Bytes read from the binary file per step (``io.TextIOWrapper``'s chunk size).
TEXT_CHUNK = 8192


class TextDecoding:
    """Decoded text waiting to be read. ``feed(data)`` adds the next bytes (``b''`` at
    the end of the file); ``take(size)`` and ``take_line(limit)`` give what
    ``read(size)``/``readline(limit)`` return, or ``None`` while more bytes are needed."""

    __slots__ = ("_decoder", "_newline", "_text", "_eof")

    def __init__(self, encoding: str, errors: str, newline: str | None) -> None:
        decoder: codecs.IncrementalDecoder | io.IncrementalNewlineDecoder
        decoder = codecs.getincrementaldecoder(encoding)(errors)
        if newline is None or newline == "":
            decoder = io.IncrementalNewlineDecoder(decoder, translate=newline is None)
        self._decoder = decoder
        self._newline = newline
        self._text = ""
        self._eof = False

    @property
    def eof(self) -> bool:
        """Whether the end of the bytes was fed."""
        return self._eof

    def feed(self, data: bytes) -> None:
        """The next bytes of the file; ``b''`` says the file ended."""
        final = not data
        self._text += self._decoder.decode(data, final=final)
        self._eof = final

    def _give(self, count: int) -> str:
        out, self._text = self._text[:count], self._text[count:]
        return out

    def take(self, size: int = -1) -> str | None:
        """``read(size)``: ``size`` characters (fewer only at the end), or all the rest
        when ``size`` is negative; ``None`` while more bytes are needed."""
        if size is None or size < 0:
            return self._give(len(self._text)) if self._eof else None
        if len(self._text) >= size or self._eof:
            return self._give(size)
        return None

    def take_line(self, limit: int = -1) -> str | None:
        """``readline(limit)``: the next line with its ending (at most ``limit``
        characters when ``limit >= 0``; ``''`` at the end); ``None`` while more bytes
        are needed."""
        if limit is None:
            limit = -1
        end = self._line_end()
        if end is not None:
            return self._give(end if limit < 0 else min(end, limit))
        if 0 <= limit <= len(self._text):
            return self._give(limit)
        if self._eof:
            return self._give(len(self._text))
        return None

    def _line_end(self) -> int | None:
        """The index just past the first line ending in the text, if one is known."""
        text, newline = self._text, self._newline
        if newline == "":
            n, r = text.find("\n"), text.find("\r")
            if r < 0 or 0 <= n < r:
                return n + 1 if n >= 0 else None
            if r + 1 < len(text):
                return r + 2 if text[r + 1] == "\n" else r + 1
            return r + 1 if self._eof else None  # '\r' last: '\r\n' may follow
        mark = "\n" if newline is None else newline
        at = text.find(mark)
        return at + len(mark) if at >= 0 else None


class TextEncoding:
    """``str`` to bytes as ``io.TextIOWrapper`` writes it (newline translation, then an
    incremental encoder: a BOM once at the start where the codec writes one)."""

    __slots__ = ("_encoder", "_newline", "_prefix", "_started")

    def __init__(
        self, encoding: str, errors: str, newline: str | None, prefix: bytes = b""
    ) -> None:
        """``prefix``: bytes given before the first write's (a mark chosen by
        ``start_encoding``)."""
        self._encoder = codecs.getincrementalencoder(encoding)(errors)
        if newline is None:
            newline = os.linesep
        self._newline = newline if newline not in ("", "\n") else None
        self._prefix = prefix
        self._started = False  # as io: no write at all, no byte order mark either

    def encode(self, text: str) -> bytes:
        """The bytes of ``text``; raises ``TypeError`` for anything but ``str``."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self._newline is not None:
            text = text.replace("\n", self._newline)
        data = self._encoder.encode(text)
        if not self._started:
            self._started = True
            data = self._prefix + data
        return data

    def final(self) -> bytes:
        """What the encoder still holds, at the close."""
        return self._encoder.encode("", final=True) if self._started else b""


def start_encoding(encoding: str, head: bytes) -> tuple[str, bytes]:
    """``(codec, prefix)`` to write text in ``encoding`` to a file that starts with
    ``head`` (its first bytes; ``b''`` for a new or empty file): the bytes of a file on
    disk opened with ``open(..., 'w' or 'a', encoding=...)``, in both APIs.

    A codec that writes a byte order mark writes it once, at the start of the file,
    never in the middle of one appended to (keeping the byte order of the mark found).
    UTF-16/32 are written as their explicit-order codec after a ``prefix`` mark: the C
    ``io.TextIOWrapper`` leaves the mark out on a stream that cannot seek, which every
    write file is.
    """
    name = codecs.lookup(encoding).name
    if name == "utf-8-sig" and head:
        return "utf-8", b""
    if name not in ("utf-16", "utf-32"):
        return encoding, b""
    bits = name[-2:]
    le, be = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if bits == "32":
        le, be = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    native = "le" if sys.byteorder == "little" else "be"
    if not head:
        return f"utf-{bits}-{native}", le if native == "le" else be
    if head.startswith(le) and not (bits == "16" and head.startswith(codecs.BOM_UTF32_LE)):
        return f"utf-{bits}-le", b""
    if head.startswith(be):
        return f"utf-{bits}-be", b""
    return f"utf-{bits}-{native}", b""
