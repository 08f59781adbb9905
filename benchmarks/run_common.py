"""The pieces every section of ``run.py`` shares: the report's ``Row`` and ``Section``
types, the sizes and counts the sections agree on, and the small-file helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness import KIB, Measure

FILE_SIZE = 4 * KIB
FILES = 200  # distinct small files per store, read round-robin
LOCAL_CONCURRENCY = 16  # async tasks / pool threads for the local and memory rows
HTTP_LATENCY = 0.02  # seconds the HTTP server waits before each answer
LOCAL_ROUND_FACTOR = 4  # local/memory variants run in 4x as many (shorter) rounds
NET_THREADS = 50  # pool threads for the sync API on HTTP and S3
S3_CONCURRENCY = 50
BUCKET = "bench"


@dataclass
class Row:
    """One line of the report: ``refs`` name the rows (same section) it is compared to."""

    operation: str
    key: str
    variant: str
    refs: tuple[str, ...] = ()


@dataclass
class Section:
    """Rows measured together; ``results`` maps row key to its measure."""

    title: str
    note: str
    rows: list[Row]
    results: dict[str, Measure]
    unit: str = "ops/s"  # what ``Measure.rate`` counts
    finding: str = ""  # a line for the report's findings, when the section has one


def make_files(root: Path, count: int, size: int) -> list[Path]:
    """``count`` files of ``size`` random bytes under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"f{i:03d}.bin" for i in range(count)]
    for p in paths:
        p.write_bytes(os.urandom(size))
    return paths


def cycle(i: int) -> int:
    """Index of the file read by operation ``i``."""
    return i % FILES
