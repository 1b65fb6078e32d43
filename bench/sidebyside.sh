#!/bin/bash
# Alternates `pipeline.py --quick` and `webhook.py --quick` between two checkouts (BEFORE and
# AFTER, each with its own `uv sync`), three rounds each, so both see the same machine.
# Usage: bench/sidebyside.sh /path/to/before /path/to/after > sidebyside.log
before=${1:?the checkout before}; after=${2:?the checkout after}
for round in 1 2 3; do
  for tree in "$before" "$after"; do
    for bench in pipeline webhook; do
      echo "=== round $round $tree $bench"
      (cd "$tree" && uv run --no-sync python "bench/$bench.py" --quick 2>&1 | tail -8)
    done
  done
done
