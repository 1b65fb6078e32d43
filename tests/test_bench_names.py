"""The benchmarks run as `python bench/NAME.py`, which puts `bench/` first on `sys.path`: a file
there named like a standard-library module (`calendar.py`) would be imported in its place by
everything, and every benchmark would fail at import."""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_no_benchmark_shadows_a_standard_library_module() -> None:
    names = {path.stem for path in BENCH.glob("*.py")}
    assert names, "bench/ holds the benchmarks"
    assert sorted(names & set(sys.stdlib_module_names)) == []
