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
