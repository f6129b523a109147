"""The unit tier imports nothing that loads RoadRunner.

Every module a unit test imports (at module level or inside a function, found with ``ast``),
the unit test modules themselves and the shared tests/conftest.py are imported in a fresh
interpreter, which then must not have ``roadrunner`` in ``sys.modules``. The shared conftest's
fixtures import the training pipeline (and so RoadRunner) when they run: unit tests must not
request them (tests/unit/conftest.py fails a unit-only session that loaded RoadRunner).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT_DIR = Path(__file__).resolve().parent


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _import_lines(path: Path) -> set[str]:
    """The import statements of ``path`` (absolute; ``from __future__`` left out)."""
    package = _module_name(path).rsplit(".", 1)[0]
    lines: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            lines.update(f"import {alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            lines.update(f"from {module} import {alias.name}" for alias in node.names)
    return lines


def unit_imports() -> list[str]:
    """What running the unit tier imports: its modules, their imports and the shared conftest."""
    files = sorted(UNIT_DIR.glob("*.py"))
    lines = {f"import {_module_name(f)}" for f in files if f.name != "__init__.py"}
    lines.add("import tests.conftest")
    for path in files:
        lines |= _import_lines(path)
    return sorted(lines)


def test_import_statements_are_found() -> None:
    lines = unit_imports()
    assert "import tests.unit.test_network" in lines
    assert "import tests.conftest" in lines
    assert "from sbmlcrn.io.sbml import to_sbml" in lines
    assert not any("__future__" in line for line in lines)


def test_unit_tier_does_not_load_roadrunner() -> None:
    report = "print(sorted(m for m in sys.modules if m.split('.')[0] == 'roadrunner'))"
    code = "\n".join([*unit_imports(), "import sys", report])
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", f"the unit tier loads RoadRunner: {proc.stdout.strip()}"
