"""The named fsspec types of genro-storage 0.x (``smb``, ``sftp``, ``zip``, ``tar``,
``git``, ``github``, ``webdav``, ``libarchive``): their fields, and their translation
into the generic ``fsspec`` mount (``fsspec_protocol``, ``path``, ``options``).

This is the one place that knows them. ``config.parse_mount`` checks their fields like
every type's (``TYPE_FIELDS`` and the field kinds), then calls :func:`to_fsspec`; the
backend that serves them (``FsspecLogic``) only ever sees the normalised configuration.
No I/O happens here: the filesystem (and its connection, or its archive) is made on the
mount's first use.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .exceptions import StorageConfigError
from .paths import normalize

__all__ = ["NAMED_FIELD_KINDS", "NAMED_FSSPEC_TYPES", "NamedType", "to_fsspec"]


@dataclass(frozen=True)
class NamedType:
    """One named type: its fsspec protocol, fields, what it needs, how it translates."""

    protocol: str
    required: frozenset[str]
    optional: frozenset[str]
    #: ``(module to find, pip name)`` of the optional package, or ``None``.
    package: tuple[str, str] | None
    #: Archives and git trees cannot be written: the mount is ``readonly``.
    read_only: bool
    #: ``fields -> (root inside the filesystem, filesystem kwargs)``; raises
    #: ``ValueError(field, problem)`` on a combination of fields it refuses.
    build: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


#: The kinds (see ``config._KINDS``) of the fields only the named types have.
NAMED_FIELD_KINDS: dict[str, str] = {
    "host": "str",
    "share": "str",
    "port": "port",
    "username": "str",
    "password": "str",
    "domain": "str",
    "key_filename": "path",
    "passphrase": "str",
    "file": "path",
    "mode": "str",
    "compression": "str",
    "target_protocol": "str",
    "target_options": "options",
    "ref": "str",
    "fo": "path",
    "org": "str",
    "repo": "str",
    "sha": "str",
    "cert": "path",
    "verify_ssl": "bool",
}


class _FieldError(ValueError):
    """A field (``args[0]``) whose value the type refuses, and why (``args[1]``)."""


def _given(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    """The fields among ``names`` that were given, under the same names."""
    return {n: fields[n] for n in names if fields.get(n) is not None}


def _subpath(fields: dict[str, Any], name: str) -> str:
    """A folder inside a share or server, normalised (no ``..`` above its top)."""
    try:
        return normalize(str(fields.get(name) or ""))
    except Exception as exc:
        raise _FieldError(name, f"is invalid: {exc}") from None


def _segment(fields: dict[str, Any], name: str) -> str:
    value = str(fields[name]).strip()
    if not value or "/" in value or "\\" in value:
        raise _FieldError(name, "must be one name, without '/' or '\\'")
    return value


def _archive(fields: dict[str, Any]) -> dict[str, Any]:
    """``file`` (a local path or an fsspec URL such as ``s3://bucket/a.zip``) and the
    options that reach the file holding the archive."""
    kwargs: dict[str, Any] = {"fo": str(fields["file"])}
    kwargs.update(_given(fields, "target_protocol"))
    if fields.get("target_options") is not None:
        kwargs["target_options"] = dict(fields["target_options"])
    return kwargs


def _smb(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # fsspec's SMB paths are '/share/folder'; the host is a filesystem argument.
    share = _segment(fields, "share")
    sub = _subpath(fields, "path")
    root = f"/{share}/{sub}" if sub else f"/{share}"
    kwargs = {"host": fields["host"], **_given(fields, "port", "username", "password")}
    if fields.get("domain") is not None:
        if "username" not in kwargs:
            raise _FieldError("domain", "needs 'username' (the account is DOMAIN\\username)")
        kwargs["username"] = f"{fields['domain']}\\{kwargs['username']}"
    return root, kwargs


def _sftp(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # No 'path': the login folder. A relative 'path' is inside it; an absolute one is not.
    path = str(fields.get("path") or "")
    if ".." in path.split("/"):
        raise _FieldError("path", "must not contain '..'")
    kwargs = {"host": fields["host"], "username": fields["username"]}
    kwargs.update(_given(fields, "port", "password", "passphrase", "timeout"))
    if fields.get("key_filename") is not None:
        kwargs["key_filename"] = str(fields["key_filename"])
    return path, kwargs


def _zip(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if fields.get("mode", "r") != "r":
        raise _FieldError("mode", "must be 'r': zip mounts are read-only")
    return "", {**_archive(fields), "mode": "r"}


def _tar(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kwargs = _archive(fields)
    compression = fields.get("compression")
    if compression is not None:
        from fsspec.compression import available_compressions

        known = [c for c in available_compressions() if c]
        if compression not in known:
            raise _FieldError("compression", f"must be one of {', '.join(known)}")
        kwargs["compression"] = compression
    return "", kwargs


def _libarchive(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "", _archive(fields)


def _git(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # 'path' is the repository here, not a folder inside the filesystem.
    kwargs: dict[str, Any] = {"path": str(fields["path"])}
    if fields.get("fo") is not None:
        kwargs["fo"] = str(fields["fo"])
    kwargs.update(_given(fields, "ref"))
    return "", kwargs


def _github(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if ("username" in fields) != ("token" in fields):
        missing = "token" if "username" in fields else "username"
        raise _FieldError(missing, "is needed too: GitHub takes 'username' and 'token' together")
    kwargs = {"org": fields["org"], "repo": fields["repo"]}
    kwargs.update(_given(fields, "sha", "username", "token", "timeout"))
    return "", kwargs


def _webdav(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kwargs: dict[str, Any] = {"base_url": fields["base_url"]}
    user, password, token = (fields.get(n) for n in ("username", "password", "token"))
    if (user is None) != (password is None):
        missing = "password" if user is not None else "username"
        raise _FieldError(missing, "is needed too: 'username' and 'password' go together")
    if user is not None and token is not None:
        raise _FieldError("token", "cannot be given with 'username'/'password': choose one")
    if user is not None:
        kwargs["auth"] = (user, password)
    if token is not None:
        kwargs["headers"] = {"Authorization": f"Bearer {token}"}
    if fields.get("cert") is not None:
        kwargs["cert"] = str(fields["cert"])
    if fields.get("verify_ssl") is not None:
        kwargs["verify"] = fields["verify_ssl"]  # webdav4 hands it to httpx
    if fields.get("timeout") is not None:
        kwargs["timeout"] = fields["timeout"]
    return "", kwargs


def _named(
    protocol: str,
    required: set[str],
    optional: set[str],
    package: tuple[str, str] | None,
    read_only: bool,
    build: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]],
) -> NamedType:
    # Every named type also takes 'options': more keyword arguments for its filesystem.
    return NamedType(
        protocol, frozenset(required), frozenset(optional | {"options"}), package, read_only, build
    )


_ARCHIVE_FIELDS = {"target_protocol", "target_options"}

#: type -> what it is.
NAMED_FSSPEC_TYPES: dict[str, NamedType] = {
    "smb": _named(
        "smb",
        {"host", "share"},
        {"path", "username", "password", "domain", "port"},
        ("smbclient", "smbprotocol"),
        False,
        _smb,
    ),
    "sftp": _named(
        "sftp",
        {"host", "username"},
        {"path", "password", "port", "key_filename", "passphrase", "timeout"},
        ("paramiko", "paramiko"),
        False,
        _sftp,
    ),
    "zip": _named("zip", {"file"}, {"mode"} | _ARCHIVE_FIELDS, None, True, _zip),
    "tar": _named("tar", {"file"}, {"compression"} | _ARCHIVE_FIELDS, None, True, _tar),
    "git": _named("git", {"path"}, {"ref", "fo"}, ("pygit2", "pygit2"), True, _git),
    "github": _named(
        "github",
        {"org", "repo"},
        {"sha", "username", "token", "timeout"},
        ("requests", "requests"),
        True,
        _github,
    ),
    "webdav": _named(
        "webdav",
        {"base_url"},
        {"username", "password", "token", "cert", "verify_ssl", "timeout"},
        ("webdav4", "webdav4"),
        False,
        _webdav,
    ),
    "libarchive": _named(
        "libarchive", {"file"}, _ARCHIVE_FIELDS, ("libarchive", "libarchive-c"), True, _libarchive
    ),
}


def to_fsspec(
    where: str, mount_type: str, fields: dict[str, Any], permissions: str | None
) -> tuple[dict[str, Any], str]:
    """The fields of the generic ``fsspec`` mount for a named type, and its permissions.

    ``fields`` were checked by kind already. ``permissions`` is ``None`` when not given:
    read-only types then default to ``readonly`` (and refuse any other value), the
    others to ``delete`` like every mount. Raises ``StorageConfigError`` naming the
    mount and the field, or the package to install.
    """
    named = NAMED_FSSPEC_TYPES[mount_type]
    if named.read_only and permissions not in (None, "readonly"):
        raise StorageConfigError(
            f"{where}: type '{mount_type}' is read-only; field 'permissions' must be"
            f" 'readonly', not {permissions!r}"
        )
    try:
        root, kwargs = named.build(fields)
    except _FieldError as exc:
        field_name, problem = exc.args
        raise StorageConfigError(f"{where}: field '{field_name}' {problem}") from None
    extra = dict(fields.get("options") or {})
    clash = sorted(set(extra) & set(kwargs))
    if clash:
        raise StorageConfigError(
            f"{where}: field 'options' repeats {', '.join(map(repr, clash))}, which type"
            f" '{mount_type}' sets from its own fields; give each once"
        )
    _check_package(where, mount_type, named)
    options = {"fsspec_protocol": named.protocol, "path": root, "options": {**extra, **kwargs}}
    return options, permissions or ("readonly" if named.read_only else "delete")


def _check_package(where: str, mount_type: str, named: NamedType) -> None:
    """A clear error when the type's optional package is not installed (before fsspec
    fails on its import, with a message that names neither the mount nor the fix)."""
    if named.package is None:
        return
    module, pip_name = named.package
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken parent package, or a stubbed module
        found = False
    if not found:
        raise StorageConfigError(
            f"{where}: type '{mount_type}' needs the '{pip_name}' package, which is not"
            f" installed: pip install {pip_name}"
        )
