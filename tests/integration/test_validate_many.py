"""``sbmlcrn validate a b c``: an unusable file gets a failing report; the others are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbmlcrn.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "models" / "linear_classification.xml"


def test_unusable_files_do_not_stop_the_reports_of_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "key.pem"
    secret.write_text("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n", encoding="utf-8")
    link = tmp_path / "model.xml"
    link.symlink_to(secret)
    unknown = tmp_path / "enc.xml"
    unknown.write_text('<?xml version="1.0" encoding="TF-8"?><sbml/>', encoding="utf-8")
    junit = tmp_path / "junit.xml"
    code = main(["validate", str(GOOD), str(link), str(unknown), "--junit", str(junit)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"{GOOD}: " in out  # the usable model was checked and reported
    assert "MIIEvQ" not in out + err and "PRIVATE KEY-----\n" not in out + err
    assert "encoding that is not known" in err
    text = junit.read_text(encoding="utf-8")
    assert text.count("<testcase") >= 3 and "input:unusable" in text


def test_one_unusable_file_alone_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "enc.xml"
    bad.write_text('<?xml version="1.0" encoding="TF-8"?><sbml/>', encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 1 and "Traceback" not in err
