"""Mount configuration: parse, validate, normalise, redact secrets.

A configuration is a list of dicts (or a YAML / JSON file holding one). Each dict
describes one mount; ``configure()`` validates all of them before any is mounted, and
every error names the mount and the field without echoing a secret.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import StorageConfigError
from .paths import normalize, valid_mount_name

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
            "options",
        },
    ),
    "gcs": ({"bucket"}, {"prefix", "endpoint_url", "token", "project", "options"}),
    "http": ({"base_url"}, {"headers", "timeout", "writable", "options"}),
    "fsspec": ({"fsspec_protocol"}, {"path", "options"}),
}

_SECRET_NAME = re.compile(r"(secret|password|passwd|token|credential|account_key|sas|key$)", re.I)
_SECRET_IN_TEXT = re.compile(
    r"(AccountKey|SharedAccessSignature|sig|password|secret)=([^;&\s]+)", re.I
)
#: The password of a URL's user info (``scheme://user:password@host``).
_URL_PASSWORD = re.compile(r"(//[^/@\s:]*:)[^/@\s]*(?=@)")
REDACTED = "***"


def is_secret_field(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) or name in {"key", "connection_string"}


def redact(value: Any, field_name: str = "") -> Any:
    """A copy of ``value`` with every secret replaced by ``***`` (dicts walked deeply)."""
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v, field_name) for v in value)
    if field_name and is_secret_field(field_name) and value not in (None, "anon", False):
        if field_name == "token" and value in ("anon", "google_default", "cloud"):
            return value
        return REDACTED
    if isinstance(value, str):
        value = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
        return _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}={REDACTED}", value)
    return value


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
        return self.permissions in ("readwrite", "delete")

    @property
    def can_delete(self) -> bool:
        return self.permissions == "delete"


def load_source(source: Any) -> list[Mapping[str, Any]]:
    """Turn a list of dicts, a single dict, or a ``.yaml``/``.json`` path into a list."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise StorageConfigError(f"Configuration file not found: '{path}'")
        suffix = path.suffix.lower()
        if suffix not in (".yaml", ".yml", ".json"):
            raise StorageConfigError(
                f"Configuration file '{path}' must end in .yaml, .yml or .json"
            )
        text = path.read_text(encoding="utf-8")
        try:
            if suffix == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageConfigError(f"Cannot parse configuration file '{path}': {first}") from None
        if isinstance(data, Mapping) and "mounts" in data:
            data = data["mounts"]
        source = data
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


def parse_mount(raw: Mapping[str, Any], known_types: Iterable[str]) -> MountConfig:
    """Validate one mount dict; ``known_types`` are the registered backend type names."""
    data = dict(raw)
    name = data.get("name")
    if name is None:
        raise StorageConfigError("A mount is missing its 'name' field")
    if not valid_mount_name(name):
        raise StorageConfigError(
            f"Mount name {name!r} is invalid: use letters, digits, '_', '-', '.'"
            " and start with a letter"
        )
    where = f"Mount '{name}'"
    # 0.x compatibility: 'protocol' names the type only where 'type' is absent.
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
    if "base_path" in data:
        if "path" in data:
            raise StorageConfigError(f"{where}: give 'path' or its alias 'base_path', not both")
        data["path"] = data.pop("base_path")
    data.pop("name")
    permissions = data.pop("permissions", "delete")
    if permissions not in PERMISSIONS:
        raise StorageConfigError(
            f"{where}: field 'permissions' must be one of {', '.join(PERMISSIONS)},"
            f" not {permissions!r}"
        )
    async_mode = data.pop("async_mode", "auto")
    if async_mode not in ASYNC_MODES:
        raise StorageConfigError(
            f"{where}: field 'async_mode' must be one of {', '.join(ASYNC_MODES)},"
            f" not {async_mode!r}"
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
    return MountConfig(
        name=name, type=mount_type, permissions=permissions, async_mode=async_mode, options=data
    )


def _check_types(where: str, mount_type: str, data: dict[str, Any]) -> None:
    for key in ("path", "bucket", "container", "base_url", "endpoint_url", "fsspec_protocol"):
        if key in data and not isinstance(data[key], str | os.PathLike):
            raise StorageConfigError(
                f"{where}: field '{key}' must be a string, not {type(data[key]).__name__}"
            )
    for key in ("options", "headers"):
        if key in data and not isinstance(data[key], Mapping):
            raise StorageConfigError(f"{where}: field '{key}' must be a mapping")
    if "prefix" in data:
        if not isinstance(data["prefix"], str):
            raise StorageConfigError(f"{where}: field 'prefix' must be a string")
        try:
            data["prefix"] = normalize(data["prefix"])
        except Exception as exc:
            raise StorageConfigError(f"{where}: field 'prefix' is invalid: {exc}") from None
    if "max_concurrency" in data:
        value = data["max_concurrency"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise StorageConfigError(f"{where}: field 'max_concurrency' must be an integer >= 1")
    for key in ("endpoint_url", "base_url"):
        url = data.get(key)
        if isinstance(url, str) and not re.match(r"^https?://", url):
            raise StorageConfigError(
                f"{where}: field '{key}' must start with http:// or https://, not {redact(url)!r}"
            )
    if mount_type == "local":
        data["path"] = os.fspath(data["path"])


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


def require(config: MountConfig, right: str, action: str) -> None:
    """Refuse ``action`` unless the mount's permissions grant ``right`` ('write'/'delete')."""
    from .exceptions import StoragePermissionError

    allowed = config.can_delete if right == "delete" else config.can_write
    if not allowed:
        raise StoragePermissionError(
            f"Mount '{config.name}' is {config.permissions}: cannot {action}"
        )
