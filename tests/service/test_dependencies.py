"""The declared dependencies admit only versions the code works with."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _requirement(name: str) -> Requirement:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        declared = tomllib.load(fh)["project"]["dependencies"]
    return next(r for r in map(Requirement, declared) if r.name == name)


def test_sqlite_utils_3_is_refused_because_its_writes_are_silently_rolled_back() -> None:
    spec = _requirement("sqlite-utils").specifier
    assert not spec.contains(Version("3.39.1"))
    assert spec.contains(Version("4.0"))
