"""Finding the operating-system tools the deployment checks run, failing (never skipping) when
one is missing: `.ci/run` installs them."""

from __future__ import annotations

import shutil

import pytest


def required_tool(name: str, package: str) -> str:
    """The path of command `name`, or a failed test that says which apt package brings it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install -y {package}", pytrace=False)
    return path
