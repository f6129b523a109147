"""Tampered run records: every reader refuses a damaged ``result.json`` with one clear error.

A corpus is made from a real tiny run of every circuit: each entry of ``result.json`` (and each
entry inside ``config``, ``feature_map``, ``schedule``, ``parameters`` and
``parameter_species``) is replaced by a value of the wrong type, removed, set to an integer that
overflows a float, to the text ``"NaN"`` or the number NaN, to 100,000 nested ``[``, emptied, or
joined by an unknown key. Every library reader (:func:`load_model`, :func:`load_run`,
:func:`write_omex`, :func:`export_copasi`, :func:`crosscheck`) and the commands ``predict``,
``export-inference``, ``export --format omex|copasi`` and ``crosscheck`` then read the run:
nothing but an :class:`~sbmlcrn.errors.SbmlcrnError` may escape the library, a command exits 2
with exactly one ``error: … is not a valid run record (…)`` line and writes no file. Hypothesis
adds random JSON values at random places of the record.

COPASI's child process is replaced by a stub answering like COPASI (the readers' checks all run
before it would start); the real COPASI is exercised by ``test_copasi.py``.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sbmlcrn.cli as cli_mod
from sbmlcrn.cli import main
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.io import copasi as copasi_mod
from sbmlcrn.io.copasi import crosscheck, export_copasi
from sbmlcrn.io.omex import write_omex
from sbmlcrn.training.store import load_model, load_run
from tests.helpers import CIRCUITS

INVALID = "is not a valid run record"
DEEP = "[" * 100_000 + "]" * 100_000
HUGE = 10**400
#: The readers that must refuse a record whose species are not in model.xml.
MODEL_READERS = frozenset(
    {"write_omex", "export_copasi", "crosscheck", "cli export omex", "cli export copasi",
     "cli crosscheck"}
)  # fmt: skip
ALL = frozenset({"load_model", "load_run", "cli predict", "cli export-inference"} | MODEL_READERS)
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Case:
    """One tampered ``result.json``: its text and the readers that must refuse it."""

    name: str
    text: str
    refuse: frozenset[str]


# --------------------------------------------------------------------------- the corpus


def _dump(record: dict[str, Any], deep_at: tuple[str, ...] | None = None) -> str:
    """``record`` as JSON; the value at path ``deep_at`` becomes 100,000 nested lists."""
    if deep_at is None:
        return json.dumps(record, indent=2)
    marker = "__deep_marker__"
    _set(record, deep_at, marker)
    return json.dumps(record, indent=2).replace(json.dumps(marker), DEEP)


def _set(record: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(record: dict[str, Any], path: tuple[str, ...]) -> None:
    node = record
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def _wrong_type(value: object) -> object:
    if isinstance(value, dict):
        return [1]
    if isinstance(value, list):
        return {"a": 1}
    if isinstance(value, str):
        return 3
    if value is None or isinstance(value, bool):
        return ["x"]
    return "1.0"


def _empty(value: object) -> object:
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    if isinstance(value, str):
        return ""
    return 0


#: Top-level entries that may be left out.
OPTIONAL = {"record_version", "classes", "engine", "error_species", "created"}
#: Top-level entries whose emptied value is still a record (empty text, list or mapping).
EMPTY_OK = {"target", "test", "classes", "config", "network", "train_loss", "max_abs_deviation",
            "reference_train_loss", "error_species", "engine", "timings", "software"}  # fmt: skip
#: Top-level entries for which the text "NaN" is a fine value.
NAN_TEXT_OK = {"target", "engine"}
#: Entries checked inside: (path, extra key allowed?, removing an entry allowed?).
NESTED = {
    "config": (False, True),
    "feature_map": (True, False),
    "schedule": (True, False),
    "parameters": (False, False),
    "parameter_species": (False, False),
}


def _top_level_cases(record: dict[str, Any]) -> Iterator[Case]:
    for key, value in record.items():

        def changed(new: object, key: str = key) -> str:
            return _dump(json.loads(json.dumps(record)) | {key: new})

        yield Case(f"{key}: wrong type", changed(_wrong_type(value)), ALL)
        rest = {k: v for k, v in record.items() if k != key}
        yield Case(f"{key}: missing", _dump(rest), NONE if key in OPTIONAL else ALL)
        yield Case(f"{key}: 10**400", changed(HUGE), ALL)
        yield Case(f"{key}: 'NaN'", changed("NaN"), NONE if key in NAN_TEXT_OK else ALL)
        yield Case(f"{key}: deep", _dump(json.loads(json.dumps(record)), (key,)), ALL)
        yield Case(f"{key}: empty", changed(_empty(value)), NONE if key in EMPTY_OK else ALL)
    yield Case("extra top-level key", _dump(record | {"zz_unknown": {"a": [1, None]}}), NONE)


def _nested_cases(record: dict[str, Any]) -> Iterator[Case]:
    for entry, (extra_ok, missing_ok) in NESTED.items():
        entries = list(record[entry].items())
        for key, value in entries if entry in ("config", "schedule") else entries[:2]:
            path = (entry, key)

            def changed(new: object, path: tuple[str, ...] = path) -> str:
                copy = json.loads(json.dumps(record))
                _set(copy, path, new)
                return _dump(copy)

            where = f"{entry}.{key}"
            if entry == "config" and value is None:  # null is fine: try a wrong type only
                yield Case(f"{where}: wrong type", changed(["x"]), ALL)
            else:
                yield Case(f"{where}: wrong type", changed(_wrong_type(value)), ALL)
            yield Case(f"{where}: 10**400", changed(HUGE), ALL)
            yield Case(f"{where}: NaN", changed(math.nan), ALL)
            if key == entries[0][0]:  # as for the top-level entries: once per entry
                yield Case(f"{where}: 'NaN'", changed("NaN"), ALL)
                yield Case(f"{where}: deep", _dump(json.loads(json.dumps(record)), path), ALL)
            if missing_ok and key not in (entries[0][0], entries[-1][0]):
                continue  # an accepted record is read in full by every reader: 2 suffice
            copy = json.loads(json.dumps(record))
            _delete(copy, path)
            yield Case(f"{where}: missing", _dump(copy), NONE if missing_ok else ALL)
        copy = json.loads(json.dumps(record))
        copy[entry]["zz_unknown"] = copy[entry][next(iter(copy[entry]))]
        yield Case(f"{entry}: extra key", _dump(copy), NONE if extra_ok else ALL)


def _semantic_cases(record: dict[str, Any]) -> Iterator[Case]:
    """Well-typed records that disagree with themselves or with ``model.xml``."""
    first = next(iter(record["parameters"]))

    def edited(edit: Callable[[dict[str, Any]], None]) -> str:
        copy = json.loads(json.dumps(record))
        edit(copy)
        return _dump(copy)

    def more_parameters(r: dict[str, Any]) -> None:
        for i in range(3):
            r["parameters"][f"zz{i}"] = 0.5
            r["reference_parameters"][f"zz{i}"] = 0.5
            r["parameter_species"][f"zz{i}"] = [f"zz{i}_p", f"zz{i}_m"]

    def more_inputs(r: dict[str, Any]) -> None:
        r["inputs"].append("zz")
        if r["feature_map"]["mean"] is not None:
            r["feature_map"]["mean"].append(0.0)
            r["feature_map"]["scale"].append(1.0)

    yield Case("parameters: more than the model has", edited(more_parameters), ALL)
    yield Case("inputs: more than the parameters fit", edited(more_inputs), ALL)
    yield Case(
        "feature_map.mean: wrong count",
        edited(lambda r: r["feature_map"].update(mean=[0.0])),
        ALL,
    )
    yield Case(
        "parameter_species: not in model.xml",
        edited(lambda r: r["parameter_species"].update({first: ["zz_p", "zz_m"]})),
        MODEL_READERS,
    )
    yield Case(
        "parameter_species: not species ids",
        edited(lambda r: r["parameter_species"].update({first: ["a b", "<x/>"]})),
        ALL,
    )
    yield Case("schedule.phases: empty", edited(lambda r: r["schedule"].update(phases=[])), ALL)
    yield Case(
        "schedule.period: negative", edited(lambda r: r["schedule"].update(period=-1.0)), ALL
    )
    yield Case("training_end_time: zero", edited(lambda r: r.update(training_end_time=0)), ALL)
    yield Case("circuit: unknown", edited(lambda r: r.update(circuit="linear-magic")), ALL)
    yield Case("duplicate key", _dump(record).replace("{", '{"task": 1, ', 1), ALL)
    yield Case("feature_map.scale: zero", edited(lambda r: r["feature_map"].update(
        scale=None if r["feature_map"]["scale"] is None else [0.0] * len(r["inputs"]))),
        NONE if record["feature_map"]["scale"] is None else ALL)  # fmt: skip
    yield Case("not JSON", "{", ALL)
    yield Case("a list", "[1, 2]", ALL)
    yield Case("long text", edited(lambda r: r.update(circuit="x" * 100_000)), ALL)


def corpus(record: dict[str, Any]) -> list[Case]:
    """Every tampered version of ``record`` (see the module docstring)."""
    return [*_top_level_cases(record), *_nested_cases(record), *_semantic_cases(record)]


# --------------------------------------------------------------------------- the readers


def fake_worker(request: dict[str, Any], *, timeout: float | None, action: str) -> dict[str, Any]:
    """COPASI's child process, answered without COPASI: every species at 0, the file written."""
    if request["op"] == "export":
        Path(request["out"]).write_text("<?xml version='1.0'?><COPASI/>\n", encoding="utf-8")
    return {"ok": True, "values": {s: 0.0 for s in request.get("species", [])}, "messages": []}


@pytest.fixture
def no_copasi(monkeypatch: pytest.MonkeyPatch) -> None:
    """COPASI stubbed; the command line's parser built once (it is most of a command's time)."""
    monkeypatch.setattr(copasi_mod, "_run_worker", fake_worker)
    monkeypatch.setattr(cli_mod, "_build_parser", functools.cache(cli_mod._build_parser))


def _library(run: Path, out: Path) -> dict[str, Callable[[], object]]:
    return {
        "load_model": lambda: load_model(run),
        "load_run": lambda: load_run(run),
        "write_omex": lambda: write_omex(run, out / "run.omex"),
        "export_copasi": lambda: export_copasi(run, out / "run.cps"),
        "crosscheck": lambda: crosscheck(run, timeout=30),
    }


def _commands(run: Path, out: Path, data: Path) -> dict[str, tuple[list[str], Path | None]]:
    return {
        "cli predict": (["predict", str(run), "--data", str(data), "--out", str(out / "p.csv")],
                        out / "p.csv"),
        "cli export-inference": (["export-inference", str(run), "-o", str(out / "i.xml")],
                                 out / "i.xml"),
        "cli export omex": (["export", str(run), "--format", "omex", "-o", str(out / "c.omex")],
                            out / "c.omex"),
        "cli export copasi": (
            ["export", str(run), "--format", "copasi", "-o", str(out / "c.cps")], out / "c.cps"
        ),
        "cli crosscheck": (["crosscheck", str(run), "--timeout", "30"], None),
    }  # fmt: skip


def check_run(
    run: Path,
    out: Path,
    data: Path,
    refuse: frozenset[str],
    capsys: pytest.CaptureFixture[str],
    *,
    readers: frozenset[str] = ALL,
) -> list[str]:
    """Read ``run`` with every reader; the problems found (empty: all is well)."""
    problems: list[str] = []
    for name, call in _library(run, out).items():
        if name not in readers:
            continue
        try:
            call()
        except SbmlcrnError as exc:
            wrong = isinstance(exc, InputError) and INVALID not in str(exc)
            if wrong or (name in refuse and not isinstance(exc, InputError)):
                problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        except BaseException as exc:
            problems.append(f"{name}: escaped {type(exc).__name__}: {str(exc)[:200]}")
        else:
            if name in refuse:
                problems.append(f"{name}: accepted")
        for path in out.iterdir():
            path.unlink()
    for name, (argv, target) in _commands(run, out, data).items():
        if name not in readers:
            continue
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:
            problems.append(f"{name}: escaped {type(exc).__name__}: {str(exc)[:200]}")
            continue
        finally:
            _, err = capsys.readouterr()
        lines = err.splitlines()
        if "Traceback" in err:
            problems.append(f"{name}: traceback")
        report = name == "cli crosscheck" and code == 1 and not err  # FAILED, on stdout
        if code != 0 and not report:
            if len(lines) != 1 or not lines[0].startswith("error: "):
                problems.append(f"{name}: exit {code} with stderr {err[:200]!r}")
            if target is not None and target.exists():
                problems.append(f"{name}: exit {code} but wrote {target.name}")
        wrong = code == 2 and INVALID not in err and name != "cli predict"
        if wrong or (name in refuse and (code != 2 or INVALID not in err)):
            problems.append(f"{name}: exit {code}, {err.strip()[:200]!r}")
        elif code not in (0, 1, 2):
            problems.append(f"{name}: exit {code}")
        for path in out.iterdir():
            path.unlink()
    return problems


@dataclass(frozen=True)
class Workbench:
    """A copy of a tiny run to tamper with, its record, a data CSV and an output directory."""

    run: Path
    record: dict[str, Any]
    data: Path
    out: Path

    def write(self, text: str) -> None:
        (self.run / "result.json").write_text(text, encoding="utf-8")


def workbench(source: Path, base: Path) -> Workbench:
    run = Path(shutil.copytree(source, base / "run"))
    record = json.loads((run / "result.json").read_text(encoding="utf-8"))
    data = base / "data.csv"
    names = record["inputs"]
    rows = [",".join(names), ",".join("0.5" for _ in names), ",".join("1.5" for _ in names)]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = base / "out"
    out.mkdir()
    return Workbench(run, record, data, out)


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_every_reader_refuses_every_tampered_record(
    circuit: str,
    tiny_run: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_copasi: None,
) -> None:
    bench = workbench(tiny_run(circuit), tmp_path)
    cases = corpus(bench.record)
    failures: dict[str, list[str]] = {}
    for case in cases:
        bench.write(case.text)
        problems = check_run(bench.run, bench.out, bench.data, case.refuse, capsys)
        if problems:
            failures[case.name] = problems
    summary = "\n".join(f"{name}: {'; '.join(p)}" for name, p in failures.items())
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n{summary}"


def test_untampered_runs_are_read_by_every_reader(
    tiny_run: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_copasi: None,
) -> None:
    for circuit in CIRCUITS:
        bench = workbench(tiny_run(circuit), tmp_path / circuit)
        assert check_run(bench.run, bench.out, bench.data, NONE, capsys) == [], circuit
        for name, (argv, _) in _commands(bench.run, bench.out, bench.data).items():
            code = main(argv)  # crosscheck: 1, the stub's parameters (all 0) differ
            assert code == (1 if name == "cli crosscheck" else 0), (circuit, name)
            for path in bench.out.iterdir():
                path.unlink()


def test_the_message(tiny_run: Callable[[str], Path], tmp_path: Path) -> None:
    bench = workbench(tiny_run("linear-regression"), tmp_path)
    bench.write(_dump(bench.record | {"parameters": [1.0]}))
    with pytest.raises(InputError) as info:
        load_model(bench.run)
    assert str(info.value) == (
        f"{bench.run / 'result.json'} is not a valid run record (the 'parameters' entry must "
        "be a mapping of names to numbers; got list instead)"
    )


# --------------------------------------------------------------------------- random values

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([HUGE, -HUGE, 2**63, 0, -1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(record: dict[str, Any]) -> list[tuple[str, ...]]:
    """Every path of ``record`` down to its leaves (list items by their position)."""
    out: list[tuple[str, ...]] = []

    def walk(node: object, path: tuple[str, ...]) -> None:
        if path:
            out.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node[:3]):
                walk(value, (*path, str(i)))

    walk(record, ())
    return out


def _replace(record: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    copy = json.loads(json.dumps(record))
    node: Any = copy
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = path[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return copy


@pytest.mark.parametrize("circuit", ["linear-classification", "nonlinear-multiclass"])
def test_random_values_anywhere_in_the_record(
    circuit: str,
    tiny_run: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_copasi: None,
) -> None:
    bench = workbench(tiny_run(circuit), tmp_path)
    paths = _paths(bench.record)
    readers = ALL - {"cli predict", "load_model", "export_copasi", "cli export copasi"}

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(path=st.sampled_from(paths), value=_json_values)
    def check(path: tuple[str, ...], value: object) -> None:
        bench.write(json.dumps(_replace(bench.record, path, value)))
        problems = check_run(bench.run, bench.out, bench.data, NONE, capsys, readers=readers)
        assert problems == [], (path, value, problems)

    check()
