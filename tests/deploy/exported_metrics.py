"""The Prometheus series the code exports: every module of the package that defines metrics,
imported, and the names its registry exposes (a counter `x` as `x_total`, a histogram as
`x_bucket`, `x_count` and `x_sum`)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from prometheus_client import REGISTRY

import switchboard

# A series name inside a PromQL expression (not a recorded `switchboard:...` name).
SERIES = re.compile(r"\b(switchboard_[a-z0-9_]+|process_[a-z0-9_]+)\b")


def exported_names() -> set[str]:
    root = Path(switchboard.__file__).parent
    for module in pkgutil.walk_packages([str(root)], "switchboard."):
        path = root.joinpath(*module.name.split(".")[1:])
        source = path / "__init__.py" if module.ispkg else path.with_suffix(".py")
        if source.is_file() and "prometheus_client" in source.read_text("utf-8"):
            importlib.import_module(module.name)
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))
    return names


_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
}
