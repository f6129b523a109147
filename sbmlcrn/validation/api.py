"""The entry points of validation: :func:`validate`, :func:`validate_file`,
:func:`validate_string`.

Each returns a :class:`~sbmlcrn.validation.report.ValidationReport`; see
:mod:`sbmlcrn.validation` for the checks and the codes of their findings.
"""

from __future__ import annotations

import os
from typing import Literal

import libsbml

from sbmlcrn.errors import InputError
from sbmlcrn.validation.libsbml_checks import (
    CHECK_TIMEOUT,
    _LibsbmlChecks,
    _sbml_message,
    _severity,
)
from sbmlcrn.validation.markers import Rules, select_rules
from sbmlcrn.validation.report import (
    ERROR,
    INFO,
    SKIPPED,
    UNUSABLE,
    WARNING,
    Finding,
    ValidationReport,
)
from sbmlcrn.validation.rules import _crn_findings
from sbmlcrn.validation.safexml import (
    NotSbmlError,
    XmlSummary,
    check_xml_bytes,
    read_xml_file,
)

__all__ = ["validate", "validate_file", "validate_string"]


Unusable = Literal["raise", "report"]


def validate(
    source: str | os.PathLike[str],
    *,
    max_molecularity: int = 2,
    units: bool = True,
    timeout: float | None = CHECK_TIMEOUT,
    unusable: Unusable = "raise",
    rules: Rules | None = None,
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
    timeout : float or None, optional
        Seconds libSBML's consistency checks may take (default
        :data:`~sbmlcrn.validation.libsbml_checks.CHECK_TIMEOUT`); then they are stopped and
        the error CRN903 says so. None: no limit.
    unusable : {"raise", "report"}, optional
        What input that holds no usable SBML model gives: an
        :class:`~sbmlcrn.errors.InputError` (default), or a report whose one finding, the error
        CRN910, says why (``report.usable`` is False) — for callers that validate many files.
        In report mode, well-formed XML that is not SBML (e.g. an OMEX ``manifest.xml``) gives
        a skipped report instead (``report.skipped``; its one finding is the info CRN911); in
        raise mode it raises :class:`~sbmlcrn.validation.safexml.NotSbmlError`.
    rules : {"sbml", "neural-crn", "all"} or None, optional
        The rule sets to run: libSBML's checks (``"sbml"``), the Neural-CRN rules
        (``"neural-crn"``) or both (``"all"``). None (default): automatic — both for a model
        that says it is an sbmlcrn model (the annotation sbmlcrn writes, or the notes of an
        older sbmlcrn model; see :mod:`~sbmlcrn.validation.markers`), libSBML's checks alone
        for any other model. ``report.rules`` and ``report.rules_note`` say what ran and why.

    Returns
    -------
    ValidationReport
        Every finding of the rule sets that ran; ``report.ok`` is True when none of them is an
        error. Its ``source`` is the path (``str(path)``) or ``"<string>"``.

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
    >>> report.rules, report.rules_note
    (('sbml',), 'not an sbmlcrn model: libSBML checks only; --rules all adds the Neural-CRN rules')
    >>> validate("model.xml").ok  # a file  # doctest: +SKIP
    True
    """
    options = {
        "max_molecularity": max_molecularity,
        "units": units,
        "timeout": timeout,
        "unusable": unusable,
        "rules": rules,
    }
    if isinstance(source, str):
        if source.lstrip()[:1] == "<":
            return validate_string(source, **options)  # type: ignore[arg-type]
        return validate_file(source, **options)  # type: ignore[arg-type]
    if isinstance(source, os.PathLike) and isinstance(os.fspath(source), str):
        return validate_file(source, **options)  # type: ignore[arg-type]
    raise InputError(
        "The source parameter of validate must be a path (str or os.PathLike) or SBML text "
        f"(a str starting with '<'). Got {type(source).__name__} instead."
    )


def validate_file(
    path: str | os.PathLike[str],
    *,
    max_molecularity: int = 2,
    units: bool = True,
    timeout: float | None = CHECK_TIMEOUT,
    unusable: Unusable = "raise",
    rules: Rules | None = None,
) -> ValidationReport:
    """Validate the SBML file at ``path``.

    The file is read once, pre-checked by :mod:`sbmlcrn.validation.safexml` (size, entity
    declarations, well-formedness, the math limits) and only then given to libSBML. External
    documents it names (``comp:externalModelDefinition`` sources) are never opened: the
    warning CRN904 names each.

    Parameters
    ----------
    path : str or os.PathLike
        An SBML file (UTF-8 XML, any Level and Version).
    max_molecularity, units, timeout, unusable, rules
        As for :func:`validate`.

    Returns
    -------
    ValidationReport
        Every finding; the report's ``source`` is ``str(path)``.

    Raises
    ------
    InputError
        If ``max_molecularity``, ``timeout``, ``unusable`` or ``rules`` is invalid; and (unless
        ``unusable="report"``) if the file is missing, a directory, a FIFO or device, unreadable,
        not UTF-8 text, over a limit of :mod:`~sbmlcrn.validation.safexml`, or holds no SBML
        model (not XML, truncated XML, another XML vocabulary, no ``<model>`` element). The
        message names the file and the kind of its content, never the content itself.
    """
    _check_options(max_molecularity, timeout, unusable, rules, "validate_file")
    source = os.fspath(path)
    try:
        data = read_xml_file(source)
        summary = check_xml_bytes(data, source=source)
        text = data.decode("utf-8-sig")  # the pre-check made sure it is UTF-8
        return _validate(text, summary, source, max_molecularity, units, timeout, rules)
    except InputError as exc:
        if unusable == "raise":
            raise
        return _unusable(source, exc)


def validate_string(
    text: str,
    *,
    source: str = "<string>",
    max_molecularity: int = 2,
    units: bool = True,
    timeout: float | None = CHECK_TIMEOUT,
    unusable: Unusable = "raise",
    rules: Rules | None = None,
) -> ValidationReport:
    """Validate SBML given as text.

    The text passes the same pre-check as a file (see :func:`validate_file`).

    Parameters
    ----------
    text : str
        The SBML document (XML).
    source : str, optional
        Name of the text used in the report and in error messages.
    max_molecularity, units, timeout, unusable, rules
        As for :func:`validate`.

    Returns
    -------
    ValidationReport
        Every finding of the rule sets that ran.

    Raises
    ------
    InputError
        If ``max_molecularity``, ``timeout``, ``unusable`` or ``rules`` is invalid, or (unless
        ``unusable="report"``) the text holds no usable SBML model.
    """
    _check_options(max_molecularity, timeout, unusable, rules, "validate_string")
    try:
        if "\x00" in text:
            raise InputError(f"{source}: contains NUL characters; not an XML document.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"{source}: not valid Unicode text ({exc.reason}).") from None
        summary = check_xml_bytes(text, source=source)
        return _validate(text, summary, source, max_molecularity, units, timeout, rules)
    except InputError as exc:
        if unusable == "raise":
            raise
        return _unusable(source, exc)


def _check_options(
    max_molecularity: object, timeout: object, unusable: object, rules: object, function: str
) -> None:
    if (
        isinstance(max_molecularity, bool)
        or not isinstance(max_molecularity, int)
        or max_molecularity < 0
    ):
        raise InputError(
            f"max_molecularity must be a non-negative integer, not {max_molecularity!r}."
        )
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        raise InputError(
            f"The timeout parameter of {function} must be a positive number of seconds or "
            f"None. Got {timeout!r} instead."
        )
    if unusable not in ("raise", "report"):
        raise InputError(
            f"The unusable parameter of {function} must be 'raise' or 'report'. "
            f"Got {unusable!r} instead."
        )
    if rules not in (None, "sbml", "neural-crn", "all"):
        raise InputError(
            f"The rules parameter of {function} must be 'sbml', 'neural-crn', 'all' or None. "
            f"Got {rules!r} instead."
        )


def _unusable(source: str, exc: InputError) -> ValidationReport:
    """The report of input that holds no usable SBML model: one error, CRN910; or, for XML that
    is not SBML, of skipped input: one info, CRN911."""
    message = str(exc)
    if message.startswith(f"{source}: "):
        message = message[len(source) + 2 :]
    message = message.rstrip(".")
    if isinstance(exc, NotSbmlError):
        finding = Finding(
            INFO, "input:skipped", SKIPPED, f"{message}; only SBML files are validated"
        )
    else:
        finding = Finding(ERROR, "input:unusable", UNUSABLE, message)
    return ValidationReport(source=source, findings=(finding,), stats={})


def _external(summary: XmlSummary) -> list[Finding]:
    """CRN904 for every external document the model names (none is ever opened)."""
    return [
        Finding(
            WARNING,
            "sbml:external-document",
            "CRN904",
            f"the externalModelDefinition '{ident}' names the external document '{uri}', which "
            "was not opened (sbmlcrn never opens external documents), so it is not checked",
            ident or None,
        )
        for ident, uri in summary.external_documents
    ]


def _validate(
    text: str,
    summary: XmlSummary,
    source: str,
    max_molecularity: int,
    units: bool,
    timeout: float | None,
    rules: Rules | None,
) -> ValidationReport:
    """The rule sets ``rules`` selects (libSBML's checks, the Neural-CRN rules) on pre-checked
    text."""
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
    ran, note = select_rules(rules, model)
    libsbml_checks = None
    if "sbml" in ran:
        libsbml_checks = _LibsbmlChecks(doc, units=units, timeout=timeout)  # child processes
    try:
        # run even without the Neural-CRN rule set: it gives the largest molecularity (stats)
        crn_findings, max_seen = _crn_findings(model, doc.getLevel(), max_molecularity)
    except BaseException:  # KeyboardInterrupt: do not leave the children running
        if libsbml_checks is not None:
            libsbml_checks.cancel()
        raise
    findings = []
    if libsbml_checks is not None:
        findings = [*libsbml_checks.result(), *_external(summary)]
    if "neural-crn" in ran:
        findings += crn_findings
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
    return ValidationReport(
        source=source, findings=tuple(findings), stats=stats, rules=ran, rules_note=note
    )
