"""The package is typed (PEP 561): ``mypy --strict`` is clean on it, it ships ``py.typed``,
and the types users see are the real ones (a sync node's methods return sync nodes, an
async node's return async nodes, a report names the node class of its API)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _mypy(*args: str, cache: Path, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    lines = (result.stdout + result.stderr).splitlines()
    return result.returncode, [line for line in lines if ": error:" in line]


def test_mypy_strict_reports_no_error_on_the_package(tmp_path):
    code, errors = _mypy("genro_storage", cache=tmp_path / "cache")
    print("\n".join(errors))  # shown by pytest when the test fails
    assert code == 0, f"mypy --strict genro_storage: {len(errors)} errors\n" + "\n".join(errors)
    assert errors == []


def test_py_typed_ships_with_the_package():
    assert (ROOT / "genro_storage" / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    package_data = project["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["genro_storage"]
    dev = project["project"]["optional-dependencies"]["dev"]
    names = {dep.split(">")[0].split("=")[0].split("[")[0].strip().lower() for dep in dev}
    assert {"mypy", "types-pyyaml", "types-aiofiles", "types-tqdm"} <= names


USER_CODE = """
    from __future__ import annotations

    from typing import BinaryIO, TextIO

    from typing_extensions import assert_type

    from genro_storage import FileInfo, Page, StorageManager, StorageNode, TransferReport
    from genro_storage import VersionInfo
    from genro_storage.async_ import AsyncFile, AsyncStorageManager, AsyncStorageNode
    from genro_storage.node import TextWriteFile, WriteFile


    def sync_api(storage: StorageManager) -> None:
        node = storage.node("mem:a/b.txt")
        assert_type(node, StorageNode)
        assert_type(node.parent, StorageNode)
        assert_type(node.child("c", "d"), StorageNode)
        assert_type(node / "e", StorageNode)
        assert_type(node.write_text("x"), StorageNode)
        assert_type(node.write_bytes(b"x"), StorageNode)
        assert_type(node.exists, bool)
        assert_type(node.size, int | None)
        assert_type(node.info(), FileInfo)
        assert_type(node.list(), Page)
        assert_type(node.children(), list[StorageNode])
        assert_type(node.versions(), list[VersionInfo])
        report = node.copy("mem:c.txt")
        assert_type(report, TransferReport[StorageNode])
        assert_type(report.destination, StorageNode)
        assert_type(node.open("rb"), BinaryIO)
        assert_type(node.open("r"), TextIO)
        assert_type(node.open("wb"), WriteFile)
        assert_type(node.open("w").node, StorageNode)
        assert_type(node.open("w"), TextWriteFile)
        assert_type(node.child_from(node.info()), StorageNode)


    async def async_api(storage: AsyncStorageManager) -> None:
        node = storage.node("mem:a/b.txt")
        assert_type(node, AsyncStorageNode)
        assert_type(node.parent, AsyncStorageNode)
        assert_type(node.child_named("c"), AsyncStorageNode)
        assert_type(await node.write_bytes(b"x"), AsyncStorageNode)
        assert_type(await node.exists(), bool)
        assert_type(await node.versions(), list[VersionInfo])
        report = await node.move(node.parent / "d")
        assert_type(report.destination, AsyncStorageNode)
        assert_type(node.as_sync(), StorageNode)
        assert_type(storage.as_sync(), StorageManager)
        async with node.open("wb") as f:
            assert_type(f, AsyncFile)
        async for child in node.children():
            assert_type(child, AsyncStorageNode)
"""


def test_users_see_the_node_class_of_their_api(tmp_path):
    script = tmp_path / "user_code.py"
    script.write_text(textwrap.dedent(USER_CODE), "utf-8")
    env = dict(os.environ, MYPYPATH=str(ROOT))
    # Only the user's file is judged here; the package's own errors are the test above.
    code, errors = _mypy("--follow-imports=silent", str(script), cache=tmp_path / "cache", env=env)
    print("\n".join(errors))
    assert code == 0 and errors == [], "\n".join(errors)
