"""The rows of issue 12 ("async small-file I/O near the sync floor, inline memory, scale
of listings and trees"): each workload against its floor, measured side by side in the
same run, repeated, medians reported.

    .venv/bin/python benchmarks/run.py --only goals [--quick]
    .venv/bin/python benchmarks/goals.py [--quick] [--rows local memory ...]

Every row runs its baseline and its variant alternately ``REPEATS`` times (ABAB...), and
reports the median wall time of each and the median of the per-repeat ratios
(variant time / baseline time: lower is better, 1.0 is the floor). Memory rows report
the peak of ``tracemalloc`` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from goals_common import Result
from goals_listing_rows import row_children, row_explorer
from goals_local_rows import row_local, row_memory, row_sync
from goals_network_rows import row_http, row_tree
from harness import RESULTS_DIR, machine, publish

REPEATS = 5
ROWS = ("local", "sync", "memory", "http", "tree", "explorer", "children")


ROW_FUNCS = {
    "local": row_local,
    "sync": row_sync,
    "memory": row_memory,
    "http": row_http,
    "tree": row_tree,
    "explorer": row_explorer,
    "children": row_children,
}


async def goals(
    rows: tuple[str, ...] = ROWS, repeats: int | None = None, quick: bool = False
) -> str:
    """Run the chosen rows; return a Markdown section."""
    repeats = repeats or (3 if quick else REPEATS)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="genro-goals-") as name:
        for row in rows:
            t0 = time.perf_counter()
            results += await ROW_FUNCS[row](Path(name) / row, repeats, quick)
            print(f"[goals {row}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    lines = [
        "## Issue 12 rows (medians of side-by-side repeats)",
        "",
        f"{repeats} repeats per row, baseline and variant alternating; times are medians in "
        "ms (the `children` row: peak traced KiB); ratio = median of per-repeat "
        "variant/baseline wall times (lower is better); CPU ratio = the same for this "
        "process's CPU time (all threads; servers excluded), steadier on a shared machine.",
        "",
        "| workload | baseline | variant | baseline ms | variant ms | ratio | ratio min-max "
        "| CPU ratio | goal | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        low, high = r.ratio_range
        spread = f"{low:.2f}-{high:.2f}x" if high else ""
        cpu = f"{r.cpu_ratio:.2f}x" if r.cpu_ratio == r.cpu_ratio else ""  # NaN: none
        lines.append(
            f"| {r.workload} | {r.baseline} | {r.variant} | {r.base_ms:,.1f} | "
            f"{r.var_ms:,.1f} | **{r.ratio:.2f}x** | {spread} | {cpu} | {r.goal} | {r.note} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, 100k children")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "latest-goals.md")
    args = parser.parse_args()
    text = asyncio.run(goals(tuple(args.rows), args.repeats, args.quick))
    publish(f"# genro-storage: issue 12 rows\n\nMachine: {machine()}\n\n{text}", args.out)


if __name__ == "__main__":
    main()
