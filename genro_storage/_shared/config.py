"""Mount configuration: parse, validate, normalise (secrets are redacted by ``redact``).

A configuration is a list of dicts (or a YAML / JSON file holding one). Each dict
describes one mount; ``configure()`` validates all of them before any is mounted, and
every error names the mount and the field without echoing a secret.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import StorageConfigError
from .named_types import NAMED_FIELD_KINDS, NAMED_FSSPEC_TYPES, to_fsspec
from .paths import normalize, valid_mount_name

# The redaction rules live in ``redact``; importers of this module keep finding them here.
from .redact import REDACTED as REDACTED
from .redact import is_secret_field as is_secret_field
from .redact import public_url as public_url
from .redact import redact as redact
from .redact import url_credentials as url_credentials

PERMISSIONS = ("readonly", "readwrite", "delete")
ASYNC_MODES = ("auto", "native", "thread")

#: Fields every mount accepts, whatever its type.
COMMON_FIELDS = {"name", "type", "protocol", "permissions", "async_mode"}

#: Per built-in type: required fields, optional fields. Aliases are resolved first.
TYPE_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "local": ({"path"}, {"base_url"}),
    "memory": (set(), {"store"}),
    "base64": (set(), set()),
    "s3": (
        {"bucket"},
        {
            "prefix",
            "endpoint_url",
            "key",
            "secret",
            "token",
            "region",
            "anon",
            "max_concurrency",
            "engine",
            "options",
        },
    ),
    "azure": (
        {"container"},
        {
            "prefix",
            "connection_string",
            "account_name",
            "account_key",
            "sas_token",
            "anon",
            "engine",
            "options",
        },
    ),
    "gcs": ({"bucket"}, {"prefix", "endpoint_url", "token", "project", "engine", "options"}),
    "http": ({"base_url"}, {"headers", "timeout", "writable", "options"}),
    "fsspec": ({"fsspec_protocol"}, {"path", "options"}),
}
# The named fsspec types of 0.x (smb, sftp, zip, ...): checked here like every type,
# then translated into an ``fsspec`` mount by ``named_types.to_fsspec``.
TYPE_FIELDS.update(
    {name: (set(t.required), set(t.optional)) for name, t in NAMED_FSSPEC_TYPES.items()}
)


@dataclass(frozen=True, repr=False)
class MountConfig:
    """One validated mount. ``options`` holds the type-specific fields."""

    name: str
    type: str
    permissions: str = "delete"
    async_mode: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"MountConfig(name={self.name!r}, type={self.type!r}, "
            f"permissions={self.permissions!r}, options={redact(self.options)!r})"
        )

    @property
    def can_write(self) -> bool:
        """Whether the mount's permissions allow writing."""
        return self.permissions in ("readwrite", "delete")

    @property
    def can_delete(self) -> bool:
        """Whether the mount's permissions allow deleting."""
        return self.permissions == "delete"


def load_source(source: Any) -> list[Mapping[str, Any]]:
    """Turn a list of dicts, a single dict, or a ``.yaml``/``.json`` path into a list."""
    if isinstance(source, str | os.PathLike):
        source = _read_file(source)
    if isinstance(source, Mapping):
        source = [source]
    if not isinstance(source, Iterable) or isinstance(source, str | bytes):
        raise StorageConfigError(
            f"A configuration must be a list of mount dicts, not {type(source).__name__}"
        )
    items = list(source)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise StorageConfigError(f"Mount #{i} must be a dict, not {type(item).__name__}")
    return items


def _read_file(source: str | os.PathLike[str]) -> Any:
    """The data of a ``.yaml``/``.yml``/``.json`` file; every failure (missing file,
    unreadable, not UTF-8, not parseable) is a ``StorageConfigError`` naming the file."""
    try:
        path = Path(source)
        is_file = path.is_file()
    except (TypeError, ValueError, OSError):  # a NUL byte, bytes paths, ...
        raise StorageConfigError(f"Configuration file {source!r} is not a usable path") from None
    if not is_file:
        raise StorageConfigError(f"Configuration file not found: '{path}'")
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise StorageConfigError(f"Configuration file '{path}' must end in .yaml, .yml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StorageConfigError(
            f"Configuration file '{path}' is not UTF-8 text (byte {exc.start})"
        ) from None
    except OSError as exc:
        raise StorageConfigError(
            f"Cannot read configuration file '{path}': {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        if suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError, RecursionError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StorageConfigError(
            f"Cannot parse configuration file '{path}': {redact(first)}"
        ) from None
    if isinstance(data, Mapping) and "mounts" in data:
        data = data["mounts"]
    return data


def parse_mount(raw: Mapping[str, Any], known_types: Iterable[str]) -> MountConfig:
    """Validate one mount dict; ``known_types`` are the registered backend type names."""
    if not isinstance(raw, Mapping):
        raise StorageConfigError(f"A mount must be a dict, not {type(raw).__name__}")
    data = dict(raw)
    name = data.get("name")
    if name is None:
        raise StorageConfigError("A mount is missing its 'name' field")
    if not valid_mount_name(name):
        shown = repr(name) if isinstance(name, str) else f"of type {type(name).__name__}"
        raise StorageConfigError(
            f"Mount name {shown} is invalid: use letters, digits, '_', '-', '.'"
            " and start with a letter"
        )
    where = f"Mount '{name}'"
    from . import relative  # it builds on this module

    if relative.is_relative(data):
        return relative.parse(name, data)
    # 0.x compatibility: 'protocol' names the type only where 'type' is absent.
    for key in ("type", "protocol"):
        if key in data and not isinstance(data[key], str):
            raise StorageConfigError(
                f"{where}: field '{key}' must be a string, not {type(data[key]).__name__}"
            )
    if "type" in data:
        if "protocol" in data and data["protocol"] != data["type"]:
            raise StorageConfigError(
                f"{where}: fields 'type' and its alias 'protocol' disagree; give only 'type'"
            )
        data.pop("protocol", None)
        mount_type = data.pop("type")
    elif "protocol" in data:
        mount_type = data.pop("protocol")
    else:
        raise StorageConfigError(f"{where}: missing field 'type'")
    known = set(known_types)
    if mount_type not in known:
        raise StorageConfigError(
            f"{where}: field 'type' has unknown value {mount_type!r};"
            f" known types: {', '.join(sorted(known))}"
        )
    _legacy_fields(where, mount_type, data)
    data.pop("name")
    given_permissions = "permissions" in data
    permissions = data.pop("permissions", "delete")
    if not isinstance(permissions, str) or permissions not in PERMISSIONS:
        raise StorageConfigError(
            f"{where}: field 'permissions' must be one of {', '.join(PERMISSIONS)},"
            f" not {_shown(permissions)}"
        )
    async_mode = data.pop("async_mode", "auto")
    if not isinstance(async_mode, str) or async_mode not in ASYNC_MODES:
        raise StorageConfigError(
            f"{where}: field 'async_mode' must be one of {', '.join(ASYNC_MODES)},"
            f" not {_shown(async_mode)}"
        )
    if mount_type in TYPE_FIELDS:
        required, optional = TYPE_FIELDS[mount_type]
        unknown = set(data) - required - optional
        if unknown:
            raise StorageConfigError(
                f"{where}: unknown field(s) {', '.join(sorted(map(repr, unknown)))}"
                f" for type '{mount_type}'"
            )
        for req in sorted(required):
            value = data.get(req)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise StorageConfigError(f"{where}: missing field '{req}' (type '{mount_type}')")
        _check_types(where, mount_type, data)
    if mount_type in NAMED_FSSPEC_TYPES:
        data, permissions = to_fsspec(
            where, mount_type, data, permissions if given_permissions else None
        )
    return MountConfig(
        name=name, type=mount_type, permissions=permissions, async_mode=async_mode, options=data
    )


#: genro-storage 0.x field names -> this library's, per type ('*': any other type).
LEGACY_FIELDS: dict[str, dict[str, str]] = {
    "s3": {"base_path": "prefix", "access_key": "key", "secret_key": "secret"},
    "gcs": {"base_path": "prefix"},
    "azure": {"base_path": "prefix"},
    "http": {"base_path": "base_url"},
    "webdav": {"url": "base_url"},
    "*": {"base_path": "path"},
}


def _legacy_fields(where: str, mount_type: str, data: dict[str, Any]) -> None:
    """Rename the 0.x spellings of fields (``base_path``, ``access_key``...) in place;
    giving a field under both names is refused."""
    renames = LEGACY_FIELDS.get(mount_type, LEGACY_FIELDS["*"])
    for old, new in renames.items():
        if old in data:
            if new in data:
                raise StorageConfigError(f"{where}: give '{new}' or its alias '{old}', not both")
            data[new] = data.pop(old)


def _shown(value: Any) -> str:
    """A rejected value for a message: short strings as such, else only the type."""
    if isinstance(value, str) and len(value) <= 40:
        return repr(redact(value))
    return f"a value of type {type(value).__name__}"


# -- field types --------------------------------------------------------------------
# What each field of the built-in types takes. A field given as ``None`` (an empty YAML
# value) counts as absent. Booleans are booleans only: the string "false" is refused,
# never read as true.

_KINDS: dict[str, str] = {
    "path": "path",
    "base_url": "url",
    "endpoint_url": "url",
    "store": "str",
    "bucket": "str",
    "container": "str",
    "prefix": "str",
    "key": "str",
    "secret": "str",
    "token": "str",
    "region": "str",
    "project": "str",
    "connection_string": "str",
    "account_name": "str",
    "account_key": "str",
    "sas_token": "str",
    "fsspec_protocol": "str",
    "engine": "engine",
    "anon": "bool",
    "writable": "bool",
    "max_concurrency": "count",
    "timeout": "seconds",
    "headers": "headers",
    "options": "options",
    **NAMED_FIELD_KINDS,
}
#: Where a type takes more than the field's usual kind.
_TYPE_KINDS: dict[tuple[str, str], str] = {
    ("gcs", "token"): "str_or_mapping",  # gcsfs: a method name, a file, or the key's dict
    # 0.x: a local mount's folder may be a callable asked at each access (``localroot``),
    # and its base_url a path on the serving site ('/static')
    ("local", "path"): "path_or_callable",
    ("local", "base_url"): "url_or_site_path",
}
_KIND_TEXT = {
    "path": "a string (or path)",
    "path_or_callable": "a string (or path), or a callable returning one",
    "url_or_site_path": "an http:// or https:// URL, or a path starting with '/' (a string)",
    "url": "an http:// or https:// URL (a string)",
    "str": "a string",
    "str_or_mapping": "a string or a mapping",
    "bool": "true or false (a boolean, not a string)",
    "count": "an integer >= 1",
    "port": "a port number (an integer from 1 to 65535)",
    "seconds": "a number of seconds > 0",
    "headers": "a mapping of header names to string values",
    "options": "a mapping with string keys",
    "engine": "'obstore' or 'fsspec'",
}
#: Keys inside ``options`` that this library reads itself, and what they must be.
_OPTION_KINDS = {"client_kwargs": "options", "config_kwargs": "options", "account_host": "str"}


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == "path":
        return isinstance(value, str | os.PathLike)
    if kind == "path_or_callable":
        return isinstance(value, str | os.PathLike) or callable(value)
    if kind in ("str", "url", "url_or_site_path"):
        return isinstance(value, str)
    if kind == "str_or_mapping":
        return isinstance(value, str | Mapping)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "count":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if kind == "port":
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536
    if kind == "seconds":
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and value == value  # not NaN
            and 0 < value < float("inf")
        )
    if kind == "headers":
        return isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    if kind == "options":
        return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    if kind == "engine":
        return value in ("obstore", "fsspec")
    raise AssertionError(kind)  # pragma: no cover - every kind is listed above


def _got(kind: str, value: Any) -> str:
    """What a rejected value is, for a message (its type, never its content; a short
    ``engine`` name is shown)."""
    if kind == "engine" and isinstance(value, str) and len(value) <= 40:
        return repr(value)
    if kind in ("headers", "options") and isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"a mapping with a key of type {type(k).__name__}"
            if kind == "headers" and not isinstance(v, str):
                return f"a mapping whose '{k}' is of type {type(v).__name__}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def _check_types(where: str, mount_type: str, data: dict[str, Any]) -> None:
    for key in list(data):
        value = data[key]
        if value is None:
            del data[key]  # an empty YAML value: the field is absent
            continue
        kind = _TYPE_KINDS.get((mount_type, key), _KINDS.get(key))
        if kind is not None and not _kind_ok(kind, value):
            raise StorageConfigError(
                f"{where}: field '{key}' must be {_KIND_TEXT[kind]}, not {_got(kind, value)}"
            )
    for key, kind in _OPTION_KINDS.items():
        value = (data.get("options") or {}).get(key)
        if value is not None and not _kind_ok(kind, value):
            raise StorageConfigError(
                f"{where}: field 'options.{key}' must be {_KIND_TEXT[kind]},"
                f" not {_got(kind, value)}"
            )
    if "prefix" in data:
        try:
            data["prefix"] = normalize(data["prefix"])
        except Exception as exc:
            raise StorageConfigError(f"{where}: field 'prefix' is invalid: {exc}") from None
    for key in ("endpoint_url", "base_url"):
        if key in data:
            if mount_type == "local" and key == "base_url" and data[key].startswith("/"):
                _check_site_path(where, key, data[key])
            else:
                _check_url(where, key, data[key])
    if "path" in data and not callable(data["path"]):
        data["path"] = os.fspath(data["path"])
        if "\x00" in data["path"]:
            raise StorageConfigError(f"{where}: field 'path' contains a NUL byte")


def _check_site_path(where: str, key: str, url: str) -> None:
    """A path on the serving site ('/static'), to which file paths are appended: not
    '//host' (another site), no spaces, no query or fragment."""
    if url.startswith("//") or any(c.isspace() for c in url) or "?" in url or "#" in url:
        raise StorageConfigError(
            f"{where}: field '{key}' as a site path must start with a single '/' and have"
            f" no spaces, query or fragment, not {redact(url)!r}"
        )


def _check_url(where: str, key: str, url: str) -> None:
    """An http(s) URL with a host, to which paths can be appended: no query or
    fragment (credentials go in 'headers' or the mount's own fields)."""
    problem = None
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        problem = "is not a valid URL"
    else:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "must start with http:// or https:// and name a host"
        elif any(c.isspace() for c in url):
            problem = "must not contain spaces"
        elif parts.query or parts.fragment or url.endswith(("?", "#")):
            problem = "must not have a query (?...) or a fragment (#...)"
    if problem:
        raise StorageConfigError(f"{where}: field '{key}' {problem}, not {redact(url)!r}")


def parse_all(source: Any, known_types: Iterable[str]) -> list[MountConfig]:
    """Validate a whole configuration; duplicate names are refused."""
    known = list(known_types)
    mounts = [parse_mount(raw, known) for raw in load_source(source)]
    seen: set[str] = set()
    for mount in mounts:
        if mount.name in seen:
            raise StorageConfigError(f"Mount '{mount.name}' is configured twice")
        seen.add(mount.name)
    return mounts


LOCAL_PATH_MODES = ("r", "w", "rw")


def check_local_path(
    config: MountConfig, mode: object, where: str, store_writes: bool = True
) -> None:
    """The checks of ``local_path(mode)``, made before any path is handed out: a known
    mode, and write permission for ``'w'``/``'rw'`` (a local mount gives its real file,
    so a read-only mount must refuse it up front). ``store_writes`` is the store's own
    answer (``capabilities.write``): an HTTP mount without ``writable`` is read-only
    whatever its permissions say, and the tool's work would be lost at the end."""
    if not isinstance(mode, str) or mode not in LOCAL_PATH_MODES:
        raise StorageConfigError(f"local_path() mode must be 'r', 'w' or 'rw', not {_shown(mode)}")
    if "w" in mode:
        action = f"write '{where}' through local_path('{mode}')"
        require(config, "write", action)
        if not store_writes:
            from .exceptions import StoragePermissionError

            raise StoragePermissionError(f"Mount '{config.name}' is read-only: cannot {action}")


def require(config: MountConfig, right: str, action: str) -> None:
    """Refuse ``action`` unless the mount's permissions grant ``right`` ('write'/'delete')."""
    from .exceptions import StoragePermissionError

    allowed = config.can_delete if right == "delete" else config.can_write
    if not allowed:
        raise StoragePermissionError(
            f"Mount '{config.name}' is {config.permissions}: cannot {action}"
        )
