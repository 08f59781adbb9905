"""Async base64 mount: the sync backend, run in worker threads."""

from __future__ import annotations

from ..._shared.config import MountConfig
from ...backends.base64 import Base64Backend
from .base import ThreadBackend


def AsyncBase64Backend(config: MountConfig) -> ThreadBackend:  # noqa: N802 - a class-like factory
    """Thread wrapper over ``Base64Backend``."""
    return ThreadBackend(Base64Backend(config))
