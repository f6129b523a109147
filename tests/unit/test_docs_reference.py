"""The documentation's references cover the code: every CLI subcommand and option appears in
the generated CLI reference, every public name in the API reference; the site builds."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import sbmlcrn
import sbmlcrn.errors
from sbmlcrn.cli import _COMMANDS, _build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cli_reference = _load(DOCS / "_ext" / "cli_reference.py", "sbmlcrn_docs_cli_reference")
build_docs = _load(ROOT / "scripts" / "build_docs.py", "sbmlcrn_docs_build_docs")


def _parsers() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    parser = _build_parser()
    found = [((), parser)]
    found += [(words, sub) for words, sub, _ in cli_reference.walk_commands(parser)]
    return found


def test_every_subcommand_and_option_is_in_the_cli_reference() -> None:
    text = cli_reference.cli_reference()
    parsers = _parsers()
    assert {words for words, _ in parsers} == {(), *((name,) for name in _COMMANDS)}
    for words, parser in parsers:
        assert f"## `{' '.join(('sbmlcrn', *words))}`" in text, words
        for action in parser._actions:
            for option in action.option_strings:
                assert f"`{option}" in text, (words, option)
            for choice in action.choices or ():
                assert str(choice) in text, (words, choice)
    assert text.count("--ssa-seed") >= 2  # usage and the option's own line


def test_the_cli_page_has_its_marker() -> None:
    assert cli_reference.MARKER in (DOCS / f"{cli_reference.DOCNAME}.md").read_text("utf-8")


def test_every_public_name_is_in_the_api_reference() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in sbmlcrn.__all__:
        assert f"sbmlcrn.{name}\n" in text, name
    assert ":members:" in text.split("sbmlcrn.TrainingRun", 1)[1].split("```", 1)[0]
    errors = [
        value
        for value in vars(sbmlcrn.errors).values()
        if isinstance(value, type) and issubclass(value, sbmlcrn.SbmlcrnError)
    ]
    assert len(errors) >= 7
    for error in errors:
        assert f".. autoexception:: sbmlcrn.{error.__name__}\n" in text, error


def test_every_page_is_in_a_toctree() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    assert {page for page in pages if f"\n{page}\n" not in index} == set()


def test_the_tutorials_page_lists_the_tutorials() -> None:
    index = (DOCS / "tutorials" / "index.md").read_text(encoding="utf-8")
    listed = index.split(":maxdepth: 1\n\n", 1)[1].split("```", 1)[0].split()
    assert listed == [
        "linear-tellurium",
        "xor-hidden-units",
        "copasi-omex",
        "validate-ci",
        "dask-sweeps",
        "stochastic-robustness",
    ]
    written = {p.stem for p in (DOCS / "tutorials").glob("*.md")} - {"index"}
    assert written <= set(listed)


def test_build_docs_refuses_files_and_foreign_directories(tmp_path: Path) -> None:
    file = tmp_path / "site"
    file.write_text("keep me")
    assert build_docs.main([str(file)]) == 2
    assert file.read_text() == "keep me"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert build_docs.main([str(foreign)]) == 2
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert build_docs.main([str(tmp_path / "missing" / "site")]) == 2


def test_build_docs_replaces_only_its_own_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = {"code": 0, "page": "first"}

    def fake_sphinx(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        html = Path(command[-1])
        html.mkdir(parents=True)
        (html / "index.html").write_text(status["page"])
        return subprocess.CompletedProcess(command, status["code"])

    monkeypatch.setattr(build_docs, "check_tools", lambda: None)
    monkeypatch.setattr(build_docs.subprocess, "run", fake_sphinx)
    out = tmp_path / "site"
    assert build_docs.main([str(out)]) == 0
    assert (out / build_docs.MARKER).is_file()
    status["page"] = "second"
    assert build_docs.main([str(out)]) == 0  # a site it built may be replaced
    assert (out / "index.html").read_text() == "second"
    status.update(code=1, page="broken")
    assert build_docs.main([str(out)]) == 1  # a failed build leaves the old site
    assert (out / "index.html").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary directory left
    empty = tmp_path / "empty"
    empty.mkdir()
    status.update(code=0, page="third")
    assert build_docs.main([str(empty)]) == 0
    assert (empty / "index.html").read_text() == "third"


@pytest.mark.slow
def test_the_site_builds(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_docs.py"), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (out / "index.html").is_file()
    assert (out / "cli.html").is_file() and (out / "api.html").is_file()
    assert "--ssa-seed" in (out / "cli.html").read_text(encoding="utf-8")
    tutorials = {p.stem for p in (out / "tutorials").glob("*.html")}
    assert len(tutorials - {"index"}) == 6
