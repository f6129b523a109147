"""Validation of SBML files: libSBML's consistency checks plus the Neural-CRN rules.

Validation is a value: :func:`validate` (a path or SBML text), :func:`validate_file` and
:func:`validate_string` return a :class:`ValidationReport` holding every :class:`Finding`
(``report.ok`` is True when none is an error); nothing is logged or printed. Any SBML
model is accepted (every Level and Version libSBML reads); only input that holds no SBML model at
all raises :class:`~sbmlcrn.errors.InputError` — or, with ``unusable="report"``, gives a report
whose one finding (CRN910) says why (``report.usable`` is False), so that one unusable file among
many does not stop the reports of the others; in that mode, well-formed XML of another vocabulary
(an OMEX ``manifest.xml``) gives a skipped report instead (``report.skipped``, the info CRN911).

Before libSBML sees anything, :mod:`~sbmlcrn.validation.safexml` reads the file once (regular
files only, never a FIFO or device) and refuses what is not SBML, naming its kind but never
quoting its content, entity declarations, and math beyond the limits libSBML survives in bounded
time (operands per operator, nesting, elements per ``<math>`` and in all). External documents
(``comp:externalModelDefinition`` sources) are never opened: CRN904 names each.

Two rule sets exist, and ``rules=`` (``--rules``) picks them: ``"sbml"``, ``"neural-crn"`` or
``"all"``. By default (None) a model that says it is an sbmlcrn model — the ``<annotation>``
sbmlcrn's writer puts on every model, or, for models written before it, the notes every sbmlcrn
network carries (:mod:`~sbmlcrn.validation.markers`) — gets both; any other model libSBML's
checks alone, since the Neural-CRN rules describe a compiled Neural CRN, not SBML models in
general. ``report.rules`` and ``report.rules_note`` say which ran and why.

``sbml:*``
    The document's read errors and ``SBMLDocument.checkConsistency()`` with all categories on
    (units consistency only if ``units=True``). libSBML's own rule applies: once the log holds
    errors (read errors included), the later categories are skipped, so fix errors first.
    Where the platform has ``fork``, the checks run in two child processes at once while the
    Neural-CRN rules run, and give exactly the findings of one checkConsistency() call (see
    :func:`~sbmlcrn.validation.libsbml_checks._consistency`); with two free CPUs a large model
    takes about half as long. libSBML's validators can crash on malformed math; see
    :class:`~sbmlcrn.validation.libsbml_checks._LibsbmlChecks` for the guards (CRN901,
    CRN902), which keep such a crash from ending the caller's process. The checks are stopped
    after ``timeout`` seconds (CRN903); the child processes die with their parent and hold
    none of its files (:mod:`~sbmlcrn.validation.child`).
``crn:*``
    The form of a compiled Neural CRN: irreversible reactions with mass-action kinetic laws
    (``C * k * g * A * B^2``), bounded molecularity, species that change by reactions only,
    time-triggered events that assign values independent of species, complete dual-rail pairs
    ``<base>_p`` / ``<base>_m`` that events load together, and (as information only) the
    convention of concentrations in a compartment of size 1.

Codes of the Neural-CRN findings (stable; severity in brackets)::

    CRN001 [error]   reaction without a kinetic law (or a law without math)    crn:mass-action
    CRN002 [error]   reaction not declared reversible="false"                  crn:irreversible
    CRN003 [error]   kinetic law is not mass action                            crn:mass-action
    CRN004 [error]   molecularity above the limit                              crn:molecularity
    CRN005 [error]   reactant stoichiometry not a constant positive integer    crn:molecularity
    CRN006 [error]   reaction declared fast="true" (SBML Level 2, L3V1)        crn:mass-action
    CRN010 [error]   event assigns a value computed from species               crn:event-assignment
    CRN011 [error]   event trigger depends on species                          crn:trigger
    CRN012 [warning] event trigger does not reference time                     crn:trigger
    CRN013 [warning] event has a delay                                         crn:trigger
    CRN014 [warning] event has no trigger                                      crn:trigger
    CRN020 [error]   rate or assignment rule on a species                      crn:rules
    CRN021 [error]   algebraic rule                                            crn:rules
    CRN030 [warning] dual-rail species without its other rail                  crn:dual-rail
    CRN031 [error]   event assigns one rail of a pair but not the other        crn:dual-rail
    CRN040 [info]    species with hasOnlySubstanceUnits="true"                 crn:conventions
    CRN041 [info]    compartment whose size is not 1                           crn:conventions
    CRN900 [error]   a Neural-CRN check failed on this model (a bug)           crn:internal
    CRN901 [warning] libSBML checks skipped: malformed math would crash them   sbml:checks-skipped
    CRN902 [error]   libSBML crashed while checking consistency                sbml:checks-skipped
    CRN903 [error]   libSBML's checks outlasted their time limit (stopped)     sbml:checks-skipped
    CRN904 [warning] the model names an external document, not opened         sbml:external-document
    CRN910 [error]   the input holds no usable SBML model (report mode)        input:unusable
    CRN911 [info]    XML but not SBML: skipped, not validated (report mode)    input:skipped

libSBML findings carry the code ``SBML-<errorId>`` and the category ``sbml:<name>``, e.g.
``sbml:units-consistency``.

A parameter (or compartment) set by an assignment or rate rule whose math refers to species,
directly or through other rules, counts as "computed from species": it may appear neither in a
kinetic law nor in an event's trigger or assignments. Reaction ids used as symbols (their rates)
count the same way.

Modules: :mod:`~sbmlcrn.validation.api` (the entry points), :mod:`~sbmlcrn.validation.report`
(findings and reports), :mod:`~sbmlcrn.validation.markers` (sbmlcrn's model annotation and the
choice of rule sets), :mod:`~sbmlcrn.validation.libsbml_checks` (libSBML's checks and their
child processes), :mod:`~sbmlcrn.validation.rules` (the Neural-CRN rules),
:mod:`~sbmlcrn.validation.elements` (walking a libSBML model),
:mod:`~sbmlcrn.validation.safexml` (safety pre-checks of XML input) and
:mod:`~sbmlcrn.validation.child` (the child processes of the libSBML checks).
"""

from __future__ import annotations

from sbmlcrn.validation.api import validate, validate_file, validate_string
from sbmlcrn.validation.report import (
    ERROR,
    INFO,
    SKIPPED,
    UNUSABLE,
    WARNING,
    Finding,
    ValidationReport,
    junit_xml,
)

__all__ = [
    "ERROR",
    "INFO",
    "SKIPPED",
    "UNUSABLE",
    "WARNING",
    "Finding",
    "ValidationReport",
    "junit_xml",
    "validate",
    "validate_file",
    "validate_string",
]
