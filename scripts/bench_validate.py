#!/usr/bin/env python3
"""Time ``sbmlcrn validate`` on a large mass-action model (issue 4: 10,000 reactions in < 10 s).

Builds a seeded network of N irreversible mass-action reactions (a quarter unimolecular
``A => B + C``, the rest bimolecular ``A + B => C``, every one gated, units declared) over
N/5 species, writes it with :func:`sbmlcrn.io.sbml.to_sbml`, and prints a Markdown table of
median wall times over ``--repeats`` runs:

* ``validate_file`` (what ``sbmlcrn validate`` runs), with and without unit checks;
* the same with libSBML's checks in one sequential ``checkConsistency()`` call in one child
  process, then the Neural-CRN rules: what ``validate_file`` did before issue 4;
* the parts: reading the SBML, the malformed-math guard, the Neural-CRN rules, and each
  libSBML validator alone (in this process, on a fresh copy of the document);
* from the parts' CPU times, the wall times to expect on two idle CPUs, before and now.

Every row also gives the CPU time (child processes included): on a machine busy with other
work the wall times include waiting for a CPU, and parallel child processes gain little.
Timings go into notes only; no test asserts them. ``--out FILE`` keeps the model.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libsbml

from sbmlcrn import validation as v
from sbmlcrn.core.expr import Const, Op, Sym
from sbmlcrn.core.network import Event, Network, Parameter, Reaction, Role, Species
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.validation import libsbml_checks as checks
from sbmlcrn.validation import rules


def build_network(n_reactions: int, n_species: int, seed: int = 0) -> Network:
    """A random irreversible mass-action network with gates and one time-triggered event."""
    rng = random.Random(seed)
    ids = [f"x{i // 2}_{'p' if i % 2 == 0 else 'm'}" for i in range(max(2, n_species))]
    species = tuple(Species(s, initial=1.0) for s in ids)
    parameters = (
        Parameter("k1", 0.5),
        Parameter("k2", 0.1),
        Parameter("g", 1.0, Role.GATE, constant=False),
    )
    reactions = []
    for r in range(n_reactions):
        if r % 4 == 0:
            reactant, products = (rng.choice(ids),), (rng.choice(ids), rng.choice(ids))
            reactions.append(Reaction(f"R{r}", reactant, products, "k1", ("g",)))
        else:
            reactants, product = (rng.choice(ids), rng.choice(ids)), (rng.choice(ids),)
            reactions.append(Reaction(f"R{r}", reactants, product, "k2", ("g",)))
    switch_off = Event("E_off", Op(">", (Sym("time"), Const(5.0, "second"))), (("g", Const(0.0)),))
    return Network("bench", species, parameters, tuple(reactions), (switch_off,))


def sequential_validate(path: Path, units: bool = True) -> v.ValidationReport:
    """validate_file as it was before issue 4: one sequential checkConsistency() in a child."""
    text = path.read_text(encoding="utf-8")
    doc = libsbml.readSBMLFromString(text)
    model = doc.getModel()
    read = [checks._sbml_finding(doc.getError(i)) for i in range(doc.getNumErrors())]
    malformed = checks._malformed_math(model)
    checked = [] if malformed else checks._consistency(doc, [], units=units)
    crn, max_seen = rules._crn_findings(model, doc.getLevel(), 2)
    findings = (*dict.fromkeys([*read, *malformed, *checked]), *crn)
    return v.ValidationReport(str(path), findings, {"max_molecularity": max_seen})


def validator_alone(text: str, category: int) -> Callable[[], object]:
    """checkConsistency() of a fresh copy of the document with one validator on."""
    doc = libsbml.readSBMLFromString(text)
    for c in checks._VALIDATORS:
        doc.setConsistencyChecks(c, c == category)
    return doc.checkConsistency


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reactions", type=int, default=10_000)
    parser.add_argument("--species", type=int, default=None, help="default: reactions / 5")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the model in this file")
    parser.add_argument("--parts", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    n_species = args.species or max(2, args.reactions // 5)
    load_before = _load()

    start = time.perf_counter()
    text = to_sbml(build_network(args.reactions, n_species))
    built = time.perf_counter() - start
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = args.out or Path(tmp) / "bench.xml"
        path.write_text(text, encoding="utf-8")
        report = v.validate_file(path)
        assert report.ok, report.format_text()
        assert sequential_validate(path).findings == report.findings
        modes: dict[str, Callable[[], object]] = {
            "validate_file (units on)": lambda: v.validate_file(path),
            "validate_file (units off)": lambda: v.validate_file(path, units=False),
            "before issue 4: sequential libSBML checks (units on)": lambda: sequential_validate(
                path
            ),
        }
        runs: dict[str, list[tuple[float, float]]] = {what: [] for what in modes}
        for _ in range(args.repeats):  # interleaved, so that a change of load hits all modes
            for what, run in modes.items():
                runs[what].append(_timed(run))
        rows += [(what, *_median(times)) for what, times in runs.items()]
        if args.parts:
            doc = libsbml.readSBMLFromString(text)
            model = doc.getModel()
            parts: dict[str, Callable[[], Callable[[], object]]] = {
                "read the SBML": lambda: lambda: libsbml.readSBMLFromString(text),
                "malformed-math guard": lambda: lambda: checks._malformed_math(model),
                "Neural-CRN rules": lambda: lambda: rules._crn_findings(model, 3, 2),
            }
            for category in checks._VALIDATORS:
                name = f"libSBML {checks._SBML_CATEGORIES[category]} checks alone"
                parts[name] = lambda c=category: validator_alone(text, c)
            cpu: dict[str, float] = {}
            for what, make in parts.items():
                wall, cpu[what] = _median([_timed(make()) for _ in range(args.repeats)])
                rows.append((f"part: {what}", wall, cpu[what]))
            rows += _estimates(cpu)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"{args.reactions} reactions, {n_species} species, {len(text) / 1e6:.1f} MB SBML "
        f"(built in {built:.1f} s); {cpus} CPUs, load average {load_before:.1f} before and "
        f"{_load():.1f} after; median of {args.repeats} runs; libSBML "
        f"{libsbml.getLibSBMLDottedVersion()}, Python {sys.version.split()[0]}"
    )
    print()
    print("| what | wall time (s) | CPU time (s), children included |")
    print("|---|---:|---:|")
    for what, wall, cpu in rows:
        print(f"| {what} | {wall:.2f} | {cpu:.2f} |")
    return 0


def _estimates(cpu: dict[str, float]) -> list[tuple[str, float, float]]:
    """Wall times on two idle CPUs, from the parts' CPU times: before issue 4 everything ran
    one after the other; now the parent reads the SBML, then runs the guard and the Neural-CRN
    rules while one child runs the identifier, SBO and general checks and the other the rest."""

    def alone(name: str) -> float:
        return cpu[f"libSBML {name} checks alone"]

    parse, parent = cpu["read the SBML"], cpu["malformed-math guard"] + cpu["Neural-CRN rules"]
    first = alone("identifier-consistency") + alone("sbo-consistency")
    first += alone("general-consistency")
    second = sum(alone(n) for n in ("mathml-consistency", "units-consistency"))
    second += alone("overdetermined-model") + alone("modeling-practice")
    before = parse + parent + first + second
    now = parse + max(first, second, parent, (first + second + parent) / 2)
    return [
        ("estimate for 2 idle CPUs, before issue 4 (sum of the parts)", before, before),
        ("estimate for 2 idle CPUs, validate_file (units on)", now, before),
    ]


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``run()``."""
    cpu, start = _cpu(), time.perf_counter()
    run()
    return time.perf_counter() - start, _cpu() - cpu


def _median(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


if __name__ == "__main__":
    raise SystemExit(main())
