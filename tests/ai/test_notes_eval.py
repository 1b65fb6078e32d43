"""The labelled set and its benchmark: guards against the local classifier collapsing."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notes_eval", ROOT / "bench" / "notes_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_the_labelled_set_is_large_bilingual_and_balanced() -> None:
    lines = (ROOT / "tests" / "data" / "notes_labelled.jsonl").read_text("utf-8").splitlines()
    notes = [json.loads(line) for line in lines]
    topics = json.loads((ROOT / "tests" / "data" / "notes_topics.json").read_text("utf-8"))
    assert len(notes) >= 200
    assert len(topics) == 10
    assert set(Counter(note["topic"] for note in notes)) == {topic["key"] for topic in topics}
    languages = Counter(note["lang"] for note in notes)
    assert languages["en"] >= 100 and languages["ru"] >= 100
    assert len({note["text"] for note in notes}) == len(notes)


def test_local_accuracy_after_five_examples_does_not_collapse() -> None:
    results = load_bench().evaluate(splits=3)
    local, anchor = results["local"], results["keyword anchor"]
    # The full run measures about 76 % / 93 %; these floors catch a collapse, not noise.
    assert local.top1 >= 0.65, results
    assert local.top3 >= 0.85, results
    assert local.top1 > 2 * anchor.top1
    assert results["local, holdout"].top3 >= 0.7, results
