"""Hostile input to ``sbmlcrn validate`` (issue 13, items 4, 8 and 10): huge or deep math,
external documents, special files, content that must never be echoed, signals.

Every case is bounded in time (``pytest.mark.timeout``) and asserts no traceback. The small
files are in ``data/hostile-sbml`` (see its README); the large ones are generated here.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbmlcrn.errors import InputError
from sbmlcrn.validation import junit_xml, libsbml_checks, safexml, validate_file, validate_string

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "hostile-sbml"
SECRET = "TOPSECRET"
LINUX = sys.platform.startswith("linux")

# file in data/hostile-sbml -> (exit status of `sbmlcrn validate`, pattern of its message)
CORPUS = {
    "deep-math.xml": (2, r"<kineticLaw> of <reaction id='R1'>.*MAX_MATH_DEPTH"),
    "wide-sum-1001.xml": (2, r"more than 1,000 operands.*MAX_MATH_OPERANDS"),
    "wide-piecewise-1001.xml": (2, r"more than 2,000 MathML elements.*MAX_KINETIC_LAW_NODES"),
    "math-without-namespace.xml": (2, r"more than 1,000 operands.*MAX_MATH_OPERANDS"),
    "comp-external-url.xml": (1, r"CRN904.*'http://example\.invalid/model\.xml'.*not opened"),
    "model.xml.gz": (2, r"is gzip-compressed, not XML; decompress it first"),
    "archive.omex": (2, r"is a zip archive"),
    "pem-key.xml": (2, r"is not XML \(it is PEM-encoded data"),
    "plain-secret.xml": (2, r"is not XML \(its text does not start with '<'\)"),
    "json.xml": (2, r"is not XML \(it looks like JSON\)"),
}

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">\n'
)


def model(law: str, reactions: int = 1) -> str:
    """A one-species model whose ``reactions`` reactions all have the kinetic law ``law``."""
    reaction = (
        '<reaction id="R{i}" reversible="false"><listOfReactants><speciesReference species="A" '
        'stoichiometry="1" constant="true"/></listOfReactants><kineticLaw>'
        f'<math xmlns="http://www.w3.org/1998/Math/MathML">{law}</math></kineticLaw></reaction>\n'
    )
    return (
        HEAD + '<model id="m"><listOfCompartments><compartment id="C" size="1" constant="true"/>'
        '</listOfCompartments><listOfSpecies><species id="A" compartment="C" '
        'initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" '
        'constant="false"/></listOfSpecies>\n<listOfReactions>\n'
        + "".join(reaction.format(i=i + 1) for i in range(reactions))
        + "</listOfReactions></model></sbml>\n"
    )


def flat_sum(terms: int, reactions: int = 1) -> str:
    return model("<apply><plus/>" + "<ci>A</ci>" * terms + "</apply>", reactions)


def comp_model(source: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" '
        'xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" level="3" '
        'version="1" comp:required="true"><model id="m"><comp:listOfSubmodels>'
        '<comp:submodel comp:id="sub" comp:modelRef="ext"/></comp:listOfSubmodels></model>'
        '<comp:listOfExternalModelDefinitions><comp:externalModelDefinition comp:id="ext" '
        f'comp:source="{source}" comp:modelRef="inner"/></comp:listOfExternalModelDefinitions>'
        "</sbml>\n"
    )


def cli(*args: str | Path, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """``sbmlcrn validate ARGS`` in a fresh process: its result and its wall time."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "sbmlcrn", "validate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stderr
    return done, time.monotonic() - start


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.update(int(p) for p in text.split())
    return {p for p in found if _alive(p)}


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


# --- the corpus ---------------------------------------------------------------------------------


def test_corpus_table_lists_every_file() -> None:
    assert {p.name for p in CORPUS_DIR.iterdir()} - {"README.md"} == set(CORPUS)


@pytest.mark.timeout(120)
def test_corpus_through_the_command_line() -> None:
    """Each file in a run of its own: exit 1 (a report) or 2 (one error line), never content."""
    for name in sorted(CORPUS):
        status, pattern = CORPUS[name]
        done, seconds = cli(CORPUS_DIR / name)
        assert done.returncode == status, (name, done.stdout, done.stderr)
        assert seconds < 30
        output = done.stdout + done.stderr
        assert SECRET not in output
        if status == 2:
            assert done.stderr.startswith(f"error: {CORPUS_DIR / name}: ")
        assert re.search(pattern, output.replace("\n", " ")), (name, output)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_in_report_mode(name: str) -> None:
    status, pattern = CORPUS[name]
    report = validate_file(CORPUS_DIR / name, unusable="report")
    text = report.format_text()
    assert (
        SECRET not in text and SECRET not in report.to_json() and SECRET not in junit_xml([report])
    )
    assert report.usable == (status != 2) and not report.ok
    if status == 2:
        assert [f.code for f in report.findings] == ["CRN910"]
        assert text.startswith(f"{CORPUS_DIR / name}: not a usable SBML file\n")
        with pytest.raises(InputError, match=pattern):
            validate_file(CORPUS_DIR / name)


# --- math size and depth ------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_flat_sum_of_150000_terms_is_refused_before_libsbml(tmp_path: Path) -> None:
    """Was: a segmentation fault of the caller in libSBML's formulaToL3String."""
    path = tmp_path / "sum150k.xml"
    path.write_text(flat_sum(150_000), encoding="utf-8")
    assert path.stat().st_size > 1_400_000
    done, seconds = cli(path)
    assert done.returncode == 2 and seconds < 30
    assert "<kineticLaw> of <reaction id='R1'>" in done.stderr
    assert "more than 1,000 operands" in done.stderr and "MAX_MATH_OPERANDS" in done.stderr
    start = time.monotonic()
    with pytest.raises(InputError, match="MAX_MATH_OPERANDS"):
        validate_string(path.read_text(encoding="utf-8"))  # text gets the same pre-check
    assert time.monotonic() - start < 10


@pytest.mark.timeout(60)
def test_flat_sum_of_5000_terms_is_done_within_ten_seconds(tmp_path: Path) -> None:
    """Was: 73 s (libSBML's unit checks are quadratic in the operands)."""
    path = tmp_path / "sum5k.xml"
    path.write_text(flat_sum(5000), encoding="utf-8")
    done, _ = cli(path)  # refused before libSBML; the time is measured in the closing note
    assert done.returncode == 2, done.stderr
    assert "MAX_MATH_OPERANDS" in done.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the time limit needs os.fork")
@pytest.mark.timeout(60)
def test_checks_that_outlast_their_time_limit_are_stopped_and_reported() -> None:
    """A sum of 1,000 terms (at the limit) keeps libSBML's unit checks busy for about 16 s."""
    before = children(os.getpid()) if LINUX else set()
    start = time.monotonic()
    report = validate_string(flat_sum(1000), timeout=1.0)
    assert time.monotonic() - start < 8
    timed_out = [f for f in report.findings if f.code == "CRN903"]
    assert len(timed_out) == 1 and timed_out[0].severity == "error" and not report.ok
    assert "units-consistency" in timed_out[0].message
    assert re.search(r"timed out after \d+ s and were stopped", timed_out[0].message)
    if LINUX:
        assert children(os.getpid()) == before  # killed and reaped
    assert validate_string(flat_sum(1000), units=False, timeout=None).usable


@pytest.mark.parametrize(
    ("limit", "value", "pattern"),
    [
        ("MAX_MATH_NODES", 50, r"<kineticLaw> of <reaction id='R1'>.*more than 50 MathML"),
        ("MAX_MATH_NODES_TOTAL", 100, r"more than 100 MathML elements in all"),
        ("MAX_MATH_DEPTH", 10, r"math nested more than 10 levels deep.*MAX_MATH_DEPTH"),
    ],
)
def test_math_limits_name_the_element_and_the_limit(
    monkeypatch: pytest.MonkeyPatch, limit: str, value: int, pattern: str
) -> None:
    monkeypatch.setattr(safexml, limit, value)
    law = "<apply><times/>" + "<apply><minus/>" * 12 + "<ci>A</ci>" + "</apply>" * 12
    law += "<ci>A</ci>" * 30 + "</apply>"
    with pytest.raises(InputError, match=pattern):
        validate_string(model(law, reactions=3))


def test_our_models_are_within_the_math_limits() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "models").glob("*.xml")):
        summary = safexml.check_xml_file(path)
        assert 0 < summary.math_nodes < safexml.MAX_MATH_NODES_TOTAL


# --- external documents, special files ----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.timeout(60)
def test_comp_source_that_is_a_fifo_is_never_opened(tmp_path: Path) -> None:
    """Was: a hang for ever (libSBML's comp validator opened the FIFO)."""
    fifo = tmp_path / "inner.xml"
    os.mkfifo(fifo)
    for source in (str(fifo), fifo.as_uri(), "inner.xml"):
        path = tmp_path / "outer.xml"
        path.write_text(comp_model(source), encoding="utf-8")
        report = validate_file(path)
        external = [f for f in report.findings if f.code == "CRN904"]
        assert len(external) == 1 and external[0].severity == "warning"
        assert f"'{source}'" in external[0].message and "not opened" in external[0].message
        assert external[0].location == "ext"
    with pytest.raises(OSError):  # nobody holds the FIFO open for reading
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    done, seconds = cli(tmp_path / "outer.xml")
    assert done.returncode == 1 and "CRN904" in done.stdout and seconds < 30


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.timeout(60)
def test_model_path_that_is_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "model.xml"
    os.mkfifo(fifo)
    for path in (fifo, Path(os.devnull)):
        with pytest.raises(InputError, match=r"is not a regular file"):
            validate_file(path)
    link = tmp_path / "link.xml"
    link.symlink_to(fifo)
    with pytest.raises(InputError, match=r"link\.xml: is not a regular file"):
        validate_file(link)


def test_symbolic_link_loop_and_missing_parent_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.xml").symlink_to(tmp_path / "b.xml")
    (tmp_path / "b.xml").symlink_to(tmp_path / "a.xml")
    with pytest.raises(InputError, match=r"a\.xml: is a loop of symbolic links"):
        validate_file(tmp_path / "a.xml")
    with pytest.raises(InputError, match=r"no such file"):
        validate_file(tmp_path / "missing" / "m.xml")


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "content",
    [
        b"-----BEGIN RSA PRIVATE KEY-----\nTOPSECRET0123456789abcdef\n",
        b"TOPSECRET: api key 0123456789\n",
        b"  TOPSECRET <not xml>",
        b"\x89PNG\r\n\x1a\nTOPSECRET",
        b"TOPSECRET\x00\x01\x02",
        "TOPSECRET é".encode("latin-1"),
        b"<TOPSECRET_token>TOPSECRET</TOPSECRET_token>",
        b"<?xml version='1.0'?><TOPSECRET",
    ],
)
def test_symlink_to_a_private_file_never_prints_its_content(tmp_path: Path, content: bytes) -> None:
    """Was: the first 30 characters of the file in the message."""
    secret = tmp_path / "private"
    secret.write_bytes(content)
    link = tmp_path / "model.xml"
    link.symlink_to(secret)
    with pytest.raises(InputError) as info:
        validate_file(link)
    assert SECRET not in str(info.value) and str(info.value).startswith(f"{link}: ")
    report = validate_file(link, unusable="report")
    assert SECRET not in report.format_text() + report.to_json() + junit_xml([report])


PREFIXES = [b"", b"<", b"<?xml version='1.0'?>", b"\x1f\x8b", b"PK\x03\x04", b"{", b"\xef\xbb\xbf"]


@pytest.mark.timeout(120)
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.lists(
        st.sampled_from([b"TOPSECRET", b"<", b">", b"/", b"\x00", b"\xff", b" ", b"a=", b'"'])
        | st.binary(max_size=8),
        max_size=12,
    ),
)
def test_no_input_that_is_not_sbml_is_ever_quoted(
    tmp_path: Path, prefix: bytes, body: list[bytes]
) -> None:
    data = prefix + b"".join(body)
    path = tmp_path / "m.xml"
    path.write_bytes(data)
    report = validate_file(path, unusable="report", units=False)
    if not report.usable:
        message = report.findings[0].message
        assert "\n" not in message
        if b"sbml" not in data:  # an SBML document's own names may appear in findings
            assert SECRET not in message


def test_gzip_is_named_not_called_nul_bytes(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "model.xml.gz"
    path.write_bytes(gzip.compress(flat_sum(3).encode()))
    with pytest.raises(InputError, match=r"model\.xml\.gz: is gzip-compressed, not XML"):
        validate_file(path)


# --- many files: one unusable file does not stop the reports of the others ---------------------


def test_report_mode_gives_every_file_a_report(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text(model("<apply><times/><ci>A</ci></apply>"), encoding="utf-8")
    missing = tmp_path / "missing.xml"
    gz = CORPUS_DIR / "model.xml.gz"
    reports = [validate_file(p, unusable="report") for p in (good, missing, gz)]
    assert [r.usable for r in reports] == [True, False, False]
    assert reports[1].findings[0].message == "no such file"
    assert reports[1].findings[0].category == "input:unusable"
    assert reports[1].stats == {} and reports[1].to_dict()["ok"] is False
    suites = junit_xml(reports)
    assert suites.count("<testsuite ") == 3 and 'name="input:unusable"' in suites
    assert reports[0] == validate_file(good)
    with pytest.raises(InputError, match=r"unusable parameter of validate_file"):
        validate_file(good, unusable="ignore")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"timeout parameter of validate_string"):
        validate_string("<sbml/>", timeout=0)


# --- signals: no orphan child holds the caller's output -----------------------------------------


@contextlib.contextmanager
def slow_validation(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``sbmlcrn validate`` busy in its two check children (3 sums of 1,000 terms: libSBML's
    unit checks take about a minute), in a session of its own."""
    path = tmp_path / "slow.xml"
    path.write_text(flat_sum(1000, reactions=3), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sbmlcrn", "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not children(proc.pid) and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.05)
        time.sleep(1.0)  # the identifier and general checks end soon; the unit checks do not
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


@pytest.mark.skipif(not LINUX, reason="reads /proc")
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("sig", "group"),
    [
        (signal.SIGINT, True),
        (signal.SIGINT, False),
        (signal.SIGTERM, False),
        (signal.SIGKILL, False),
    ],
    ids=["ctrl-c", "sigint", "sigterm", "kill-9"],
)
def test_signals_leave_no_child_holding_the_output(tmp_path: Path, sig: int, group: bool) -> None:
    """Was: after Ctrl-C (or kill) an orphan check process kept the caller's stdout open."""
    with slow_validation(tmp_path) as proc:
        workers = children(proc.pid)
        assert workers
        start = time.monotonic()
        if group:  # what a terminal's Ctrl-C does
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        _out, err = proc.communicate(timeout=30)  # end of stdout and stderr: nobody holds them
        assert time.monotonic() - start < 15
        assert b"Traceback" not in err
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in workers)
        if sig == signal.SIGINT:
            assert proc.returncode == 130


def test_default_time_limit_is_bounded() -> None:
    assert 0 < libsbml_checks.CHECK_TIMEOUT <= 600


@pytest.mark.timeout(60)
def test_nested_sums_of_5000_terms_are_refused_before_libsbml(tmp_path: Path) -> None:
    # every operator within MAX_MATH_OPERANDS, 5,005 operands in all (the verifier's variant)
    inner = "<apply><plus/>" + "<ci>A</ci>" * 1000 + "</apply>"
    path = tmp_path / "nested.xml"
    path.write_text(model("<apply><plus/>" + inner * 5 + "</apply>"), encoding="utf-8")
    proc, _ = cli(path)
    assert proc.returncode == 2
    assert "MAX_KINETIC_LAW_NODES" in proc.stderr and "Traceback" not in proc.stderr
