"""The unit tier: fast tests that never load RoadRunner (the whole tier runs in under 20 s).

When a session ran unit tests only, it fails if ``roadrunner`` was imported along the way (by
a test, a fixture or a module they import); tests/unit/test_no_roadrunner.py checks the same
for the tier's imports in a fresh interpreter, which also holds when the whole suite runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

UNIT_DIR = Path(__file__).resolve().parent


def _unit_only(items: list[pytest.Item]) -> bool:
    """Whether every collected test is in tests/unit (and at least one was collected)."""
    return bool(items) and all(UNIT_DIR in Path(item.path).resolve().parents for item in items)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a unit-only session that loaded RoadRunner."""
    if "roadrunner" not in sys.modules or not _unit_only(getattr(session, "items", [])):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write("\n")
        reporter.write_line(
            "error: the unit tier loaded roadrunner; tests/unit must run without RoadRunner "
            "(move the test to tests/integration)",
            red=True,
            bold=True,
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
