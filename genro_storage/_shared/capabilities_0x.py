"""The capability names of genro-storage 0.x (``BackendCapabilities``), as read-only
properties over this library's flags, so that 0.x code asking
``node.capabilities.versioning`` keeps working. ``as_dict()`` lists only the real flags."""

from __future__ import annotations


class LegacyCapabilityNames:
    """0.x names; each docstring names the flag it reads."""

    __slots__ = ()
    versions: bool
    write: bool
    presigned_url: bool
    public_url: bool
    server_side_copy: bool
    hash_without_download: bool
    range_reads: bool
    local_path: bool

    @property
    def versioning(self) -> bool:
        """0.x name of ``versions``."""
        return self.versions

    @property
    def version_listing(self) -> bool:
        """0.x name of ``versions`` (listing comes with it)."""
        return self.versions

    @property
    def version_access(self) -> bool:
        """0.x name of ``versions`` (reading one comes with it)."""
        return self.versions

    @property
    def presigned_urls(self) -> bool:
        """0.x name of ``presigned_url``."""
        return self.presigned_url

    @property
    def public_urls(self) -> bool:
        """0.x name of ``public_url``."""
        return self.public_url

    @property
    def copy_optimization(self) -> bool:
        """0.x name of ``server_side_copy``."""
        return self.server_side_copy

    @property
    def hash_on_metadata(self) -> bool:
        """0.x name of ``hash_without_download``."""
        return self.hash_without_download

    @property
    def seek_support(self) -> bool:
        """0.x name of ``range_reads``."""
        return self.range_reads

    @property
    def readonly(self) -> bool:
        """0.x: whether nothing can be written (``not write``)."""
        return not self.write

    @property
    def list_dir(self) -> bool:
        """0.x: every store lists folders here."""
        return True

    @property
    def atomic_operations(self) -> bool:
        """0.x: every write here is atomic (published whole or not at all)."""
        return True

    @property
    def symbolic_links(self) -> bool:
        """0.x: only local disk has symlinks (``local_path``)."""
        return self.local_path

    @property
    def append_mode(self) -> bool:
        """0.x: no store here opens files for appending (``'a'`` is not a mode)."""
        return False
