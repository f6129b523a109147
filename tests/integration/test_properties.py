"""Property-based tests (hypothesis) over the public API and the command line.

- Random valid small data sets and configurations train: finite parameters, a finite
  non-negative loss per epoch, and the CRN within the exactness bound of the numpy reference.
- Random invalid input — CSV text, configuration values, SBML bytes, command lines — gives a
  typed :class:`~sbmlcrn.errors.SbmlcrnError` with a message (exit status 2 or 1 and one line
  ``error: …`` on the command line), never another exception or a traceback.

The default set runs a few dozen examples per property (well under a minute in all); the
``slow`` variants in tests/e2e/test_properties.py run the same properties thousands of times.
No example database is kept (``database=None``): the tests leave nothing in the working tree.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.cli import main
from sbmlcrn.core.data import Dataset, read_csv
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.training.pipeline import train
from sbmlcrn.validation.safexml import check_xml_bytes

ROOT = Path(__file__).resolve().parents[2]
CASES: Counter[str] = Counter()
# hypothesis caches (constants, unicode tables) go to a temporary directory, not the work tree
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "sbmlcrn-hypothesis")
)

FAST = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def many(n: int) -> settings:
    return settings(FAST, max_examples=n)


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    if CASES:
        print("\nproperty-based cases run:", dict(CASES), "total", sum(CASES.values()))


# =========================================================================== valid training

finite = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False, allow_infinity=False)


@st.composite
def regression_sets(draw, max_rows: int = 8, max_inputs: int = 3):
    n = draw(st.integers(2, max_rows))
    d = draw(st.integers(1, max_inputs))
    x = np.array(draw(st.lists(st.lists(finite, min_size=d, max_size=d), min_size=n, max_size=n)))
    if draw(st.booleans()):
        w = np.array(draw(st.lists(finite, min_size=d, max_size=d)))
        y = x @ w + draw(finite)
    else:
        y = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    return Dataset(tuple(f"x{j}" for j in range(d)), x, y, "y", name="hyp.csv")


@st.composite
def classification_sets(draw, max_rows: int = 8, max_inputs: int = 2):
    data = draw(regression_sets(max_rows, max_inputs))
    labels = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(data),
                                    max_size=len(data))))  # fmt: skip
    return Dataset(data.features, data.x, labels, "y", name="hyp.csv")


@st.composite
def linear_configs(draw, valid: bool = True):
    """Configurations. ``valid`` ones keep the data standardised (the default) and the learning
    rate chosen from the data or moderate. Unscaled data are not "valid" here: CVODE fails on
    some of them — hypothesis found targets of ~1,000 beside zeros (the reason standardising
    is the default) — with a typed error naming the options, which ``_prop_linear_any``
    accepts; 199 of 200 random unscaled runs trained, so no guard rail refuses them upfront."""
    standardize = True if valid else draw(st.booleans())
    lr = draw(st.one_of(st.none(), st.floats(1e-4, 0.05 if valid else 1.0)))
    return LinearConfig(
        epochs=draw(st.integers(1, 3)),
        horizon=draw(st.floats(0.1, 2.0)),
        lr=lr,
        seed=draw(st.integers(0, 2**31)),
        annihilation=draw(st.floats(0.1, 10.0)),
        standardize=standardize,
        augmentation=draw(st.one_of(st.none(), st.floats(0.25, 2.0))),
        backward=draw(st.one_of(st.none(), st.floats(0.1, 2.0))),
    )


def _check_run(run, config, bound: float) -> None:
    theta = np.array(list(run.parameters.values()))
    assert np.all(np.isfinite(theta))
    assert np.all(np.isfinite(run.train_loss)) and np.all(run.train_loss >= 0)
    assert len(run.train_loss) == config.epochs
    assert run.parameter_trajectory.shape == (config.epochs + 1, len(theta))
    scale = max(1.0, float(np.max(np.abs(run.reference.theta))))
    assert run.max_abs_deviation <= bound * scale


def _prop_linear_trains(data: Dataset, config: LinearConfig, task: str) -> None:
    CASES[f"train {task}"] += 1
    run = train(f"linear-{task}", data, config=config)
    _check_run(run, config, 1e-6)


def _prop_linear_any(data: Dataset, config: LinearConfig) -> None:
    """Any configuration in a wide range: trains within the bound, or fails with a typed
    one-line error (a diverging SGD, an unreliable simulation)."""
    CASES["train any config"] += 1
    try:
        run = train("linear-regression", data, config=config)
    except SbmlcrnError as exc:
        assert str(exc) and "\n" not in str(exc), exc
        return
    _check_run(run, config, 1e-6)


def _prop_nonlinear_trains(data: Dataset, epochs: int, seed: int, gradient: str) -> None:
    CASES["train nonlinear-classification"] += 1
    config = NonlinearConfig(epochs=epochs, seed=seed, gradient=gradient)
    try:
        run = train("nonlinear-classification", data, config=config)
    except InputError as exc:  # standardised outliers can make -c z^2 blow up: reported
        assert re.search(r"blows up|diverges|explosion", str(exc)), exc
        return
    except SbmlcrnError as exc:
        raise AssertionError(f"valid nonlinear run failed: {exc}") from exc
    _check_run(run, config, 1e-4)


test_linear_regression_trains = FAST(
    given(regression_sets(), linear_configs(), st.just("regression"))(_prop_linear_trains)
)
test_linear_classification_trains = settings(FAST, max_examples=10)(
    given(classification_sets(), linear_configs(), st.just("classification"))(_prop_linear_trains)
)
test_nonlinear_classification_trains = settings(FAST, max_examples=4)(
    given(
        classification_sets(6, 2),
        st.integers(1, 2),
        st.integers(0, 1000),
        st.sampled_from(["exact", "first-order"]),
    )(_prop_nonlinear_trains)
)
test_linear_any_config = settings(FAST, max_examples=15)(
    given(regression_sets(), linear_configs(valid=False))(_prop_linear_any)
)


# =========================================================================== invalid input

CSV_ALPHABET = st.sampled_from(list(',\n\r"0123456789.-+eE naifNAIFxy_\t;\x00é'))
csv_texts = st.one_of(
    st.text(CSV_ALPHABET, max_size=120),
    st.lists(
        st.lists(st.one_of(finite.map(repr), st.sampled_from(["", "nan", "inf", "1e999",
                                                             "abc", "y", "x", " 1 "])),
                 min_size=0, max_size=4),
        max_size=6,
    ).map(lambda rows: "\n".join(",".join(r) for r in rows)),
)  # fmt: skip


def _prop_csv(text: str) -> None:
    CASES["csv text"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        for kwargs in ({"target": "y"}, {"target": None, "require_target": False}):
            try:
                data = read_csv(path, min_rows=1, **kwargs)
            except SbmlcrnError as exc:
                assert str(exc).startswith(str(path)) and len(str(exc)) > len(str(path)) + 5
                continue
            assert np.all(np.isfinite(data.x)) and data.x.shape[1] == len(data.features) > 0
            if data.y is not None:
                assert data.y.shape == (len(data),)


test_csv_text_reads_or_raises_typed = settings(FAST, max_examples=60)(given(csv_texts)(_prop_csv))

bad_numbers = st.one_of(
    st.sampled_from([0, -1, -0.5, math.nan, math.inf, -math.inf, 10**300, 1e308, -1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**300), max_value=10**300),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
)
CONFIG_FIELDS = ["horizon", "lr", "epochs", "backward", "annihilation", "seed", "augmentation"]


def _prop_config(kind: str, field: str, value: object, circuit_data: Dataset) -> None:
    """Any value of any numeric field: the config refuses it (InputError with a message), or
    training then succeeds or fails typed — never another exception."""
    CASES["config values"] += 1
    cls = LinearConfig if kind == "linear" else NonlinearConfig
    try:
        config = cls(**{field: value})
    except SbmlcrnError as exc:
        assert str(exc)
        return
    except TypeError:
        # a non-number where a number belongs, from Python code: Python's own error is fine
        # for the API (the command line parses numbers itself)
        assume(False)
        return
    if kind == "linear" and config.epochs <= 3 and value is not None:
        try:
            run = train("linear-regression", circuit_data, config=config)
        except SbmlcrnError as exc:
            assert str(exc)
            return
        assert np.all(np.isfinite(list(run.parameters.values())))


@pytest.mark.xfail(
    reason="found by test_config_values_are_refused_typed: circuits/linear.py's _positive "
    "calls math.isfinite on an int beyond float range, which raises OverflowError",
    raises=OverflowError,
    strict=True,
)
def test_config_with_an_integer_beyond_float_range() -> None:
    with pytest.raises(InputError):
        LinearConfig(horizon=10**400)


_tiny = Dataset(("a", "b"), np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [-1.0, 0.0]]),
                np.array([1.0, 2.0, 0.5, -1.0]), "y", name="tiny")  # fmt: skip
config_cases = given(
    st.sampled_from(["linear", "nonlinear"]),
    st.sampled_from(CONFIG_FIELDS),
    bad_numbers,
    st.just(_tiny),
)
test_config_values_are_refused_typed = settings(FAST, max_examples=40)(config_cases(_prop_config))

_MODEL = (ROOT / "models" / "linear_classification.xml").read_bytes()


@st.composite
def xml_inputs(draw):
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return draw(st.text(st.sampled_from(list('<>/="&;!?[]- abcdsbmlENTITYDOCTYPE\n')),
                            max_size=200)).encode()  # fmt: skip
    buf = bytearray(_MODEL[:4000])
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(buf) - 1))
        buf[i : i + draw(st.integers(0, 30))] = draw(st.binary(max_size=8))
    return bytes(buf)


def _prop_xml(data: bytes) -> None:
    CASES["xml bytes"] += 1
    try:
        summary = check_xml_bytes(data, source="fuzz.xml")
    except InputError as exc:
        assert str(exc).startswith("fuzz.xml: ") and "\n" not in str(exc)
        return
    assert summary.elements >= 1 and summary.max_depth >= 1


test_xml_bytes_pass_or_refuse_typed = settings(FAST, max_examples=60)(
    given(xml_inputs())(_prop_xml)
)


# =========================================================================== command line

option_values = st.one_of(
    st.sampled_from(["0", "-1", "nan", "inf", "1e308", "-1e308", "abc", "", "1e-320", "0x10",
                     "1_000", "2", "0.5", "3", "1e3"]),
    finite.map(repr),
    st.integers(-5, 50).map(str),
)  # fmt: skip
TRAIN_OPTIONS = ["--epochs", "--lr", "--horizon", "--backward", "--seed", "--annihilation",
                 "--augmentation", "--target"]  # fmt: skip


def _run_main(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def _prop_cli_train(options: list[tuple[str, str]], circuit: str) -> None:
    CASES["cli train"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.csv"
        data.write_text("x1,x2,y\n1,2,1\n2,1,0\n3,0,1\n0,1,0\n-1,2,1\n", encoding="utf-8")
        argv = ["train", circuit, "--data", str(data), "--out", str(Path(tmp) / "run"), "--quiet"]
        for opt, value in options:
            argv += [opt, value] if not value.startswith("-") else [f"{opt}={value}"]
        if not any(opt == "--epochs" for opt, _ in options):
            argv += ["--epochs", "2"]
        epochs = [v for o, v in options if o == "--epochs"]
        assume(not epochs or not _float_ok(epochs[-1]) or float(epochs[-1]) <= 4)
        code, err = _run_main(argv)
        assert "Traceback" not in err
        if code == 0:
            assert (Path(tmp) / "run" / "result.json").is_file()
        else:
            lines = err.strip().splitlines()
            assert code in (1, 2) and len(lines) == 1 and lines[0].startswith("error: "), err
            assert not (Path(tmp) / "run").exists()
        leftovers = [p.name for p in Path(tmp).iterdir() if p.name.startswith(".")]
        assert leftovers == [], leftovers


def _float_ok(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


cli_train_cases = given(
    st.lists(st.tuples(st.sampled_from(TRAIN_OPTIONS), option_values), max_size=3),
    st.sampled_from(["linear-regression", "linear-classification", "linear-regresion"]),
)
test_cli_train_options = settings(FAST, max_examples=20)(cli_train_cases(_prop_cli_train))


def _prop_cli_validate(data: bytes) -> None:
    CASES["cli validate"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.xml"
        path.write_bytes(data)
        try:
            check_xml_bytes(data)
        except InputError:
            pass  # the lead wires this pre-check into validate_file; until then libSBML reads it
        else:
            code, err = _run_main(["validate", str(path), "--no-units"])
            assert "Traceback" not in err
            assert code in (0, 1, 2)
            if code == 2:
                assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err


test_cli_validate_fuzz = settings(FAST, max_examples=15)(given(xml_inputs())(_prop_cli_validate))
