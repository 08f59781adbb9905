"""Where the paths of a local mount live: one folder, or a callable (genro-storage 0.x)
asked at each access.

- ``path='/srv/data'``: one folder, checked when the mount is made.
- ``path=fn`` with no parameter: ``fn()`` gives the folder, at each access (a folder
  that follows the application's context).
- ``path=fn`` with one parameter, a *switched* mount: the first segment of a path picks
  the folder, ``fn(segment)``, and the rest of the path lies inside it
  (``pkg:sys/a.txt`` is ``fn('sys')/a.txt``); the mount's root asks ``fn('')``.

Whatever the callable returns must be an existing folder, and nothing resolves outside
it (the local backend's containment rule applies to each resolved folder).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

from .._shared.exceptions import StorageConfigError

__all__ = ["Roots"]


def _arity(fn: Callable[..., Any], mount: str) -> int:
    """0 or 1: how many positional arguments ``fn`` takes (defaults make it optional)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0  # a builtin without a signature: called without arguments
    required = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(required) > 1:
        raise StorageConfigError(
            f"Mount '{mount}': a callable 'path' takes no argument or one (the first path"
            f" segment), not {len(required)}"
        )
    return len(required)


class Roots:
    """The folder (and resolved folder) of each path of one local mount."""

    def __init__(self, mount: str, option: Any) -> None:
        self.mount = mount
        self.fn: Callable[..., Any] | None = option if callable(option) else None
        self.switched = self.fn is not None and _arity(self.fn, mount) == 1
        self.fixed: str | None = None
        if self.fn is None:
            self.fixed = self._folder(option, None)
            self.fixed_real = os.path.realpath(self.fixed)

    def _folder(self, value: Any, segment: str | None) -> str:
        """``value`` as an absolute existing folder, or a ``StorageConfigError``."""
        asked = "" if segment is None else f" for '{segment}'"
        if not isinstance(value, str | os.PathLike):
            raise StorageConfigError(
                f"Mount '{self.mount}': the 'path' callable returned"
                f" {type(value).__name__}{asked}, not a folder path"
            )
        text = os.fspath(value)
        if not isinstance(text, str) or "\x00" in text:
            raise StorageConfigError(f"Mount '{self.mount}': 'path'{asked} is not a usable path")
        root = os.path.abspath(os.path.expanduser(text))
        if not os.path.isdir(root):
            where = "field 'path'" if self.fn is None else f"the 'path' callable{asked}"
            raise StorageConfigError(
                f"Mount '{self.mount}': {where} is not an existing directory: '{root}'"
            )
        return root

    def _call(self, segment: str | None) -> str:
        assert self.fn is not None
        try:
            value = self.fn(segment) if segment is not None else self.fn()
        except Exception as exc:  # the application's resolver: its message, kept
            asked = "" if segment is None else f" for '{segment}'"
            raise StorageConfigError(
                f"Mount '{self.mount}': the 'path' callable failed{asked}:"
                f" {type(exc).__name__}: {exc}"
            ) from exc
        return self._folder(value, segment)

    def split(self, path: str) -> tuple[str, str, str]:
        """``(folder, resolved folder, path inside it)`` for the mount path ``path``."""
        if self.fixed is not None:
            return self.fixed, self.fixed_real, path
        if not self.switched:
            root = self._call(None)
            return root, os.path.realpath(root), path
        segment, _, rest = path.partition("/")
        root = self._call(segment)
        return root, os.path.realpath(root), rest
