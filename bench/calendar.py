"""The calendar's benchmarks of issue 14 in one run, each figure with its ratio to its anchor:

(a) import of 10,000 events (a fifth recurring, with exceptions, Cyrillic text) against a bare
    icalendar parse of the same file (target <= 2x), peak memory printed;
(b) a week's agenda for one user holding them, on SQLite and PostgreSQL, against expanding
    the calendar with recurring-ical-events at query time (target p99 < 10 ms);
(c) reminders due in the same second for as many users, sent through the sandbox's
    Telegram-like limits, against the physical limit N / 30 s (target p99 <= limit + 2 s,
    zero 429s, zero doubles); the full run adds 1,000 on both databases and the SIGKILL test.

    uv run python bench/calendar.py --quick   # (a), (b) quick; a burst of 150 on SQLite
    uv run python bench/calendar.py           # (a), (b) three rounds; 1,000 and the crash

The parts are bench/calendar_agenda.py ((a), (b)) and bench/calendar_reminders.py ((c)), which
also run on their own. Needs PostgreSQL (SWITCHBOARD_BENCH_PG).

This file is named like the standard library's `calendar` (the issue names it so), and a
benchmark run as `python bench/NAME.py` has bench/ first on its import path. So: imported as
`calendar` (by dateutil, email, http.cookiejar, ... in any benchmark) it puts the standard
library's module in its place; run as a script it takes bench/ off the import path before
importing anything (tests/test_bench_names.py checks both).
"""

from __future__ import annotations

import sys

if __name__ == "calendar":  # found on the import path in place of the standard library's
    import importlib.machinery
    import importlib.util
    import sysconfig

    _spec = importlib.machinery.PathFinder.find_spec("calendar", [sysconfig.get_paths()["stdlib"]])
    assert _spec is not None and _spec.loader is not None
    _stdlib = importlib.util.module_from_spec(_spec)
    sys.modules["calendar"] = _stdlib  # what `import calendar` hands back once this returns
    _spec.loader.exec_module(_stdlib)

elif __name__ == "__main__":
    from pathlib import Path

    HERE = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

    import argparse
    import asyncio
    import importlib.util
    import time
    from types import ModuleType

    def _load(name: str) -> ModuleType:
        """A benchmark of bench/ as a module (by path: bench/ is off the import path)."""
        spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    def main() -> int:
        parser = argparse.ArgumentParser(
            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        parser.add_argument("--quick", action="store_true", help="under a minute")
        parser.add_argument("--seed", type=int, default=1, help="kill moments of the crash (1)")
        args = parser.parse_args()
        began = time.monotonic()
        agenda = _load("calendar_agenda")
        met = bool(agenda.run(args.quick))
        print(f"(c) reminders through Telegram's limits ({time.monotonic() - began:.0f} s so far)")
        reminders = _load("calendar_reminders")
        # Quick: a burst of 150 (5 s at the limit), so that the whole run stays under a minute
        # on an idle machine; the full run sends 1,000 on both databases and adds the crash.
        options = argparse.Namespace(
            quick=args.quick,
            crash=False,
            seed=args.seed,
            margin=0.2,
            database=None,
            size=150 if args.quick else None,
        )
        met &= asyncio.run(reminders.main(options)) == 0
        verdict = "every target met" if met else "some target MISSED"
        print(f"calendar: {verdict}; took {time.monotonic() - began:.0f} s")
        return 0 if met else 1

    sys.exit(main())
