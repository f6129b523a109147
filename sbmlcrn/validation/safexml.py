"""Safety pre-checks for SBML (XML) input, run before libSBML or RoadRunner see a file.

libSBML and RoadRunner are C++ parsers given whatever a user or a CI pipeline feeds them. This
module reads the bytes once with Python's expat parser, configured to resolve nothing, and
refuses with :class:`~sbmlcrn.errors.InputError` (exit status 2 on the command line):

- a file larger than :data:`MAX_SBML_BYTES` (64 MiB; checked with ``stat`` before reading,
  and at most that many bytes are ever read), so time and memory stay bounded;
- an empty file, NUL bytes, text that is not UTF-8, text that is not XML at all;
- any ``<!DOCTYPE …>`` — SBML needs no document type declaration, and it is where entity
  declarations live: an entity bomb ("billion laughs") or an external entity
  (``SYSTEM "file:///etc/passwd"``) is refused before a single entity is declared, let alone
  expanded or fetched;
- XML that is not well-formed, including a truncated file (expat's message, line and column);
- elements nested deeper than :data:`MAX_XML_DEPTH` (recursive C++ code downstream);
- a root element other than ``<sbml>``.

It also reports what RoadRunner cannot simulate (:func:`check_simulatable`): algebraic rules
and ``delay()`` in mathematics. SBML Level 1 is noted but accepted (libSBML converts it).

Decision: a refusal instead of a "safe" parse with entities disabled. SBML files never need a
DTD, so a file with one is either hand-made or hostile, and the only way to guarantee that no
downstream parser expands or fetches an entity is that no entity reaches it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from sbmlcrn.errors import InputError

__all__ = [
    "MAX_SBML_BYTES",
    "MAX_XML_DEPTH",
    "XmlSummary",
    "check_simulatable",
    "check_xml_bytes",
    "check_xml_file",
]

#: Largest SBML file accepted (64 MiB). sbmlcrn's own largest training model (30,000 data
#: values, see :data:`sbmlcrn.training.pipeline.MAX_DATA_VALUES`) is about 50 MB; libSBML needs
#: roughly
#: 20x the file size in memory to hold a document.
MAX_SBML_BYTES = 64 * 1024 * 1024

#: Deepest element nesting accepted. sbmlcrn's models nest 20–50 levels (balanced lookup
#: trees of depth log2(samples)); a file nested 100,000 levels deep is an attack on recursive
#: parsers, not a model.
MAX_XML_DEPTH = 1000

_DELAY_URL = "http://www.sbml.org/sbml/symbols/delay"


@dataclass(frozen=True)
class XmlSummary:
    """What the pre-check saw: the SBML level and version and the constructs that matter to
    simulators."""

    level: int | None
    version: int | None
    elements: int
    max_depth: int
    algebraic_rules: int = 0
    delay_functions: int = 0
    event_delays: int = 0
    notes: tuple[str, ...] = field(default=())


class _Refused(Exception):
    """Raised from expat handlers to stop the parse at once."""


def _human(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def check_xml_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_SBML_BYTES) -> XmlSummary:
    """Pre-check the SBML file at ``path`` (see the module docstring).

    Returns
    -------
    XmlSummary
        The level, version and simulator-relevant constructs of a file that passed.

    Raises
    ------
    InputError
        Naming the file and the reason, for every refusal listed in the module docstring and
        for a missing, unreadable or special file (a directory, FIFO or device).
    """
    source = os.fspath(path)
    p = Path(source)
    try:
        if p.is_dir():
            raise InputError(f"{source}: is a directory, not an SBML file.")
        if not p.exists():
            raise InputError(f"{source}: no such file.")
        if not p.is_file():
            raise InputError(f"{source}: is not a regular file (a device, FIFO or socket).")
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(_too_large(source, size, max_bytes))
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # never more, even if the file grows meanwhile
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file: {exc.strerror or exc}.") from None
    return check_xml_bytes(data, source=source, max_bytes=max_bytes)


def _too_large(source: str, size: int, limit: int) -> str:
    return (
        f"{source}: is {_human(size)}; SBML input is limited to {_human(limit)} "
        "(sbmlcrn.validation.safexml.MAX_SBML_BYTES) to bound the memory and time of parsing it."
    )


def check_xml_bytes(
    data: bytes | str, *, source: str = "<string>", max_bytes: int = MAX_SBML_BYTES
) -> XmlSummary:
    """Pre-check an SBML document given as bytes or text (see :func:`check_xml_file`)."""
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise InputError(_too_large(source, len(raw), max_bytes))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise InputError(f"{source}: is empty; an SBML file is an XML document.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{source}: is UTF-16 text; SBML files must be UTF-8 XML.")
    if b"\x00" in raw:
        raise InputError(f"{source}: contains NUL bytes; not an XML text file.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (byte {exc.start}); SBML files are UTF-8 XML."
        ) from None
    first = raw.lstrip()[:1]
    if first != b"<":
        head = raw.lstrip()[:30].decode("utf-8", errors="replace")
        raise InputError(f"{source}: is not XML (it starts with {head!r}, not '<').")
    return _parse(raw, source)


def _parse(raw: bytes, source: str) -> XmlSummary:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = {"depth": 0, "max_depth": 0, "elements": 0, "alg": 0, "delayf": 0, "delaye": 0}
    root: dict[str, str] = {}
    stack: list[str] = []

    def refuse_doctype(name, sysid, pubid, has_internal_subset):
        raise _Refused(
            "has a <!DOCTYPE> declaration; SBML needs none, and document type declarations "
            "(where entity bombs and external entities live) are refused"
        )

    def refuse_entity(name, *args):
        raise _Refused(
            f"declares the entity {name!r}; entity declarations are refused (entity bombs, "
            "external files)"
        )

    def refuse_external(context, base, sysid, pubid):
        raise _Refused(f"refers to the external entity {sysid or pubid!r}; it is not resolved")

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        state["elements"] += 1
        state["depth"] += 1
        if state["depth"] > state["max_depth"]:
            state["max_depth"] = state["depth"]
            if state["depth"] > MAX_XML_DEPTH:
                raise _Refused(
                    f"nests elements more than {MAX_XML_DEPTH} levels deep "
                    f"(line {parser.CurrentLineNumber}); not an SBML model"
                )
        if state["elements"] == 1:
            if local != "sbml":
                raise _Refused(f"is XML but not SBML (the root element is <{local}>, not <sbml>)")
            root.update(attrs)
        if local == "algebraicRule":
            state["alg"] += 1
        elif local == "csymbol" and attrs.get("definitionURL", "").strip() == _DELAY_URL:
            state["delayf"] += 1
        elif local == "delay" and stack and stack[-1] == "event":
            state["delaye"] += 1
        stack.append(local)

    def end(name: str) -> None:
        state["depth"] -= 1
        stack.pop()

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(raw, True)
    except _Refused as exc:
        raise InputError(f"{source}: {exc}.") from None
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
        at_end = parser.ErrorByteIndex >= len(raw.rstrip()) - 1
        truncated = at_end or reason in (
            expat.errors.XML_ERROR_NO_ELEMENTS,
            expat.errors.XML_ERROR_UNCLOSED_TOKEN,
            expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
            expat.errors.XML_ERROR_PARTIAL_CHAR,
        )
        hint = " — the file looks truncated" if truncated else ""
        raise InputError(
            f"{source}: is not well-formed XML: {reason} (line {exc.lineno}, column "
            f"{exc.offset + 1}){hint}."
        ) from None
    except RecursionError:  # pragma: no cover - expat is iterative
        raise InputError(f"{source}: nests elements too deeply.") from None
    level = _int(root.get("level"))
    version = _int(root.get("version"))
    notes = []
    if level == 1:
        notes.append(
            f"SBML Level 1 Version {version}: an old format; libSBML converts it, and sbmlcrn's "
            "models are Level 3 Version 2"
        )
    if state["alg"]:
        notes.append(
            f"{state['alg']} algebraic rule(s): RoadRunner cannot simulate algebraic rules, and "
            "a Neural CRN has none"
        )
    if state["delayf"]:
        notes.append(
            f"{state['delayf']} delay() call(s) in mathematics: RoadRunner cannot simulate delay "
            "differential equations"
        )
    if state["delaye"]:
        notes.append(
            f"{state['delaye']} event delay(s): allowed, but a Neural CRN's events fire at once"
        )
    return XmlSummary(
        level=level,
        version=version,
        elements=state["elements"],
        max_depth=state["max_depth"],
        algebraic_rules=state["alg"],
        delay_functions=state["delayf"],
        event_delays=state["delaye"],
        notes=tuple(notes),
    )


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def check_simulatable(summary: XmlSummary, *, source: str = "<string>") -> None:
    """Refuse, with one clear message, a document RoadRunner cannot simulate.

    Raises
    ------
    InputError
        If the document has algebraic rules or ``delay()`` in its mathematics.
    """
    problems = []
    if summary.algebraic_rules:
        problems.append(f"{summary.algebraic_rules} algebraic rule(s)")
    if summary.delay_functions:
        problems.append(f"{summary.delay_functions} delay() call(s)")
    if problems:
        raise InputError(
            f"{source}: has {' and '.join(problems)}; RoadRunner simulates neither algebraic "
            "rules nor delay differential equations (and a Neural CRN uses neither)."
        )
