"""DNA strand displacement export (issue 19, first cut): formal CRN, SSW 2010 design, checks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sbmlcrn.core.network import Network, Parameter, Reaction, Role, Species
from sbmlcrn.io.dsd import FormalReaction, design_pil, formal_crn, missing_tools, translate
from sbmlcrn.io.dsd_verify import verify
from tests.helpers import run_cli

pytestmark = [
    pytest.mark.skipif(
        bool(missing_tools()),
        reason=f"DSD tools not installed ({', '.join(missing_tools())}): "
        "pip install 'sbmlcrn[dsd]'",
    ),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # pyparsing's, in the CRN parser
]

ROOT = Path(__file__).resolve().parents[2]


def _tiny() -> Network:
    """A + B -> A + B + Y (rate 2 times a constant gate 1), B -> Y (0.5), a dead D -> Y."""
    return Network(
        id="tiny",
        species=(
            Species("A", 1.0, Role.INPUT),
            Species("B", 0.5, Role.PARAMETER),
            Species("Y", 0.0, Role.OUTPUT),
            Species("D", 0.0),
        ),
        parameters=(
            Parameter("k", 2.0),
            Parameter("k2", 0.5),
            Parameter("k0", 0.0),
            Parameter("g", 1.0, Role.GATE),
        ),
        reactions=(
            Reaction("r1", ("B", "A"), ("A", "B", "Y"), "k", ("g",)),
            Reaction("r2", ("B",), ("Y",), "k2"),
            Reaction("r3", ("D",), ("Y",), "k0"),
        ),
    )


def test_formal_crn_of_a_tiny_network() -> None:
    from crnverifier.utils import parse_crn

    text = formal_crn(_tiny())
    assert text.splitlines()[1:] == [
        "A + B -> A + B + Y [k = 2]",
        "B -> Y [k = 0.5]",
        "A @ initial 1",
        "B @ initial 0.5",
    ]
    crn, species = parse_crn(text)  # the CRN tools read it
    assert crn == [[["A", "B"], ["A", "B", "Y"]], [["B"], ["Y"]]]
    assert species == {"A", "B", "Y"}


def test_bimolecular_reaction_translates_to_the_buffered_gate() -> None:
    r = FormalReaction("r", ("P", "X"), ("P", "X", "Y"), 1.0)
    design = translate([r], {"P": 0.5}, unit_nM=10.0, excess=100.0)
    pil = design_pil(design)
    lines = {
        line.split(" = ")[0]: line.split(" = ")[1] for line in pil.splitlines() if " = " in line
    }
    assert lines["S_P"] == "hs_P t_P b_P c_P @initial 5.0 nM"
    assert lines["S_X"].startswith("hs_X t_X b_X c_X  # set per sample")
    assert lines["L_r"] == (
        "b_P( c_P( t_X( + b_X( c_X( h_r_1 t_P h_r_2 t_X h_r_3 t_Y + ) ) ) ) ) t_P* "
        "@initial 1000.0 nM"
    )
    # the buffer strand at [L]/rho: one reaction, P first, rho = sequester = 0.5 (gate_ratios)
    assert lines["B_r"] == "b_P c_P t_X @initial 2000.0 nM"
    assert lines["T_r"] == (
        "h_r_1( t_P( b_P c_P + h_r_2( t_X( b_X c_X + h_r_3( t_Y( b_Y c_Y + ) ) ) ) ) ) c_X* "
        "@initial 1000.0 nM"
    )
    assert "length t_P = 7" in pil and "length b_P = 15" in pil
    assert design.counts() == {
        "domains": 15,
        "strands": 10,
        "signal_complexes": 3,
        "fuel_complexes": 3,
        "formal_reactions": 1,
    }
    result = verify(design)
    assert result["verified"], result
    assert result["crosstalk"] == []


def test_verification_refuses_a_wrong_formal_reaction() -> None:
    design = translate([FormalReaction("r", ("A",), ("C",), 1.0)], {"A": 1.0})
    design.reactions = [FormalReaction("r", ("A",), ("A", "C"), 1.0)]  # claims A is a catalyst
    assert not verify(design)["verified"]


def test_linear_regression_run_exports_verified_and_agrees_on_data(tmp_path: Path, capsys) -> None:
    import roadrunner

    import sbmlcrn
    from sbmlcrn.training.dsd_export import is_previous_dsd

    run = tmp_path / "run"
    sbmlcrn.train(
        "linear-regression", ROOT / "examples" / "linreg_train.csv", out=run, plots=False,
        epochs=2,
    )  # fmt: skip
    rows = (ROOT / "examples" / "linreg_test.csv").read_text().splitlines()[:31]
    data = tmp_path / "held_out.csv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "dsd"
    start = time.perf_counter()
    code, stdout, _ = run_cli(capsys, "export", run, "--format", "dsd", "-o", out, "--data", data)
    seconds = time.perf_counter() - start
    assert code == 0, stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "agreement.csv", "agreement.png", "design.pil", "dsd.xml", "formal.crn",
        "implementation.crn", "report.json", "report.md",
    ]  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    assert report["verified"] is True
    assert report["crosstalk"] == []
    c = report["counts"]
    assert c["formal_reactions"] == (out / "formal.crn").read_text().count("->")
    assert c["formal_reactions"] < report["minimise"]["before"]["reactions"]
    assert c["implementation_reactions"] > c["formal_reactions"]
    assert report["inputs"] == ["x1_p", "x1_m", "x2_p", "x2_m"]
    assert report["rewrites"]["constant_one"] == "one"  # x -> x + y became x + one -> ...
    assert "verified: **true**" in (out / "report.md").read_text()
    a = report["agreement"]
    assert a["n"] == 30 and a["metric"] == "relative_mse"
    assert a["value"] <= 0.05  # the target; measured 5e-5
    assert a["fuel_left_min"] > 0.9
    assert "relative_mse" in stdout
    from crnverifier.utils import parse_crn

    implementation, _ = parse_crn((out / "implementation.crn").read_text())
    assert len(implementation) == c["implementation_reactions"]
    # dsd.xml: nM and seconds; the formal outputs as observables
    rr = roadrunner.RoadRunner((out / "dsd.xml").read_text())
    assert "formal_yhat_p" in rr.model.getGlobalParameterIds()
    assert len(rr.model.getReactionIds()) == c["implementation_reactions"]
    assert is_previous_dsd(out)  # a second export may replace it as a whole
    with capsys.disabled():
        print(f"\nlinear regression DSD export: {seconds:.1f} s wall, {report['seconds']}, {c}")
    assert seconds < 600


def test_build_is_deterministic_and_leak_makes_output_from_nothing() -> None:
    import numpy as np

    from sbmlcrn.io.dsd_verify import build_dsd
    from sbmlcrn.simulate import simulate_batch

    tiny = Network(
        id="tiny2",
        species=(Species("A", 0.0, Role.INPUT), Species("B", 0.5), Species("Y", 0.0)),
        parameters=(Parameter("k", 1.0),),
        reactions=(Reaction("r1", ("A", "B"), ("A", "B", "Y"), "k"),),
    )
    first, second = build_dsd(tiny), build_dsd(tiny)
    a, b = first.texts(first.report()), second.texts(second.report())
    for name in ("formal.crn", "design.pil", "implementation.crn", "dsd.xml"):
        assert a[name] == b[name], name
    assert first.verification["verified"]
    t_end = 2.0 * first.time_unit_s
    species = [s.id for s in first.implementation().species]
    for leak, positive in ((0.0, False), (100.0, True)):
        from sbmlcrn.io.dsd_sbml import implementation_sbml

        xml = implementation_sbml(first.implementation(leak=leak))
        out = simulate_batch(xml, t_end, {"S_A": np.array([0.0, 10.0])}, species)
        y = first.readout(out, "Y")
        assert bool(y[0] > 1e-6) is positive  # no input A: only a leak makes Y
        if not leak:  # formal: k·A·B·t = 1·1·0.5·2 = 1 (fuel depletion: 1 %)
            assert y[1] == pytest.approx(1.0, rel=0.02)


_ENUMERATE_SCRIPT = """
from sbmlcrn.io.dsd import FormalReaction, translate
from sbmlcrn.io.dsd_verify import enumerate_design
rx = [FormalReaction("r1", ("A", "B"), ("A", "B", "Y"), 1.0),
      FormalReaction("r2", ("B", "Y"), ("Z",), 1.0)]
print(enumerate_design(translate(rx, {"B": 0.5})).crn(), end="")
"""


def test_implementation_names_do_not_depend_on_the_hash_seed() -> None:
    """New complexes are named in the order of their canonical kernels: peppercorn's own
    kernel strings start at a strand that changed with PYTHONHASHSEED (review of issue 19)."""
    import os
    import subprocess
    import sys

    texts = []
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", _ENUMERATE_SCRIPT],
            capture_output=True, text=True, timeout=300, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        texts.append(proc.stdout)
    assert texts[0].count("->") > 10
    assert texts[1] == texts[0]


def test_network_of_unimolecular_reactions_only_builds() -> None:
    """Without bimolecular gates the time scale comes from a signal opening a gate L (it
    raised 'no signal displacing a gate intermediate' after the whole enumeration)."""
    from sbmlcrn.io.dsd_verify import build_dsd

    net = Network(
        id="uni",
        species=(Species("A", 1.0), Species("Y", 0.0)),
        parameters=(Parameter("k", 0.5),),
        reactions=(Reaction("r1", ("A",), ("Y",), "k"),),
    )
    build = build_dsd(net)
    assert build.verification["verified"]
    assert build.design.rate_scale == 1.0
    assert build.time_unit_s == pytest.approx(1.0 / (build.rates["k2"] * 10.0))
    assert 1e-3 < build.rates["k2"] < 1e-2  # nM⁻¹ s⁻¹: about 2e6 M⁻¹ s⁻¹


def test_bad_dsd_options_exit_2_before_enumerating(tmp_path: Path, capsys) -> None:
    """--leak -1 was refused only after the whole enumeration (review of issue 19)."""
    import sbmlcrn

    run = tmp_path / "run"
    sbmlcrn.train(
        "linear-regression", ROOT / "examples" / "linreg_train.csv", out=run, plots=False,
        epochs=2,
    )  # fmt: skip
    for option, value, name in (
        ("--leak", "-1", "leak"), ("--excess", "0", "excess"), ("--unit-nm", "-1", "unit_nM"),
    ):  # fmt: skip
        t0 = time.perf_counter()
        code, _, err = run_cli(
            capsys, "export", run, "--format", "dsd", "-o", tmp_path / "x", option, value
        )
        assert code == 2 and f"The {name} parameter" in err, err
        assert time.perf_counter() - t0 < 10
        assert not (tmp_path / "x").exists()


def test_formal_observables_count_the_species_the_gates_hold() -> None:
    """A first reactant sits partly in its gates' intermediates (A + L <=> I + B): formal_A
    and the read-out are its total, not only its free strands (review of issue 19)."""
    import numpy as np
    import roadrunner

    from sbmlcrn.io.dsd_sbml import formal_forms, implementation_sbml
    from sbmlcrn.io.dsd_verify import build_dsd

    net = Network(
        id="held",
        species=(Species("A", 1.0), Species("B", 0.5), Species("Y", 0.0)),
        parameters=(Parameter("k", 1.0),),
        reactions=(Reaction("r1", ("A", "B"), ("A", "B", "Y"), "k"),),
    )
    build = build_dsd(net)
    forms = formal_forms(build.whole)
    signals = build.whole.signals
    assert len([s for s in forms["A"] if s not in signals]) == 2  # I with S_A, with A released
    assert all(s in signals for s in forms["B"])  # a second reactant is not held
    rr = roadrunner.RoadRunner(implementation_sbml(build.implementation()))
    rr.integrator = "cvode"
    rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = 1e-8, 1e-6
    t_end = 2.0 * build.time_unit_s
    rr.timeCourseSelections = ["time", "formal_A", "formal_B", "formal_Y", *forms["A"]]
    out = rr.simulate(0, t_end, 3)
    assert out["formal_A"][-1] == pytest.approx(1.0, rel=0.01)  # 0.67 free, 0.33 held
    assert out["formal_B"][-1] == pytest.approx(0.5, rel=0.01)
    assert out["formal_Y"][-1] == pytest.approx(1.0, rel=0.02)  # k·A·B·t
    values = {s: np.array([out[s][-1]]) for s in forms["A"]}
    assert build.readout(values, "A")[0] == pytest.approx(out["formal_A"][-1], rel=1e-9)


def test_square_of_a_changing_species_is_refused_quickly(tmp_path: Path) -> None:
    """X + X -> ... of a species reactions change cannot be split exactly: refused at once."""
    from sbmlcrn.errors import InputError
    from sbmlcrn.io.dsd_verify import build_dsd

    net = Network(
        id="sq",
        species=(Species("Z", 1.0), Species("H", 0.0)),
        parameters=(Parameter("k", 1.0),),
        reactions=(Reaction("r1", ("Z", "Z"), ("H",), "k"),),
    )
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"X \+ X -> \.\.\. of a species that reactions change"):
        build_dsd(net)
    assert time.perf_counter() - t0 < 5


@pytest.mark.slow
def test_nonlinear_classifier_exports_verified_and_agrees(tmp_path: Path) -> None:
    """The product-unit XOR classifier: squares split, 26 formal reactions (about 10 min)."""
    import sbmlcrn
    from sbmlcrn.core.data import make_task
    from sbmlcrn.training.dsd_export import export_dsd

    task = make_task("xor", 0)
    sbmlcrn.train("nonlinear-classification", task.train, epochs=30, out=tmp_path / "run")
    data = tmp_path / "xor_test.csv"
    pairs = zip(task.test.x, task.test.y, strict=True)
    lines = ["x1,x2,y"] + [f"{a!r},{b!r},{y:g}" for (a, b), y in pairs]
    data.write_text("\n".join(lines[:51]) + "\n")
    _, report = export_dsd(tmp_path / "run", tmp_path / "dsd", data=data)
    assert report["verified"] is True and report["crosstalk"] == []
    assert sorted(report["rewrites"]["square_copies"]) == ["x1_m", "x1_p", "x2_m", "x2_p", "xb_p"]
    assert report["agreement"]["value"] >= 0.99


def test_missing_tools_name_the_extra(tmp_path: Path, capsys, monkeypatch) -> None:
    import sbmlcrn.io.dsd as dsd

    monkeypatch.setattr(dsd, "missing_tools", lambda: ["crnverifier"])
    code, _, err = run_cli(capsys, "export", tmp_path, "--format", "dsd", "-o", tmp_path / "x")
    assert code == 2
    assert "pip install 'sbmlcrn[dsd]'" in err


_COPASI_SCRIPT = """
import json, sys
import basico
m = basico.load_model(sys.argv[1])
basico.set_species("S_A", initial_concentration=10.0, model=m)
tc = basico.run_time_course(duration=float(sys.argv[2]), intervals=10, model=m,
                            r_tol=1e-8, a_tol=1e-6)
print(json.dumps(float(tc["Values[Y (formal units)]"].iloc[-1])))
"""


def test_dsd_xml_simulates_alike_in_copasi(tmp_path: Path) -> None:
    """dsd.xml is a plain SBML model: COPASI (in a subprocess) reads the same formal output."""
    import subprocess
    import sys

    import numpy as np

    pytest.importorskip("basico")
    from sbmlcrn.io.dsd_sbml import implementation_sbml
    from sbmlcrn.io.dsd_verify import build_dsd
    from sbmlcrn.simulate import Tolerances, simulate_batch

    tiny = Network(
        id="tiny3",
        species=(Species("A", 0.0, Role.INPUT), Species("B", 0.5), Species("Y", 0.0)),
        parameters=(Parameter("k", 1.0),),
        reactions=(Reaction("r1", ("A", "B"), ("A", "B", "Y"), "k"),),
    )
    build = build_dsd(tiny)
    path = tmp_path / "dsd.xml"
    path.write_text(implementation_sbml(build.implementation()), encoding="utf-8")
    t_end = build.time_unit_s
    proc = subprocess.run(
        [sys.executable, "-c", _COPASI_SCRIPT, str(path), repr(t_end)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    copasi = json.loads(proc.stdout.strip().splitlines()[-1])
    species = [s.id for s in build.implementation().species]
    tol = Tolerances(relative=1e-8, absolute=1e-6, stiff=True)
    out = simulate_batch(
        path.read_text(), t_end, {"S_A": np.array([10.0])}, species, tolerances=tol
    )
    assert copasi == pytest.approx(float(build.readout(out, "Y")[0]), rel=1e-5)
    assert copasi == pytest.approx(0.5, rel=0.02)  # formal: k·A·B·t = 1·1·0.5·1


@pytest.mark.parametrize("option", [["--excess", "5"], ["--unit-nm", "1"], ["--leak", "1"]])
def test_dsd_options_are_refused_with_other_formats(tmp_path: Path, capsys, option) -> None:
    code, _, err = run_cli(
        capsys, "export", tmp_path, "--format", "copasi", "-o", tmp_path / "m.cps", *option
    )
    assert code == 2 and f"{option[0]} applies to --format dsd only" in err
