"""The package's architecture, checked by parsing its source (nothing of sbmlcrn is imported).

docs/architecture.md defines the layers; a module may import modules of its own package or of
a lower layer, at the top of the file or inside a function alike. Every import of an sbmlcrn
module is collected with :mod:`ast`: ``import``/``from … import`` statements anywhere in a
file (top level, functions, methods, ``if``/``try`` blocks, ``TYPE_CHECKING`` blocks),
relative imports, and ``importlib.import_module("…")``/``__import__("…")`` calls with a
literal name. ``from sbmlcrn.x import y``, where ``y`` is itself a module, imports
``sbmlcrn.x.y``. Each failure message lists every violation, not just the first.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = "sbmlcrn"

#: Layer of each top-level part of the package (docs/architecture.md).
LAYERS: dict[str, int] = {
    "errors": 0,
    "_version": 0,
    "core": 1,
    "reference": 2,
    "circuits": 3,
    "simulate": 4,
    "validation": 4,
    "io": 5,
    "training": 6,
    "studies": 7,
    "cli": 8,
}

#: The public facade: it may import anything, and only it may import the package root.
FACADE = frozenset({PACKAGE, f"{PACKAGE}.__main__"})

#: The only package allowed to import RoadRunner.
ROADRUNNER_HOME = f"{PACKAGE}.simulate"

MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 120


@dataclass(frozen=True)
class Import:
    """One import of an sbmlcrn module (``target``) by ``source`` at ``path:line``."""

    source: str
    target: str
    path: str
    line: int


def _package_dir() -> Path:
    """The package's source directory, found without executing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / PACKAGE


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, tuple[Path, ast.Module, int]]:
    """Module name → (file, syntax tree, line count) for every module of the package."""
    root = _package_dir()
    out = {}
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        out[_module_name(path, root)] = (path, ast.parse(text, str(path)), len(text.splitlines()))
    return out


def _rel(path: Path) -> str:
    return str(path.relative_to(_package_dir().parent))


def _is_package(name: str) -> bool:
    path = _modules().get(name, (None,))[0]
    return path is not None and path.name == "__init__.py"


def _relative_base(module: str, level: int) -> str:
    """The package a ``from .…`` import of ``level`` dots in ``module`` starts from."""
    parts = module.split(".")
    if not _is_package(module):
        parts = parts[:-1]
    return ".".join(parts[: len(parts) - (level - 1)] if level > 1 else parts)


def _in_package(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _known(name: str) -> str:
    """``name`` or, if it is not a module of the package, its longest module prefix."""
    while name not in _modules() and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _targets(module: str, node: ast.AST) -> list[str]:
    """The modules (any package's, dotted names) imported by ``node``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            prefix = _relative_base(module, node.level)
            base = f"{prefix}.{base}" if base else prefix
        out = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            out.append(sub if sub in _modules() else base)
        return out
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        arg = node.args[0]
        if (
            name in {"import_module", "__import__"}
            and isinstance(arg, ast.Constant)
            and isinstance(arg.value, str)
            and not arg.value.startswith(".")
        ):
            return [arg.value]
    return []


@cache
def _imports() -> tuple[tuple[Import, ...], tuple[Import, ...]]:
    """(imports of sbmlcrn modules, imports of RoadRunner) over the whole package."""
    own, rr = [], []
    for module, (path, tree, _) in _modules().items():
        for node in ast.walk(tree):
            for target in _targets(module, node):
                where = (_rel(path), getattr(node, "lineno", 0))
                if _in_package(target):
                    own.append(Import(module, _known(target), *where))
                elif target == "roadrunner" or target.startswith("roadrunner."):
                    rr.append(Import(module, target, *where))
    return tuple(own), tuple(rr)


def _top(module: str) -> str:
    """The top-level part of the package ``module`` belongs to (``core`` for sbmlcrn.core.x)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(module: str) -> int | None:
    return LAYERS.get(_top(module))


def _shown_layer(module: str) -> str:
    if module in FACADE:
        return "facade"
    layer = _layer(module)
    return "no layer" if layer is None else f"layer {layer}"


def _has_code(module: str) -> bool:
    """Whether ``module`` holds more than a docstring (a data package such as
    sbmlcrn.datasets holds nothing and needs no layer)."""
    body = _modules()[module][1].body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)


def _import_violation(imp: Import) -> str | None:
    """Why ``imp`` breaks the layer rule, or None."""
    if imp.source in FACADE or imp.source == imp.target:
        return None
    if imp.target == PACKAGE:
        return "only the facade imports the package root"
    src, dst = _layer(imp.source), _layer(imp.target)
    if imp.target in FACADE:
        return "only the facade imports the package root"
    if src is None or dst is None:
        return "module not in the layer table of docs/architecture.md"
    if _top(imp.source) == _top(imp.target):
        return None
    if dst < src:
        return None
    if dst == src:
        return "a sibling package of the same layer"
    return "an upward import"


def _describe(imp: Import, why: str) -> str:
    return (
        f"{imp.path}:{imp.line}: {imp.source} ({_shown_layer(imp.source)}) → "
        f"{imp.target} ({_shown_layer(imp.target)}): {why}"
    )


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, ()):
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def test_every_module_is_parsed() -> None:
    modules = _modules()
    assert PACKAGE in modules and f"{PACKAGE}.errors" in modules, sorted(modules)
    assert _imports()[0], "no sbmlcrn import found: the parser is broken"


def test_no_import_cycles() -> None:
    edges: dict[str, set[str]] = {}
    sites: dict[tuple[str, str], Import] = {}
    for imp in _imports()[0]:
        if imp.source != imp.target:
            edges.setdefault(imp.source, set()).add(imp.target)
            sites.setdefault((imp.source, imp.target), imp)
    lines = []
    for comp in _cycles(edges):
        members = set(comp)
        inner = [
            f"    {imp.path}:{imp.line}: {a} → {b}"
            for (a, b), imp in sorted(sites.items())
            if a in members and b in members
        ]
        lines.append(f"cycle among {{{', '.join(comp)}}}:\n" + "\n".join(inner))
    assert not lines, f"{len(lines)} import cycle(s):\n" + "\n".join(lines)


def test_imports_go_down_the_layers() -> None:
    bad = []
    for imp in _imports()[0]:
        why = _import_violation(imp)
        if why is not None:
            bad.append(_describe(imp, why))
    for module in sorted(_modules()):
        if module not in FACADE and _layer(module) is None and _has_code(module):
            bad.append(f"{_rel(_modules()[module][0])}: {module}: not in the layer table")
    assert not bad, f"{len(bad)} layer violation(s):\n" + "\n".join(sorted(set(bad)))


def test_intra_package_imports_are_absolute() -> None:
    bad = []
    for path, tree, _ in _modules().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                dots = "." * node.level
                bad.append(f"{_rel(path)}:{node.lineno}: from {dots}{node.module or ''} import …")
    assert not bad, f"{len(bad)} relative import(s):\n" + "\n".join(sorted(bad))


def test_module_and_function_sizes() -> None:
    bad = []
    for _module, (path, tree, n_lines) in sorted(_modules().items()):
        if n_lines > MAX_MODULE_LINES:
            bad.append(f"{_rel(path)}: module of {n_lines} lines (> {MAX_MODULE_LINES})")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    bad.append(
                        f"{_rel(path)}:{node.lineno}: function {node.name} of {size} lines "
                        f"(> {MAX_FUNCTION_LINES})"
                    )
    assert not bad, f"{len(bad)} size violation(s):\n" + "\n".join(bad)


def test_only_simulate_imports_roadrunner() -> None:
    bad = [
        f"{imp.path}:{imp.line}: {imp.source} ({_shown_layer(imp.source)}) → {imp.target}"
        for imp in _imports()[1]
        if not (imp.source == ROADRUNNER_HOME or imp.source.startswith(ROADRUNNER_HOME + "."))
    ]
    assert not bad, f"{len(bad)} RoadRunner import(s) outside {ROADRUNNER_HOME}:\n" + "\n".join(
        sorted(bad)
    )


# --- the checker checks itself on small synthetic cases -------------------------------------


def test_cycle_finder() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(edges) == [["a", "b", "c"], ["e"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_layer_rule_on_examples() -> None:
    def why(src: str, dst: str) -> str | None:
        return _import_violation(Import(src, dst, "x.py", 1))

    assert why("sbmlcrn.io.sbml", "sbmlcrn.core.network") is None
    assert why("sbmlcrn.io.sbml", "sbmlcrn.io.atomic") is None
    assert why("sbmlcrn.core.network", "sbmlcrn.io.sbml") == "an upward import"
    assert why("sbmlcrn.simulate", "sbmlcrn.validation") == "a sibling package of the same layer"
    assert why("sbmlcrn.errors", "sbmlcrn._version") == "a sibling package of the same layer"
    assert why("sbmlcrn.cli", "sbmlcrn") == "only the facade imports the package root"
    assert why("sbmlcrn", "sbmlcrn.cli") is None
    assert why("sbmlcrn.__main__", "sbmlcrn.cli") is None


def test_import_resolution_on_examples() -> None:
    tree = ast.parse(
        "import sbmlcrn.core.network\n"
        "from sbmlcrn import errors, __version__\n"
        "from sbmlcrn.io import sbml\n"
        "def f():\n"
        "    from sbmlcrn.core.data import Dataset\n"
        "    import importlib\n"
        "    importlib.import_module('sbmlcrn.cli')\n"
        "if True:\n"
        "    from roadrunner import RoadRunner\n"
    )
    found = [t for node in ast.walk(tree) for t in _targets("sbmlcrn.io.omex", node)]
    assert set(found) == {
        "sbmlcrn.core.network",
        "sbmlcrn.errors",
        "sbmlcrn",
        "sbmlcrn.io.sbml",
        "sbmlcrn.core.data",
        "importlib",
        "sbmlcrn.cli",
        "roadrunner",
    }
    assert _relative_base("sbmlcrn.io.omex", 1) == "sbmlcrn.io"
    assert _relative_base("sbmlcrn.io.omex", 2) == "sbmlcrn"
    assert _relative_base("sbmlcrn.io", 1) == "sbmlcrn.io"
