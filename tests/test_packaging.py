"""Packaging metadata users see on the package index and in ``pip show``."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_license_is_an_spdx_string_with_its_file():
    project = PROJECT["project"]
    assert project["license"] == "MIT"  # PEP 639, not the deprecated {text = ...} table
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    assert "License :: " not in " ".join(project["classifiers"])  # superseded by PEP 639
    # setuptools reads a license expression from version 77 on.
    (requirement,) = [r for r in PROJECT["build-system"]["requires"] if "setuptools" in r]
    assert int(re.search(r">=(\d+)", requirement).group(1)) >= 77


def test_classifiers_urls_and_the_console_script():
    project = PROJECT["project"]
    classifiers = project["classifiers"]
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert "Environment :: Console" in classifiers
    assert set(project["urls"]) >= {"Homepage", "Repository", "Issues"}
    assert all(url.startswith("https://") for url in project["urls"].values())
    assert project["scripts"] == {"genro-storage": "genro_storage.cli:main"}


def test_extras_do_not_repeat_base_dependencies_and_all_names_real_extras():
    project = PROJECT["project"]
    extras = project["optional-dependencies"]
    base = {re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    assert "http" not in extras  # aiohttp is a base dependency
    for name, deps in extras.items():
        if name in ("dev", "docs"):
            continue
        names = {re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower() for dep in deps}
        assert not (names & base), f"extra '{name}' repeats {names & base}"
    (everything,) = extras["all"]
    wanted = re.fullmatch(r"genro-storage\[(.*)\]", everything).group(1).split(",")
    assert set(wanted) == set(extras) - {"all", "dev", "docs"}


def test_the_sdist_leaves_the_tests_out():
    # The tests need the whole repository (servers, Azurite from npm, notebooks): an
    # sdist with only some of them would ship tests that cannot run.
    manifest = (ROOT / "MANIFEST.in").read_text("utf-8").splitlines()
    assert "prune tests" in manifest
