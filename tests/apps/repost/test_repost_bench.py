"""`bench/repost.py` runs: each part's entry is called the way `main` calls it, at its smallest
size, and prints a ratio (a part that raises loses every figure of the run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("repost_bench", ROOT / "bench" / "repost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_items_per_second_runs_the_whole_item_path() -> None:
    bench = load_bench()
    feeds = [bench.sample_feed(n, 5) for n in range(3)]
    assert bench.ours(feeds) == bench.bare(feeds) == 15
    lines = bench.part_a(quick=True)
    assert any("filter + render" in line for line in lines), lines
    assert any("ratio" in line for line in lines), lines


async def test_posting_part_runs_through_the_sandbox() -> None:
    bench = load_bench()
    lines = await bench.posting_figures(True, "sqlite", size=(2, 2))
    assert any("4/4 posts into 2 channels" in line for line in lines), lines
    assert any("ratio" in line for line in lines), lines
