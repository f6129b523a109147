"""The further sections of ``scripts/bench.py``: build + SBML write + RoadRunner load of a
~2,000-reaction network, model size and load time against the number of samples, a profile of
the RoadRunner training run, and the parallel efficiency of ``sbmlcrn sweep``. They run at the
fixed tolerances (rtol 1e-10, atol 1e-12) and B = 1, whatever the main table's options."""

from __future__ import annotations

import dataclasses
import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import (
    Circuit,
    fmt_load,
    fmt_time,
    rr_configure,
    rr_load,
    say,
    spread,
    synthetic_linear,
)

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.core.network import Network
from sbmlcrn.io.sbml import to_sbml

# --------------------------------------------------------------------------- build and load


def bench_build(rounds: int) -> list[dict[str, Any]]:
    """Build + SBML write + RoadRunner load of linear circuits of ~250 … ~2,000 reactions.

    10 samples × 1 epoch; ``D`` channels give ``11 D + 1`` reactions, so ``D = 182`` gives
    2,003 reactions.
    """
    rows = []
    for d in (22, 45, 90, 181):
        data = synthetic_linear(10, d, seed=3)
        times: dict[str, list[float]] = {"build": [], "write": [], "load": [], "total": []}
        for _ in range(rounds):
            gc.collect()
            t0 = time.perf_counter()
            circuit = compile_linear("regression", data, LinearConfig(epochs=1))
            t1 = time.perf_counter()
            sbml = to_sbml(circuit.network)
            t2 = time.perf_counter()
            rr = rr_load(sbml)
            t3 = time.perf_counter()
            del rr
            for key, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                times[key].append(v)
        stats = circuit.network.stats()
        rows.append(
            {
                "channels": d + 1,
                "reactions": stats["reactions"],
                "species": stats["species"],
                "sbml_bytes": len(sbml.encode()),
                **{k: spread(v) for k, v in times.items()},
            }
        )
        say(f"build: {stats['reactions']} reactions: {rows[-1]['total']['median']:.2f} s")
    return rows


def bench_size_curve(sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Model size, build, write, load and simulate time against the number of samples."""
    rows = []
    for n in sizes:
        data = synthetic_linear(n, 2, seed=4)
        times: dict[str, list[float]] = {"build": [], "write": [], "load": [], "simulate": []}
        for _ in range(rounds):
            gc.collect()
            t0 = time.perf_counter()
            circuit = compile_linear("regression", data, LinearConfig(epochs=1))
            t1 = time.perf_counter()
            sbml = to_sbml(circuit.network)
            t2 = time.perf_counter()
            rr = rr_load(sbml)
            t3 = time.perf_counter()
            rr_configure(rr, stiff=False)
            rr.simulate(0.0, circuit.clock.end_time, 2)
            t4 = time.perf_counter()
            del rr
            for key, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[key].append(v)
        stripped = "\n".join(line.strip() for line in sbml.splitlines())
        rows.append(
            {
                "samples": n,
                "sbml_bytes": len(sbml.encode()),
                "sbml_bytes_unindented": len(stripped.encode()),
                "reactions": circuit.network.stats()["reactions"],
                "events": circuit.network.stats()["events"],
                **{k: spread(v) for k, v in times.items()},
            }
        )
        say(f"size curve: {n} samples: {rows[-1]['sbml_bytes']:,} bytes")
    return rows


def table_build(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| linear regression, 10 samples | species / reactions | SBML | build | SBML write "
        "| RoadRunner load | total (target ≤ 2 s at 2,000 reactions) |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in rows:
        lines.append(
            f"| D = {b['channels']} | {b['species']} / {b['reactions']:,} "
            f"| {b['sbml_bytes'] / 1e6:.2f} MB | {fmt_time(b['build'])} "
            f"| {fmt_time(b['write'])} | {fmt_time(b['load'])} | {fmt_time(b['total'])} |"
        )
    return "\n".join(lines)


def table_curve(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| samples | SBML size | bytes / sample (without indentation) | build | SBML write "
        "| RoadRunner load | load / sample | simulate (1 epoch) | simulate / cycle |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        n = r["samples"]
        flat = r.get("sbml_bytes_unindented")
        flat_text = f" ({flat / n:,.0f})" if flat else ""
        lines.append(
            f"| {n:,} | {r['sbml_bytes'] / 1e3:,.0f} kB "
            f"| {r['sbml_bytes'] / n:,.0f}{flat_text} | {fmt_time(r['build'])} "
            f"| {fmt_time(r['write'])} | {fmt_time(r['load'])} "
            f"| {r['load']['median'] / n * 1e3:.2f} ms | {fmt_time(r['simulate'])} "
            f"| {r['simulate']['median'] / n * 1e3:.3f} ms |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- profile


def event_free(network: Network, gates: dict[str, float]) -> Network:
    """The network without events, its gates fixed (clock parameters dropped)."""
    from sbmlcrn.core.network import Parameter, Role

    params = tuple(
        Parameter(p.id, gates[p.id], Role.GATE) if p.id in gates else p
        for p in network.parameters
        if p.role is not Role.CLOCK
    )
    return dataclasses.replace(network, parameters=params, events=())


def _variable_step_run(sbml: str, end: float, **extra: Any) -> tuple[np.ndarray, float]:
    """The times of every CVODE step from 0 to ``end`` (one output row per internal step),
    and the wall time of that run (loading excluded)."""
    rr = rr_load(sbml)
    rr_configure(rr, stiff=False, variable_step_size=True, max_output_rows=10**8, **extra)
    t0 = time.perf_counter()
    out = rr.simulate(0.0, end, selections=["time"])
    return np.asarray(out)[:, 0], time.perf_counter() - t0


def _early_fraction(times: np.ndarray, circuit: Circuit, within: float = 0.01) -> float:
    """Fraction of the steps taken in the first ``within`` of a phase (restart ramp-up)."""
    clock = circuit.clock
    u = np.mod(times[1:], clock.period)
    early = np.zeros(u.shape, dtype=bool)
    for j, phase in enumerate(clock.phases):
        lo = clock.offset(j)
        early |= (u >= lo) & (u < lo + within * phase.duration)
    return float(np.mean(early))


def bench_profile(w: Any, rounds: int) -> dict[str, Any]:
    """Where a RoadRunner training run spends its time.

    1. The training run (events), final state only, and with an output at every mid-phase;
       its CVODE steps counted by a run that records every step (``variable_step_size``).
    2. The same network without events and with every gate off (only the annihilations act,
       so nothing is restarted and no root is searched for), forced by ``maximum_time_step``
       to take as many steps over the same time span, with the same outputs: the cost of
       the steps alone (RHS evaluations, Newton iterations, step control). The rest of the
       training run is the event machinery — root finding, the event assignments and
       CVODE's restart after each firing (a new order-1 start, Jacobian and initial step).
    3. One RHS evaluation through the Python binding
       (``getFloatingSpeciesConcentrationRates``): an upper bound of the compiled RHS's cost.
    4. :func:`sbmlcrn.training.pipeline.train` in all, and its parts (its ``simulate`` samples two
       output points per cycle and reads the trajectories).
    """
    from sbmlcrn.training.pipeline import train

    circuit = w.make()
    sbml = to_sbml(circuit.network)
    end = circuit.clock.end_time
    cycles = circuit.clock.cycles
    out: dict[str, Any] = {"workload": w.slug, "cycles": cycles, "end_time": end}
    smooth = to_sbml(event_free(circuit.network, {g: 0.0 for g in circuit.clock.gates()}))
    finals, gridded_ev, forced = [], [], []
    step_times, _ = _variable_step_run(sbml, end)
    steps = len(step_times) - 1
    out["early_fraction"] = _early_fraction(step_times, circuit)
    out["smallest_step"] = float(np.min(np.diff(step_times)))
    free_times, _ = _variable_step_run(smooth, end, maximum_time_step=end / steps)
    # Both timed comparison runs output at every mid-phase (a few µs per row, the same for
    # both). With long output intervals and a maximum step RoadRunner 2.10 stops with
    # CV_TOO_MUCH_WORK far below maximum_num_steps, so the forced run needs the grid anyway;
    # recording every step instead costs ~2.4 µs per row, more than a step.
    mids = (np.arange(2 * cycles) + 0.5) * (end / (2 * cycles))
    grid = np.concatenate([[0.0], mids, [end]])
    for _ in range(rounds):
        rr = rr_load(sbml)
        rr_configure(rr, stiff=False)
        t0 = time.perf_counter()
        rr.simulate(0.0, end, 2)
        finals.append(time.perf_counter() - t0)
        rr = rr_load(sbml)
        rr_configure(rr, stiff=False)
        t0 = time.perf_counter()
        rr.simulate(times=grid, selections=["time"])
        gridded_ev.append(time.perf_counter() - t0)
        rr = rr_load(smooth)
        rr_configure(rr, stiff=False, maximum_time_step=end / steps)
        t0 = time.perf_counter()
        rr.simulate(times=grid, selections=["time"])
        forced.append(time.perf_counter() - t0)
    out["simulate"] = spread(finals)
    out["simulate_mid_grid"] = spread(gridded_ev)
    out["steps"] = steps
    out["event_firings"] = 2 * cycles + 1
    out["no_events_forced"] = spread(forced)
    out["steps_forced"] = len(free_times) - 1

    rr = rr_load(sbml)
    n_calls = 20_000
    rates = rr.model.getFloatingSpeciesConcentrationRates
    t0 = time.perf_counter()
    for _ in range(n_calls):
        rates()
    out["rhs_call"] = (time.perf_counter() - t0) / n_calls

    # train()'s simulate samples two points per cycle (the loss) and the epoch starts
    grid = np.unique(
        np.array([0.0, *circuit.epoch_start_times(), *circuit.forward_error_times(), end])
    )
    watched = [s for pair in circuit.error_species for s in pair]
    watched += [s for pair in circuit.parameter_species.values() for s in pair]
    gridded = []
    for _ in range(rounds):
        rr = rr_load(sbml)
        rr_configure(rr, stiff=False)
        t0 = time.perf_counter()
        rr.simulate(times=grid, selections=["time", *(f"[{s}]" for s in watched)])
        gridded.append(time.perf_counter() - t0)
    out["simulate_grid"] = spread(gridded)
    out["grid_points"] = len(grid)
    loads = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        rr = rr_load(sbml)
        loads.append(time.perf_counter() - t0)
    out["load"] = spread(loads)

    trains = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        run = train(w.circuit, w.data(), config=w.config)
        trains.append({"total": time.perf_counter() - t0, **run.timings})
    out["train"] = {k: spread([t[k] for t in trains]) for k in trains[0]}
    return out


def text_profile(p: dict[str, Any]) -> str:
    sim = p["simulate"]["median"]
    ev_grid = p["simulate_mid_grid"]["median"]
    steps_cost = p["no_events_forced"]["median"] * p["steps"] / max(p["steps_forced"], 1)
    events = ev_grid - steps_cost
    tr = p["train"]
    overhead = tr["simulate_s"]["median"] - p["load"]["median"] - p["simulate_grid"]["median"]
    return "\n".join(
        [
            f"Workload `{p['workload']}`: {p['cycles']:,} cycles, {p['event_firings']:,} event "
            f"firings, t = 0 … {p['end_time']:g}.",
            "",
            "| quantity | value |",
            "|---|---|",
            f"| training run (events), simulate to the end | {fmt_time(p['simulate'])} |",
            f"| CVODE steps | {p['steps']:,} ({p['steps'] / (2 * p['cycles']):.0f} per phase; "
            f"{sim / p['steps'] * 1e6:.2f} µs per step in all) |",
            f"| … taken in the first 1 % of a phase (restart at order 1) | "
            f"{p['early_fraction']:.0%}; smallest step {p['smallest_step']:.1e} |",
            f"| the training run with an output at every mid-phase | "
            f"{fmt_time(p['simulate_mid_grid'])} |",
            f"| same network, no events, gates off, forced to as many steps "
            f"({p['steps_forced']:,}), same outputs | {fmt_time(p['no_events_forced'])} |",
            f"| → the steps themselves (RHS, Newton, step control) | "
            f"{steps_cost * 1e3:.0f} ms ({steps_cost / ev_grid:.0%}; "
            f"{steps_cost / p['steps'] * 1e6:.2f} µs per step) |",
            f"| → event machinery (roots, assignments, CVODE restarts): the rest | "
            f"{events * 1e3:.0f} ms ({events / ev_grid:.0%}; "
            f"{events / p['event_firings'] * 1e6:.0f} µs per firing) |",
            f"| one RHS evaluation via the Python binding (upper bound) | "
            f"{p['rhs_call'] * 1e6:.2f} µs |",
            f"| the same run with `train()`'s output grid ({p['grid_points']:,} points: one per "
            f"cycle, the epoch starts) | "
            f"{fmt_time(p['simulate_grid'])} |",
            f"| RoadRunner load | {fmt_time(p['load'])} |",
            f"| `train()` in all | {fmt_time(tr['total'])} |",
            f"| … build, SBML and Antimony | {fmt_time(tr['build_s'])} |",
            f"| … numpy reference | {fmt_time(tr['reference_s'])} |",
            f"| … `simulate()`: load, run with the loss grid, reading | "
            f"{fmt_time(tr['simulate_s'])} |",
            f"| → Python overhead in `simulate()` (minus load and gridded run) | "
            f"{overhead * 1e3:.0f} ms{' (within the noise)' if overhead < 0 else ''} |",
        ]
    )


# --------------------------------------------------------------------------- sweep


def bench_sweep(rounds: int, runs: int = 12) -> dict[str, Any]:
    """Parallel efficiency of :func:`sbmlcrn.studies.sweep.run_sweep`: 1 worker vs 2 workers.

    ``runs`` linear-regression runs of ≥ 1 s each (200 samples × 20 epochs, 8 channels),
    the same grid with 1 and with 2 local worker processes, alternately, ``rounds`` times.
    Efficiency = T₁ / (2 T₂).
    """
    from sbmlcrn.studies.sweep import parse_grid, run_sweep

    data = synthetic_linear(200, 7, seed=5)
    grid = parse_grid("linear-regression", [f"seed=0..{runs - 1}", "epochs=20"])
    t1s, t2s = [], []
    run_times: dict[int, list[float]] = {1: [], 2: []}
    cpu_share: dict[int, list[float]] = {1: [], 2: []}
    loads = []
    with tempfile.TemporaryDirectory(prefix="sbmlcrn-sweep-bench-") as tmp:
        for k in range(rounds):
            for workers, sink in ((1, t1s), (2, t2s)):
                out = Path(tmp) / f"w{workers}-{k}"
                t0 = time.perf_counter()
                res = run_sweep("linear-regression", data, grid, out, workers=workers)
                sink.append(time.perf_counter() - t0)
                run_times[workers] += [r["seconds"] for r in res.rows]
                cpu_share[workers].append(
                    sum(r["cpu_seconds"] for r in res.rows) / sum(r["seconds"] for r in res.rows)
                )
            loads.append(os.getloadavg()[0])
            say(
                f"sweep round {k + 1}/{rounds}: 1 worker {t1s[-1]:.2f} s, 2 workers {t2s[-1]:.2f} s"
            )
    eff = [a / (2 * b) for a, b in zip(t1s, t2s, strict=True)]
    return {
        "runs": runs,
        "run_seconds": spread(run_times[1]),
        "run_seconds_two": spread(run_times[2]),
        "load_average": spread(loads),
        "cpu_share_one": spread(cpu_share[1]),
        "cpu_share_two": spread(cpu_share[2]),
        "one_worker": spread(t1s),
        "two_workers": spread(t2s),
        "efficiency": spread(eff),
    }


def text_sweep(s: dict[str, Any]) -> str:
    e = s["efficiency"]
    return "\n".join(
        [
            "| grid | one run, 1 worker | one run, 2 workers | 1 worker (in this process) "
            "| 2 worker processes | parallel efficiency T₁ / (2 T₂) |",
            "|---|---|---|---|---|---|",
            f"| {s['runs']} linear-regression runs (200 × 20, D = 8) "
            f"| {fmt_time(s['run_seconds'])} | {fmt_time(s['run_seconds_two'])} "
            f"| {fmt_time(s['one_worker'])} "
            f"| {fmt_time(s['two_workers'])} | **{e['median']:.0%}** "
            f"({e['min']:.0%} – {e['max']:.0%}) |",
            "",
            f"1-minute load average after each round: {fmt_load(s['load_average'])} (the "
            "benchmark itself adds 1 or 2). CPU time / wall time of the runs: "
            f"{s['cpu_share_one']['median']:.0%} with 1 worker, "
            f"{s['cpu_share_two']['median']:.0%} with 2 (below 100 %: the runs waited for a "
            "core).",
        ]
    )
