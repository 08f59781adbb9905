"""Capabilities under the module name genro-storage 0.x used.

``BackendCapabilities`` (0.x's class) is ``Capabilities``: a node's
``capabilities`` answers the 0.x names too (``versioning``, ``presigned_urls``,
``readonly``...). ``SkipStrategy`` is importable here as well as from ``genro_storage``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ._shared.capabilities import Capabilities
from ._shared.skip import SkipStrategy

__all__ = ["BackendCapabilities", "Capabilities", "SkipStrategy", "capability"]

#: 0.x's name of ``Capabilities``.
BackendCapabilities = Capabilities

F = TypeVar("F", bound=Callable[..., Any])


def capability(*names: str) -> Callable[[F], F]:
    """0.x's decorator naming the capabilities a backend method provides. Kept so that
    0.x backend modules import; it only records ``names`` on the function
    (``__genro_capabilities__``). A backend of this library declares what it can do
    with its ``capabilities`` class attribute (a ``Capabilities``), which is what the
    library reads."""
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"capability names are non-empty strings, not {name!r}")

    def mark(fn: F) -> F:
        known = getattr(fn, "__genro_capabilities__", ())
        fn.__genro_capabilities__ = (*known, *names)  # type: ignore[attr-defined]
        return fn

    return mark
