"""The documentation: the Sphinx site builds with ``-W`` (no warning, so no broken
cross-reference or toctree entry), its API page lists every public member of the nodes,
the managers, the file objects and the explorer, and each of those has a docstring."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import pytest
from sphinx.pycode import ModuleAnalyzer

from genro_storage import StorageManager, StorageNode
from genro_storage.async_ import (
    AsyncFile,
    AsyncStorageManager,
    AsyncStorageNode,
    AsyncTextFile,
)
from genro_storage.node import TextWriteFile, WriteFile
from genro_storage.widgets import StorageExplorer

ROOT = Path(__file__).resolve().parent.parent

#: The classes whose every public member the API page shows, by their documented name.
DOCUMENTED: dict[str, type] = {
    "genro_storage.StorageManager": StorageManager,
    "genro_storage.StorageNode": StorageNode,
    "genro_storage.node.WriteFile": WriteFile,
    "genro_storage.node.TextWriteFile": TextWriteFile,
    "genro_storage.async_.AsyncStorageManager": AsyncStorageManager,
    "genro_storage.async_.AsyncStorageNode": AsyncStorageNode,
    "genro_storage.async_.AsyncFile": AsyncFile,
    "genro_storage.async_.AsyncTextFile": AsyncTextFile,
    "genro_storage.widgets.StorageExplorer": StorageExplorer,
}


def public_members(cls: type) -> dict[str, tuple[type, object]]:
    """``{name: (defining class, raw attribute)}`` of the public members this package
    defines on ``cls`` (its own or inherited from its own bases). Members inherited from
    the standard library's ``io`` classes or from ipywidgets are documented there."""
    found = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next(k for k in cls.__mro__ if name in vars(k))
        if owner.__module__.split(".")[0] == "genro_storage":
            found[name] = (owner, vars(owner)[name])
    return found


def own_docstring(owner: type, name: str, attr: object) -> str | None:
    """The docstring written for a member: a function's or property's own ``__doc__``, or
    the ``#:`` comment above a data attribute (what Sphinx shows)."""
    if isinstance(attr, staticmethod | classmethod):
        attr = attr.__func__
    if isinstance(attr, property | cached_property) or inspect.isfunction(attr):
        return inspect.cleandoc(attr.__doc__) if attr.__doc__ else None
    comments = ModuleAnalyzer.for_module(owner.__module__).find_attr_docs()
    lines = comments.get((owner.__qualname__, name))
    return "\n".join(lines).strip() if lines else None


@pytest.mark.parametrize("documented", list(DOCUMENTED), ids=lambda d: d.rsplit(".", 1)[-1])
def test_every_public_member_has_a_docstring(documented):
    cls = DOCUMENTED[documented]
    assert inspect.getdoc(cls), f"{documented} has no docstring"
    missing = [
        f"{owner.__qualname__}.{name}"
        for name, (owner, attr) in public_members(cls).items()
        if not own_docstring(owner, name, attr)
    ]
    assert missing == [], f"{documented}: public members without a docstring: {missing}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return result, out


def test_the_docs_build_with_warnings_as_errors(site):
    result, out = site
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr
    assert (out / "index.html").is_file() and (out / "api.html").is_file()


def test_the_api_page_lists_every_public_member(site):
    result, out = site
    assert (out / "api.html").is_file(), result.stderr
    anchors = set(re.findall(r'id="([^"]+)"', (out / "api.html").read_text("utf-8")))
    for documented, cls in DOCUMENTED.items():
        assert documented in anchors, f"{documented} is not on the API page"
        missing = [n for n in public_members(cls) if f"{documented}.{n}" not in anchors]
        assert missing == [], f"{documented}: members missing from the API page: {missing}"
