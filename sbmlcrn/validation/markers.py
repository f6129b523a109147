"""How a model says it is an sbmlcrn model, and which rule sets validation runs on it.

sbmlcrn's SBML writer (:func:`sbmlcrn.io.sbml.to_sbml`) puts :data:`SBMLCRN_ANNOTATION` in the
``<annotation>`` of every ``<model>`` it writes: one element in sbmlcrn's own namespace
(:data:`SBMLCRN_NAMESPACE`), without a version number, so that the same network always gives the
same bytes. Models written before the annotation existed are recognised by the first paragraph of
their notes, which every network sbmlcrn builds carries (``sbmlcrn linear-regression training
network: …``, ``sbmlcrn nonlinear-classification inference network …``), so the run
directories written by older versions keep their full validation.

Two rule sets exist (:data:`RULE_SETS`): ``"sbml"``, libSBML's checks (read errors,
``checkConsistency()``, and the guards CRN901–CRN904), and ``"neural-crn"``, the Neural-CRN rules
(CRN001–CRN041, CRN900). :func:`select_rules` turns the ``rules`` option of
:func:`sbmlcrn.validation.validate` into the sets to run and the reason, which the report
states: by default libSBML's checks alone for a model that is not an sbmlcrn model (the
Neural-CRN rules describe a compiled Neural CRN, not models in general), both for an sbmlcrn
model.
"""

from __future__ import annotations

import re
from typing import Literal

import libsbml

__all__ = [
    "RULE_SETS",
    "SBMLCRN_ANNOTATION",
    "SBMLCRN_NAMESPACE",
    "Rules",
    "sbmlcrn_marker",
    "select_rules",
]

#: The XML namespace of sbmlcrn's model annotation (a name, never fetched).
SBMLCRN_NAMESPACE = "https://sbmlcrn.org/ns/1"

#: The ``<annotation>`` sbmlcrn writes on every ``<model>``: the model is an sbmlcrn model and
#: follows the Neural-CRN rules. Version-free, so output stays deterministic.
SBMLCRN_ANNOTATION = (
    f'<annotation><sbmlcrn:model xmlns:sbmlcrn="{SBMLCRN_NAMESPACE}" rules="neural-crn"/>'
    "</annotation>"
)

#: The rule sets, in the order their findings appear in a report.
RULE_SETS = ("sbml", "neural-crn")

#: The values of the ``rules`` option: one rule set, both (``"all"``), or None (automatic).
Rules = Literal["sbml", "neural-crn", "all"]

_NAMESPACE_PREFIX = "https://sbmlcrn.org/ns/"
_NOT_SBMLCRN = "not an sbmlcrn model: libSBML checks only; --rules all adds the Neural-CRN rules"
# The first words of the notes of every network sbmlcrn builds (see sbmlcrn.circuits).
_NOTES = re.compile(r">\s*sbmlcrn [a-z0-9-]+ (?:training|inference) network\b")


def sbmlcrn_marker(model: libsbml.Model) -> str | None:
    """How ``model`` says it is an sbmlcrn model: ``"annotation"`` (sbmlcrn's annotation),
    ``"notes"`` (the notes of a model written before the annotation existed), or None."""
    annotation = model.getAnnotation() if model.isSetAnnotation() else None
    if annotation is not None:
        for i in range(annotation.getNumChildren()):
            if annotation.getChild(i).getURI().startswith(_NAMESPACE_PREFIX):
                return "annotation"
    if model.isSetNotes() and _NOTES.search(model.getNotesString() or ""):
        return "notes"
    return None


def select_rules(rules: Rules | None, model: libsbml.Model) -> tuple[tuple[str, ...], str]:
    """The rule sets to run on ``model`` (in :data:`RULE_SETS` order) and why.

    Parameters
    ----------
    rules : {"sbml", "neural-crn", "all"} or None
        What was asked for; None: automatic (both for an sbmlcrn model, libSBML's checks alone
        for any other model).
    model : libsbml.Model
        The model to validate.

    Returns
    -------
    tuple
        ``(sets, reason)``: e.g. ``(("sbml",), "not an sbmlcrn model: libSBML checks only;
        --rules all adds the Neural-CRN rules")``.
    """
    if rules == "all":
        return RULE_SETS, "--rules all: libSBML checks and the Neural-CRN rules"
    if rules == "sbml":
        return ("sbml",), "--rules sbml: libSBML checks only"
    if rules == "neural-crn":
        return ("neural-crn",), "--rules neural-crn: the Neural-CRN rules only"
    marker = sbmlcrn_marker(model)
    if marker is None:
        return ("sbml",), _NOT_SBMLCRN
    said = (
        "as its annotation says"
        if marker == "annotation"
        else "as its notes say (written before sbmlcrn annotated its models)"
    )
    return RULE_SETS, (
        f"an sbmlcrn model, {said}: libSBML checks and the Neural-CRN rules; --rules sbml "
        "runs libSBML's checks alone"
    )
