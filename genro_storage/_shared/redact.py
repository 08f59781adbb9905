"""Secrets out of text: the one redaction rule of the library, and URLs without their
credentials.

``redact`` serves reprs, error messages and the explorer; ``public_url`` and
``url_credentials`` keep a URL's userinfo out of everything the library hands out.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from .exceptions import StorageConfigError

__all__ = ["REDACTED", "is_secret_field", "public_url", "redact", "url_credentials"]

#: Names of fields, query parameters, ``key=value`` pairs and headers whose value is a
#: secret: passwords, tokens, keys, signatures, cookies, any kind of auth.
_SECRET_NAME = re.compile(
    r"secret|passw|passphrase|pwd|token|credential|signature|auth|cookie|session|private"
    r"|connection_?string|sas|key$|^key|key_?file|^sig$|bearer",
    re.I,
)
#: Fields whose every value is a secret, whatever the key (HTTP headers carry bearer
#: tokens, cookies, API keys under any name).
_ALL_VALUES_SECRET = {"headers", "cookies"}
#: Values of a gcsfs ``token`` that name a method, not a credential.
_PUBLIC_TOKENS = ("anon", "google_default", "cloud", "cache", "browser")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_PAIR_IN_TEXT = re.compile(r"([A-Za-z0-9_.-]+)(\s*=\s*)([^;&\s'\",)}\]]+)")
_HEADER_IN_TEXT = re.compile(
    r"\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key)(['\"]?\s*[:=]\s*['\"]?)"
    r"([^'\"\r\n]+)",
    re.I,
)
REDACTED = "***"


def is_secret_field(name: str) -> bool:
    """Whether a field, query parameter or header of this name holds a secret."""
    return bool(_SECRET_NAME.search(name))


def redact(value: Any, field_name: str = "") -> Any:
    """A copy of ``value`` with every secret replaced by ``***``: the one redaction
    rule of the library, used by reprs, error messages and the explorer.

    Mappings are walked deeply and judged by key (``secret``, ``password``, ``token``,
    ``auth``, ``key_filename``...; every value of ``headers``); strings lose the
    userinfo of any URL in them (``https://***@host``), the secret query parameters
    (``?api_key=***``, ``sig=***``) and ``Name=value`` pairs with a secret name
    (``AccountKey=***``).
    """
    name = field_name.lower()
    if name and is_secret_field(name):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and name == "token" and value in _PUBLIC_TOKENS:
            return value
        return REDACTED
    if isinstance(value, Mapping):
        if name in _ALL_VALUES_SECRET:
            return {k: (None if v is None else REDACTED) for k, v in value.items()}
        return {k: redact(v, str(k)) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(redact(v, field_name) for v in value)
    if isinstance(value, str):
        return _redact_text(value)
    return value


def _redact_text(text: str) -> str:
    text = _URL_IN_TEXT.sub(lambda m: _redact_url(m.group(0)), text)
    text = _HEADER_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _PAIR_IN_TEXT.sub(_redact_pair, text)


def _redact_pair(match: re.Match[str]) -> str:
    name, sep, value = match.groups()
    secret = is_secret_field(urllib.parse.unquote(name)) and value != REDACTED
    return f"{name}{sep}{REDACTED if secret else value}"


def _redact_url(url: str) -> str:
    """The URL without its userinfo's secret and with secret query values masked."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host: mask everything after the scheme
        return url.split("://", 1)[0] + "://" + REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = _redact_query(parts.query)
    fragment = _redact_query(parts.fragment)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _redact_query(query: str) -> str:
    if "=" not in query:
        return query
    pieces = []
    for piece in re.split(r"([&;])", query):
        name, sep, _value = piece.partition("=")
        secret = sep and is_secret_field(urllib.parse.unquote_plus(name))
        pieces.append(f"{name}={REDACTED}" if secret else piece)
    return "".join(pieces)


def url_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``(url without userinfo, (user, password) or None)``: a download sends the
    credentials as a header, so no error message, log or redirect ever quotes them."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise StorageConfigError(f"Expected a valid URL, not {redact(url)!r}") from None
    if parts.username is None and parts.password is None:
        return url, None
    user = urllib.parse.unquote(parts.username or "")
    return public_url(url) or url, (user, urllib.parse.unquote(parts.password or ""))


def public_url(url: str | None) -> str | None:
    """``url`` without userinfo (``https://user:pw@host/x`` -> ``https://host/x``):
    what ``node.url()`` hands out, so that no URL carries the mount's credentials."""
    if url is None:
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # not a URL that can be vetted: none rather than a leak
        return None
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
