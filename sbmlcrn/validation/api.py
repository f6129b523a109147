"""The entry points of validation: :func:`validate`, :func:`validate_file`,
:func:`validate_string`.

Each returns a :class:`~sbmlcrn.validation.report.ValidationReport`; see
:mod:`sbmlcrn.validation` for the checks and the codes of their findings.
"""

from __future__ import annotations

import os
from pathlib import Path

import libsbml

from sbmlcrn.errors import InputError
from sbmlcrn.validation.libsbml_checks import _LibsbmlChecks, _sbml_message, _severity
from sbmlcrn.validation.report import ERROR, ValidationReport
from sbmlcrn.validation.rules import _crn_findings
from sbmlcrn.validation.safexml import check_xml_file

__all__ = ["validate", "validate_file", "validate_string"]


def validate(
    source: str | os.PathLike[str], *, max_molecularity: int = 2, units: bool = True
) -> ValidationReport:
    """Validate an SBML model given as a file path or as SBML text.

    A ``str`` whose first non-blank character is ``<`` is SBML text and goes to
    :func:`validate_string`; any other ``str``, and any ``os.PathLike``, is the path of an SBML
    file and goes to :func:`validate_file`.

    Parameters
    ----------
    source : str or os.PathLike
        The path of an SBML file, or the SBML document itself (XML text).
    max_molecularity : int, optional
        Largest allowed sum of reactant stoichiometries of a reaction (default 2).
    units : bool, optional
        Run libSBML's unit-consistency checks (default True).

    Returns
    -------
    ValidationReport
        Every finding of libSBML and of the Neural-CRN rules; ``report.ok`` is True when none
        of them is an error. Its ``source`` is the path (``str(path)``) or ``"<string>"``.

    Raises
    ------
    InputError
        If ``source`` is neither a ``str`` nor a path, or is not a usable SBML model (see
        :func:`validate_file` and :func:`validate_string`).

    Examples
    --------
    >>> from sbmlcrn.validation import validate
    >>> report = validate(
    ...     '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
    ...     '<model id="empty"/></sbml>'
    ... )
    >>> report.ok, report.findings, report.source
    (True, (), '<string>')
    >>> validate("model.xml").ok  # a file  # doctest: +SKIP
    True
    """
    if isinstance(source, str):
        if source.lstrip()[:1] == "<":
            return validate_string(source, max_molecularity=max_molecularity, units=units)
        return validate_file(source, max_molecularity=max_molecularity, units=units)
    if isinstance(source, os.PathLike) and isinstance(os.fspath(source), str):
        return validate_file(source, max_molecularity=max_molecularity, units=units)
    raise InputError(
        "The source parameter of validate must be a path (str or os.PathLike) or SBML text "
        f"(a str starting with '<'). Got {type(source).__name__} instead."
    )


def validate_file(
    path: str | os.PathLike[str], *, max_molecularity: int = 2, units: bool = True
) -> ValidationReport:
    """Validate the SBML file at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        An SBML file (UTF-8 XML, any Level and Version).
    max_molecularity : int, optional
        Largest allowed sum of reactant stoichiometries of a reaction (default 2).
    units : bool, optional
        Run libSBML's unit-consistency checks (default True).

    Returns
    -------
    ValidationReport
        Every finding; the report's ``source`` is ``str(path)``.

    Raises
    ------
    InputError
        If the file is missing, a directory or unreadable, is not UTF-8 text, or holds no SBML
        model (not XML, truncated XML, another XML vocabulary, no ``<model>`` element).
    """
    source = os.fspath(path)
    p = Path(source)
    if p.is_dir():
        raise InputError(f"{source}: is a directory, not an SBML file.")
    # Size limit, DOCTYPE/entity declarations (billion laughs, external entities are never
    # resolved), not-XML and truncated files are refused before libSBML parses anything.
    check_xml_file(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file.") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file: {exc.strerror or exc}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (byte {exc.start}); SBML files are UTF-8 XML."
        ) from None
    return validate_string(text, source=source, max_molecularity=max_molecularity, units=units)


def validate_string(
    text: str, *, source: str = "<string>", max_molecularity: int = 2, units: bool = True
) -> ValidationReport:
    """Validate SBML given as text.

    Parameters
    ----------
    text : str
        The SBML document (XML).
    source : str, optional
        Name of the text used in the report and in error messages.
    max_molecularity : int, optional
        Largest allowed sum of reactant stoichiometries of a reaction (default 2).
    units : bool, optional
        Run libSBML's unit-consistency checks (default True).

    Returns
    -------
    ValidationReport
        Every finding of libSBML and of the Neural-CRN rules.

    Raises
    ------
    InputError
        If ``max_molecularity`` is not a non-negative integer, or the text holds no SBML model.
    """
    if (
        isinstance(max_molecularity, bool)
        or not isinstance(max_molecularity, int)
        or max_molecularity < 0
    ):
        raise InputError(
            f"max_molecularity must be a non-negative integer, not {max_molecularity!r}."
        )
    if "\x00" in text:
        raise InputError(f"{source}: contains NUL characters; not an XML document.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{source}: not valid Unicode text ({exc.reason}).") from None
    doc = libsbml.readSBMLFromString(text)
    if doc is None:  # pragma: no cover - libSBML returns a document even for garbage
        raise InputError(f"{source}: libSBML could not read the text.")
    read_errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    model = doc.getModel()
    fatal = [e for e in read_errors if e.getSeverity() == libsbml.LIBSBML_SEV_FATAL]
    if model is None or fatal:
        first = (fatal or [e for e in read_errors if _severity(e) == ERROR] or read_errors)[:1]
        reason = (
            f"{_sbml_message(first[0])} (line {first[0].getLine()})"
            if first
            else "the SBML document has no <model> element"
        )
        raise InputError(f"{source}: not a usable SBML model: {reason}.")
    libsbml_checks = _LibsbmlChecks(doc, units=units)  # in child processes where it can
    try:
        crn_findings, max_seen = _crn_findings(model, doc.getLevel(), max_molecularity)
    except BaseException:  # KeyboardInterrupt: do not leave the children running
        libsbml_checks.cancel()
        raise
    findings = libsbml_checks.result()
    stats: dict[str, int | str] = {
        "level": int(doc.getLevel()),
        "version": int(doc.getVersion()),
        "model": model.getId() or "",
        "compartments": int(model.getNumCompartments()),
        "species": int(model.getNumSpecies()),
        "parameters": int(model.getNumParameters()),
        "reactions": int(model.getNumReactions()),
        "rules": int(model.getNumRules()),
        "events": int(model.getNumEvents()),
        "max_molecularity": max_seen,
    }
    return ValidationReport(source=source, findings=(*findings, *crn_findings), stats=stats)
