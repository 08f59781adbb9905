"""What each backend can do, so that callers (and the explorer) can ask before trying."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .capabilities_0x import LegacyCapabilityNames


@dataclass(frozen=True)
class Capabilities(LegacyCapabilityNames):
    """Feature flags of a backend; a mount's permissions narrow the write flags further."""

    read: bool = True
    write: bool = True
    delete: bool = True
    mkdir: bool = True
    real_directories: bool = True  # False on object stores: a "directory" is a prefix
    versions: bool = False
    metadata: bool = False
    presigned_url: bool = False
    public_url: bool = False
    server_side_copy: bool = True
    range_reads: bool = True
    hash_without_download: bool = False
    paged_listing: bool = False
    local_path: bool = False

    def with_permissions(self, permissions: str) -> Capabilities:
        """These flags narrowed by a mount's ``permissions`` (``readonly``,
        ``readwrite`` or ``delete``)."""
        write = self.write and permissions in ("readwrite", "delete")
        delete = self.delete and permissions == "delete"
        return replace(
            self,
            write=write,
            delete=delete,
            mkdir=self.mkdir and write,
        )

    def as_dict(self) -> dict[str, bool]:
        """Every flag by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


LOCAL = Capabilities(local_path=True)
MEMORY = Capabilities(metadata=True)
BASE64 = Capabilities(mkdir=False, delete=False, server_side_copy=False, real_directories=False)
OBJECT_STORE = Capabilities(
    real_directories=False, metadata=True, hash_without_download=True, paged_listing=True
)
S3 = replace(OBJECT_STORE, versions=True, presigned_url=True)
AZURE = replace(OBJECT_STORE, presigned_url=True)
GCS = replace(OBJECT_STORE, public_url=True)
HTTP = Capabilities(
    write=False,
    delete=False,
    mkdir=False,
    server_side_copy=False,
    real_directories=False,
    public_url=True,
    hash_without_download=True,
)
FSSPEC = Capabilities()
