"""Everything that does no I/O, used by both the sync and the async API."""
