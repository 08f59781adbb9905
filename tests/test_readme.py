"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.strip(), "every README example prints what it shows"


def test_sync_example_prints_what_the_comment_says(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    exec(BLOCKS[0], {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "True 9 text/plain"
    assert lines[1] == "['summary.txt']"
    assert lines[2] == "all good"


def test_pandas_example_prints_what_the_comments_say(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (block,) = [b for b in BLOCKS if "genro://" in b]
    exec(block, {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["True", "['mem', 'disk']", "['disk/cities.csv', 'mem/cities.parquet']", "2"]


# -- the command-line session ---------------------------------------------------------
# A ```console block is a shell session: each `$ ` line runs in bash (from a fresh folder,
# with `genro-storage` being this checkout's command line and a mount named `s3` on
# moto), and the lines after it are its output, stdout and stderr together.
SESSIONS = re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def session_steps(block: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before any command: {line!r}"
            steps[-1][1].append(line)
    return steps


def test_readme_has_a_command_line_session():
    assert SESSIONS and any("genro-storage cp" in block for block in SESSIONS)


@pytest.mark.parametrize("index", range(len(SESSIONS)))
def test_readme_command_line_session_prints_what_it_shows(index, make_config, tmp_path):
    import os
    import subprocess
    import sys

    import yaml

    root = README.parent
    config = tmp_path / "mounts.yaml"
    config.write_text(yaml.safe_dump([make_config("s3", "s3")]), "utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "genro-storage"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m genro_storage.cli "$@"\n', "utf-8")
    script.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENRO_STORAGE_DEBUG")}
    env.update(
        GENRO_STORAGE_CONFIG=str(config),
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")])),
    )
    for command, expected in session_steps(SESSIONS[index]):
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
        printed = result.stdout.decode().splitlines()
        assert printed == expected, f"$ {command}"
        failed = bool(expected) and expected[-1].startswith("genro-storage: error:")
        assert (result.returncode != 0) == failed, f"$ {command}: exit {result.returncode}"
