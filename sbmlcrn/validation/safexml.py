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
- a root element other than ``<sbml>`` (:class:`NotSbmlError`, a kind of InputError);
- MathML beyond the math limits: an operator with more than :data:`MAX_MATH_OPERANDS` operands,
  math nested deeper than :data:`MAX_MATH_DEPTH`, more than :data:`MAX_MATH_NODES` elements in
  one ``<math>`` or :data:`MAX_MATH_NODES_TOTAL` in the document. libSBML's checks take time
  quadratic in an operator's operands (a flat sum of 5,000 terms: minutes), and its formula
  writer recurses once per operand (a sum of 150,000 terms: a segmentation fault).

The file is opened only if ``stat`` says it is a regular file, without blocking (a FIFO or
device swapped in meanwhile is refused, never waited on) and read once; what is not XML is
named by its kind (gzip-compressed, a zip archive, JSON, …), never quoted: the refusal of a
symbolic link to a private file must not print the file's content.

It also records what a validator must know: the external documents the model names
(``comp:externalModelDefinition`` sources, which sbmlcrn never opens), and what RoadRunner
cannot simulate (:func:`check_simulatable`): algebraic rules
and ``delay()`` in mathematics. SBML Level 1 is noted but accepted (libSBML converts it).

Decision: a refusal instead of a "safe" parse with entities disabled. SBML files never need a
DTD, so a file with one is either hand-made or hostile, and the only way to guarantee that no
downstream parser expands or fetches an entity is that no entity reaches it.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from xml.parsers import expat

from sbmlcrn.errors import InputError

__all__ = [
    "MAX_KINETIC_LAW_NODES",
    "MAX_MATH_DEPTH",
    "MAX_MATH_NODES",
    "MAX_MATH_NODES_TOTAL",
    "MAX_MATH_OPERANDS",
    "MAX_SBML_BYTES",
    "MAX_XML_DEPTH",
    "NotSbmlError",
    "XmlSummary",
    "check_simulatable",
    "check_xml_bytes",
    "check_xml_file",
    "read_xml_file",
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

#: Most operands of one MathML operator (children of an ``<apply>`` after the operator, of a
#: ``<piecewise>``, …). sbmlcrn's models use at most 6; libSBML's unit checks take about 16 s
#: on one sum of 1,000 terms (quadratic time), its formula writer crashes at about 150,000.
MAX_MATH_OPERANDS = 1000

#: Most MathML elements in one kinetic law. sbmlcrn's kinetic laws have at most about 20;
#: without this bound, five nested sums of 1,000 terms each (every operator within
#: :data:`MAX_MATH_OPERANDS`) kept libSBML's unit check busy for minutes.
MAX_KINETIC_LAW_NODES = 2000

#: Deepest nesting inside one ``<math>``. sbmlcrn's deepest (the balanced lookups of a
#: 10,000-sample training model) is about 45.
MAX_MATH_DEPTH = 250

#: Most MathML elements in one ``<math>``; a lookup of sbmlcrn's largest training model
#: (15,000 samples) has about 110,000.
MAX_MATH_NODES = 1_000_000

#: Most MathML elements in one document; sbmlcrn's largest training model has about 700,000.
MAX_MATH_NODES_TOTAL = 4_000_000

_DELAY_URL = "http://www.sbml.org/sbml/symbols/delay"
_SHOWN = 60  # longest name or URI quoted from a document

# Root elements of other XML vocabularies a refusal names; any other root is not quoted (the
# refusal of a private XML file must not print a name it holds).
_KNOWN_ROOTS = frozenset(
    {"html", "svg", "math", "sedML", "omexManifest", "COPASI", "RDF", "plist", "feed", "rss"}
    | {"model", "project", "configuration", "testsuites", "testsuite", "stylesheet"}
)


@dataclass(frozen=True)
class XmlSummary:
    """What the pre-check saw: the SBML level and version, the constructs that matter to
    simulators, the MathML elements, and the external documents named by
    ``comp:externalModelDefinition`` elements (``(id, source)`` pairs; never opened)."""

    level: int | None
    version: int | None
    elements: int
    max_depth: int
    algebraic_rules: int = 0
    delay_functions: int = 0
    event_delays: int = 0
    notes: tuple[str, ...] = field(default=())
    math_nodes: int = 0
    external_documents: tuple[tuple[str, str], ...] = field(default=())


class NotSbmlError(InputError):
    """The input is XML of another vocabulary (its root element is not ``<sbml>``), e.g. the
    ``manifest.xml`` of an OMEX archive: not an SBML file at all, rather than a broken one."""


class _Refused(Exception):
    """Raised from expat handlers to stop the parse at once."""


class _NotSbml(_Refused):
    """The root element is not ``<sbml>``."""


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
    return check_xml_bytes(read_xml_file(source, max_bytes=max_bytes), source=source)


def read_xml_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_SBML_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them.

    The file is opened only if ``stat`` says it is a regular file, and without blocking: a FIFO
    or device put in its place meanwhile is refused (by ``fstat`` on the open file), never
    waited on or read.

    Raises
    ------
    InputError
        If the file is missing, a directory, a FIFO, socket or device, a symbolic link loop,
        unreadable, or larger than ``max_bytes``.
    """
    source = os.fspath(path)
    try:
        _check_mode(source, os.stat(source))
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(source, flags | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            _check_mode(source, info)
            if info.st_size > max_bytes:
                raise InputError(_too_large(source, info.st_size, max_bytes))
            chunks, left = [], max_bytes + 1  # never more, even if the file grows meanwhile
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise InputError(_os_error(source, exc)) from None
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise InputError(_too_large(source, len(data), max_bytes))
    return data


def _check_mode(source: str, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{source}: is a directory, not an SBML file.")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{source}: is not a regular file (a device, FIFO or socket).")


def _os_error(source: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"{source}: no such file."
    if exc.errno == errno.ELOOP:
        return f"{source}: is a loop of symbolic links, not an SBML file."
    if exc.errno == errno.ENOTDIR:
        return f"{source}: no such file (a part of the path is not a directory)."
    return f"{source}: cannot read the file: {exc.strerror or exc}."


# The start of binary and other non-XML content: what it is called in a refusal (the content
# itself is never quoted).
_MAGIC = (
    (b"\x1f\x8b", "is gzip-compressed, not XML; decompress it first (e.g. gunzip)"),
    (b"\xfd7zXZ\x00", "is xz-compressed, not XML; decompress it first (e.g. unxz)"),
    (b"\x28\xb5\x2f\xfd", "is zstd-compressed, not XML; decompress it first (e.g. unzstd)"),
    (b"PK\x03\x04", "is a zip archive (an OMEX/COMBINE archive?), not XML; extract the model"),
    (b"%PDF", "is a PDF document, not XML"),
    (b"\x7fELF", "is an executable (ELF), not XML"),
    (b"\x89PNG", "is a PNG image, not XML"),
    (b"SQLite format 3\x00", "is an SQLite database, not XML"),
    (b"-----BEGIN ", "is not XML (it is PEM-encoded data, such as a key or a certificate)"),
    (b"{", "is not XML (it looks like JSON)"),
    (b"[", "is not XML (it looks like JSON)"),
)


def _kind(raw: bytes) -> str | None:
    """How to name content that is known not to be XML by its first bytes, or None."""
    if raw[:3] == b"BZh" and raw[3:4].isdigit():
        return "is bzip2-compressed, not XML; decompress it first (e.g. bunzip2)"
    for magic, kind in _MAGIC:
        if raw.startswith(magic) or (len(magic) == 1 and raw.lstrip().startswith(magic)):
            return kind
    return None


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
    kind = _kind(raw)
    if kind is not None:
        raise InputError(f"{source}: {kind}.")
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
    if raw.lstrip()[:1] != b"<":
        raise InputError(f"{source}: is not XML (its text does not start with '<').")
    return _parse(raw, source)


class _Scanner:
    """The expat handlers of :func:`_parse`: depth, root, math limits, what simulators and
    validators must know. Each handler raises :class:`_Refused` to stop the parse at once."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.depth = self.max_depth = self.elements = 0
        self.algebraic = self.delay_functions = self.event_delays = 0
        self.root: dict[str, str] = {}
        self.stack: list[str] = []  # local names of the open elements
        self.attrs: list[dict[str, str]] = []  # their attributes
        self.math_at = 0  # depth of the open <math>, 0 outside math
        self.math_nodes = self.total_math = 0
        self.kinetic = False  # the open <math> is a kinetic law's
        self.children: list[int] = []  # child elements so far of each open MathML element
        self.external: list[tuple[str, str]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        self.elements += 1
        self.depth += 1
        if self.depth > self.max_depth:
            self.max_depth = self.depth
            if self.depth > MAX_XML_DEPTH:
                raise _Refused(
                    f"nests elements more than {MAX_XML_DEPTH} levels deep "
                    f"(line {self.parser.CurrentLineNumber}); not an SBML model"
                )
        if self.math_at:
            self._math_node()
        elif local == "math":  # libSBML reads <math> in any namespace (or none) as MathML
            self.math_at, self.math_nodes, self.children = self.depth, 0, [0]
            self.kinetic = bool(self.stack) and self.stack[-1] == "kineticLaw"
        if self.elements == 1:
            if local != "sbml":
                root = f"<{local}>" if local in _KNOWN_ROOTS else "another element"
                raise _NotSbml(f"is XML but not SBML (the root element is {root}, not <sbml>)")
            self.root.update(attrs)
        if local == "algebraicRule":
            self.algebraic += 1
        elif local == "csymbol" and attrs.get("definitionURL", "").strip() == _DELAY_URL:
            self.delay_functions += 1
        elif local == "delay" and self.stack and self.stack[-1] == "event":
            self.event_delays += 1
        elif local == "externalModelDefinition":
            self.external.append((_attr(attrs, "id"), _attr(attrs, "source")))
        self.stack.append(local)
        self.attrs.append(attrs)

    def end(self, name: str) -> None:
        if self.math_at:
            if self.depth == self.math_at:
                self.math_at = 0
            else:
                self.children.pop()
        self.depth -= 1
        self.stack.pop()
        self.attrs.pop()

    def _math_node(self) -> None:
        self.math_nodes += 1
        self.total_math += 1
        self.children[-1] += 1
        self.children.append(0)
        if self.children[-2] > MAX_MATH_OPERANDS + 1:  # an <apply>'s operator and operands
            self._limit(f"an operator with more than {MAX_MATH_OPERANDS:,} operands", "OPERANDS")
        if self.depth - self.math_at > MAX_MATH_DEPTH:
            self._limit(f"math nested more than {MAX_MATH_DEPTH} levels deep", "DEPTH")
        if self.math_nodes > MAX_MATH_NODES:
            self._limit(f"more than {MAX_MATH_NODES:,} MathML elements", "NODES")
        if self.kinetic and self.math_nodes > MAX_KINETIC_LAW_NODES:
            self._limit(
                f"more than {MAX_KINETIC_LAW_NODES:,} MathML elements", "NODES", "KINETIC_LAW_"
            )
        if self.total_math > MAX_MATH_NODES_TOTAL:
            raise _Refused(
                f"has more than {MAX_MATH_NODES_TOTAL:,} MathML elements in all (line "
                f"{self.parser.CurrentLineNumber}); SBML input is limited to that many "
                "(sbmlcrn.validation.safexml.MAX_MATH_NODES_TOTAL) to bound the time of "
                "checking it"
            )

    def _limit(self, what: str, name: str, prefix: str = "MATH_") -> None:
        """Refuse the open <math> for ``what``, naming its element and the limit."""
        parent = self.math_at - 2  # index of the element holding the <math> in the stack
        owner = f"<{_short(self.stack[parent])}>" if parent >= 0 else "the document"
        for i in range(parent, -1, -1):
            key = next((k for k in ("id", "variable", "symbol") if _attr(self.attrs[i], k)), "")
            if key:
                named = f"<{_short(self.stack[i])} {key}='{_short(_attr(self.attrs[i], key))}'>"
                owner = named if i == parent else f"{owner} of {named}"
                break
        raise _Refused(
            f"the math of {owner} (line {self.parser.CurrentLineNumber}) has {what}, over "
            f"sbmlcrn's limit (sbmlcrn.validation.safexml.MAX_{prefix}{name}), which keeps "
            "libSBML from taking hours or crashing on it"
        )


def _attr(attrs: dict[str, str], local: str) -> str:
    """The attribute ``local`` of any namespace (``comp:id`` and ``id`` alike), or ``""``."""
    for key, value in attrs.items():
        if key == local or key.endswith(" " + local):
            return value
    return ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _parse(raw: bytes, source: str) -> XmlSummary:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    scan = _Scanner(parser)

    def refuse_doctype(name, sysid, pubid, has_internal_subset):
        raise _Refused(
            "has a <!DOCTYPE> declaration; SBML needs none, and document type declarations "
            "(where entity bombs and external entities live) are refused"
        )

    def refuse_entity(name, *args):
        raise _Refused(
            f"declares the entity {_short(name)!r}; entity declarations are refused (entity "
            "bombs, external files)"
        )

    def refuse_external(context, base, sysid, pubid):
        raise _Refused(
            f"refers to the external entity {_short(sysid or pubid or '')!r}; it is not resolved"
        )

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    try:
        parser.Parse(raw, True)
    except _NotSbml as exc:
        raise NotSbmlError(f"{source}: {exc}.") from None
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
    except LookupError:  # an encoding Python does not know, e.g. encoding="TF-8"
        raise InputError(
            f"{source}: declares a character encoding that is not known (SBML is UTF-8)."
        ) from None
    except RecursionError:  # pragma: no cover - expat is iterative
        raise InputError(f"{source}: nests elements too deeply.") from None
    return _summary(scan)


def _summary(scan: _Scanner) -> XmlSummary:
    level = _int(scan.root.get("level"))
    version = _int(scan.root.get("version"))
    notes = []
    if level == 1:
        notes.append(
            f"SBML Level 1 Version {version}: an old format; libSBML converts it, and sbmlcrn's "
            "models are Level 3 Version 2"
        )
    if scan.algebraic:
        notes.append(
            f"{scan.algebraic} algebraic rule(s): RoadRunner cannot simulate algebraic rules, "
            "and a Neural CRN has none"
        )
    if scan.delay_functions:
        notes.append(
            f"{scan.delay_functions} delay() call(s) in mathematics: RoadRunner cannot simulate "
            "delay differential equations"
        )
    if scan.event_delays:
        notes.append(
            f"{scan.event_delays} event delay(s): allowed, but a Neural CRN's events fire at once"
        )
    return XmlSummary(
        level=level,
        version=version,
        elements=scan.elements,
        max_depth=scan.max_depth,
        algebraic_rules=scan.algebraic,
        delay_functions=scan.delay_functions,
        event_delays=scan.event_delays,
        notes=tuple(notes),
        math_nodes=scan.total_math,
        external_documents=tuple(scan.external),
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
