"""Async memory mount: the sync dict backend, run in worker threads."""

from __future__ import annotations

from ..._shared.config import MountConfig
from ...backends.memory import MemoryBackend
from .base import ThreadBackend


def AsyncMemoryBackend(config: MountConfig) -> ThreadBackend:  # noqa: N802 - a class-like factory
    """Thread wrapper over ``MemoryBackend``."""
    return ThreadBackend(MemoryBackend(config))
