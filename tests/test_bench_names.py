"""The benchmarks run as `python bench/NAME.py`, which puts `bench/` first on `sys.path`: a file
there named like a standard-library module would be imported in its place by everything, and
every benchmark would fail at import.

One such file is allowed: `bench/calendar.py`, the entry point issue 14 names. Imported as
`calendar` it puts the standard library's module in its place, and run as a script it takes
bench/ off the import path first; the tests below check both, so that no other benchmark's
`import calendar` (dateutil, email, http.cookiejar ...) breaks."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# The name for the calendar benchmark; safe as tested below.
ALLOWED = {"calendar"}


def test_no_benchmark_shadows_a_standard_library_module() -> None:
    names = {path.stem for path in BENCH.glob("*.py")}
    assert names, "bench/ holds the benchmarks"
    assert sorted(names & set(sys.stdlib_module_names) - ALLOWED) == []


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_import_calendar_with_bench_first_on_the_path_is_the_standard_librarys() -> None:
    """As in any `python bench/NAME.py`: bench/ first on the path, then `import calendar`
    (directly, and as dateutil does it)."""
    done = _python(
        "-c",
        "import sys; sys.path.insert(0, 'bench'); "
        "import calendar; from calendar import monthrange, timegm; "
        "import dateutil.rrule, email.utils, http.cookiejar; "
        "assert 'bench' not in calendar.__file__, calendar.__file__; "
        "assert monthrange(2024, 2) == (3, 29) and calendar.isleap(2024); "
        "print(sys.modules['calendar'].__file__)",
    )
    assert done.returncode == 0, done.stderr
    assert "bench" not in done.stdout


def test_the_calendar_benchmark_and_another_start() -> None:
    for script in ("bench/calendar.py", "bench/calendar_agenda.py"):
        done = _python(script, "--help")
        assert done.returncode == 0, script + ": " + done.stderr
        assert "--quick" in done.stdout
