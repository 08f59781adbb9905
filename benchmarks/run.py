"""genro-storage benchmarks: native async vs thread wrapper vs sync, and this library vs
the raw client it wraps, in one run on the same data and servers; reports ratios.

    .venv/bin/python benchmarks/run.py [--quick]

Sections: local disk (AsyncLocalBackend's one thread hop, aiofiles streaming, the sync
API in a loop and in a thread pool, raw ``to_thread(Path.read_bytes)`` and raw
aiofiles), memory (thread wrapper vs sync), HTTP (tests/servers.py ``HTTPServer`` with
20 ms per request: native aiohttp mount vs raw aiohttp vs the sync API), and S3 (moto:
the async mount vs raw aioboto3 and s3fs vs the sync API, 50 requests in flight), and
Parquet (pandas reading a 64 MiB file from moto through ``genro://`` vs s3fs directly),
``zip`` (a 1 GiB local tree zipped into S3 with ``zip(dst)``: throughput and memory growth),
and listing scale (``children()`` of memory and local folders of 50k, 100k and 200k
entries), the explorer's file grid (``explorer_bench.py``), and the rows of issue 12
(``goals.py``: each workload against its floor, medians of alternating repeats). Prints a
Markdown table and writes it to ``benchmarks/results/latest.md``;
``--only parquet`` (say) runs some sections only.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from explorer_bench import explorer_section
from harness import MIB, RESULTS_DIR, publish, step
from run_common import LOCAL_ROUND_FACTOR, Row, Section
from run_data_sections import listing_section, parquet_section, zip_section
from run_local_sections import local_section, memory_section
from run_network_sections import engines_section, http_section, s3_section
from run_report import report

RESULTS = RESULTS_DIR / "latest.md"
SECTIONS = (
    "local", "memory", "http", "listing", "s3", "engines", "parquet", "zip", "explorer", "goals"
)  # fmt: skip
ZIP_TREE = 1024 * MIB  # the zip section's tree (--quick: a quarter)


async def main_async(args: argparse.Namespace) -> str:
    """Run every section (or those of ``--only``) in turn; return the report."""
    t0 = time.perf_counter()
    n_local, n_net = (2000, 200) if args.quick else (8000, 400)
    n_parquet = 2 if args.quick else 6
    chosen = set(args.only or SECTIONS)
    sections: dict[str, Section] = {}
    with tempfile.TemporaryDirectory(prefix="genro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # the local rows are cheap and jittery: alternate them more often
        local_rounds = LOCAL_ROUND_FACTOR * args.rounds
        if "local" in chosen:
            sections["local"] = await step("local", local_section(tmp, n_local, local_rounds))
        if "memory" in chosen:
            sections["memory"] = await step("memory", memory_section(n_local, local_rounds))
        if "http" in chosen:
            sections["http"] = await step("http", http_section(tmp, n_net, args.rounds))
        if "listing" in chosen:
            sections["listing"] = await step("listing", listing_section(tmp, args.rounds))
        if "explorer" in chosen:
            grid = explorer_section(tmp, args.rounds, Row, Section)
            sections["explorer"] = await step("explorer", grid)
    if "s3" in chosen:
        sections["s3"] = await step("s3", s3_section(n_net, args.rounds))
    if "engines" in chosen:
        with tempfile.TemporaryDirectory(prefix="genro-bench-") as tmp_name:
            sections["engines"] = await step(
                "engines", engines_section(n_net * 4, args.rounds, Path(tmp_name))
            )
    if "parquet" in chosen:
        sections["parquet"] = await step("parquet", parquet_section(n_parquet, args.rounds))
    if "zip" in chosen:
        with tempfile.TemporaryDirectory(prefix="genro-bench-zip-") as zip_tmp:
            total = ZIP_TREE // 4 if args.quick else ZIP_TREE
            sections["zip"] = await step("zip", zip_section(Path(zip_tmp), total))
    extra = ""
    if "goals" in chosen:
        from goals import goals

        extra = "\n" + await step("goals", goals(quick=args.quick))
    return report(sections, args, time.perf_counter() - t0) + extra


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations per variant")
    parser.add_argument("--rounds", type=int, default=2, help="ABC-CBA rounds per variant")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, help="run these sections only (default: all)"
    )
    args = parser.parse_args()
    if args.out is None:
        name = (
            "latest"
            + "".join(f"-{part}" for part in args.only or ())
            + ("-quick" if args.quick else "")
        )
        args.out = RESULTS.with_name(f"{name}.md")
    publish(asyncio.run(main_async(args)), args.out)


if __name__ == "__main__":
    main()
