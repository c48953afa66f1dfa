"""GROBID TEI XML -> `Document`, parsed safely.

GROBID answers with TEI: a header (title, authors, abstract), a body of `<div>`s with `<head>`
and `<p>`, `<figure>`s for figure and table captions, and a `<listBibl>` of references. With
`teiCoordinates` it adds `coords="page,x,y,w,h;..."` attributes, which is where page numbers
come from.

TEI arrives over the network from a service we do not control, so the XML is treated as
hostile: any document type declaration is refused before a tree is built (no DTD, no entities,
internal or external, hence no XXE and no entity-expansion bombs), and the size is capped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from xml.parsers import expat

from screener.document import Caption, Document, Paragraph, Reference, Section
from screener.errors import InputError

TEI_NS = "http://www.tei-c.org/ns/1.0"
_NS = {"tei": TEI_NS}
DEFAULT_MAX_TEI_MB = 50.0

# A heading number as GROBID prints it in `<head n="3.1">`: digits or letters separated by dots.
_NUMBER = re.compile(r"^[A-Z0-9]+(?:\.[A-Z0-9]+)*\.?$", re.IGNORECASE)
# "Fig. 3", "Figure 12", "Table 2", "Tab. 1" at the start of a caption head.
_LABEL = re.compile(r"^\s*((?:fig(?:ure)?|tab(?:le)?)\.?\s*[A-Z]?\d+[a-z]?)\s*[:.]?\s*", re.I)
_MAX_REFERENCE_AUTHORS = 8


class _Forbidden(Exception):
    """Raised from expat callbacks to stop parsing at the first declaration."""


def tei_to_document(
    xml_bytes: bytes,
    source: str,
    sha256: str,
    pages: int | None = None,
    *,
    max_mb: float = DEFAULT_MAX_TEI_MB,
) -> Document:
    """Turn GROBID's TEI for one paper into a `Document`.

    `pages` is the page count of the PDF when the caller knows it; otherwise it is taken
    from the TEI (facsimile surfaces or the largest page in any coordinates).
    Raises `InputError(source, ...)` for oversized, unsafe or malformed TEI.
    """
    root = parse_tei(xml_bytes, source, max_mb=max_mb)
    warnings: list[str] = []

    title = _title(root)
    if not title:
        warnings.append("GROBID found no title")
    abstract_element = root.find("tei:teiHeader/tei:profileDesc/tei:abstract", _NS)
    abstract = _abstract(abstract_element)
    sections = _sections(root)
    if not sections:
        warnings.append("GROBID found no body sections")
    sections, filled = _fill_pages(sections)
    warnings.extend(_page_warnings(sections, filled))

    return Document(
        source=source,
        sha256=sha256,
        parser=f"grobid {_grobid_version(root)}".strip(),
        title=title,
        authors=tuple(_authors(root)),
        abstract=abstract,
        abstract_page=_first_page(abstract_element) if abstract else None,
        sections=tuple(sections),
        captions=tuple(_captions(root)),
        references=tuple(_references(root)),
        pages=pages if pages is not None else _page_count(root),
        meta=_meta(root),
        warnings=tuple(warnings),
    )


# --- safe parsing -----------------------------------------------------------------------------


def parse_tei(xml_bytes: bytes, source: str, *, max_mb: float = DEFAULT_MAX_TEI_MB) -> ET.Element:
    """Parse TEI bytes into an element tree, refusing oversized input and any DTD."""
    limit = int(max_mb * 1024 * 1024)
    if len(xml_bytes) > limit:
        raise InputError(
            source, f"TEI is {len(xml_bytes) / 1e6:.1f} MB, over the {max_mb:g} MB limit"
        )
    _refuse_declarations(xml_bytes, source)
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as error:
        raise InputError(source, f"malformed TEI: {error}") from None
    except (LookupError, ValueError) as error:  # e.g. an XML declaration naming no real encoding
        raise InputError(source, f"malformed TEI: {error}") from None
    if root.tag != f"{{{TEI_NS}}}TEI":
        raise InputError(source, f"malformed TEI: root element is {_local(root.tag)!r}, not TEI")
    return root


def _refuse_declarations(xml_bytes: bytes, source: str) -> None:
    """Scan with expat and stop at the first DOCTYPE or entity declaration.

    A byte search alone would miss a declaration in UTF-16 input, so the check runs in the
    XML parser itself; the callbacks fire when the declaration starts, before any entity can
    be defined, expanded or fetched.
    """
    upper = xml_bytes.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise InputError(source, "unsafe TEI: document type or entity declarations are refused")

    def forbid(*_: object) -> None:
        raise _Forbidden

    scanner = expat.ParserCreate()
    scanner.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    scanner.StartDoctypeDeclHandler = forbid
    scanner.EntityDeclHandler = forbid
    scanner.UnparsedEntityDeclHandler = forbid
    scanner.ExternalEntityRefHandler = forbid
    try:
        scanner.Parse(xml_bytes, True)
    except _Forbidden:
        raise InputError(
            source, "unsafe TEI: document type or entity declarations are refused"
        ) from None
    except expat.ExpatError as error:
        raise InputError(source, f"malformed TEI: {error}") from None
    except (LookupError, ValueError) as error:  # an XML declaration naming no real encoding
        raise InputError(source, f"malformed TEI: {error}") from None


# --- header -----------------------------------------------------------------------------------


def _title(root: ET.Element) -> str | None:
    stmt = root.find("tei:teiHeader/tei:fileDesc/tei:titleStmt", _NS)
    if stmt is None:
        return None
    titles = stmt.findall("tei:title", _NS)
    main = [t for t in titles if t.get("type") == "main"] or titles
    for element in main:
        text = _text(element)
        if text:
            return text
    return None


def _authors(root: ET.Element) -> Iterator[str]:
    analytic = root.find(
        "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct/tei:analytic", _NS
    )
    if analytic is None:
        return
    for author in analytic.findall("tei:author", _NS):
        name = _person(author.find("tei:persName", _NS))
        if name:
            yield name


def _person(pers: ET.Element | None) -> str:
    if pers is None:
        return ""
    parts = [_text(e) for e in pers.findall("tei:forename", _NS)]
    parts += [_text(e) for e in pers.findall("tei:surname", _NS)]
    return " ".join(p for p in parts if p) or _text(pers)


def _abstract(abstract: ET.Element | None) -> str | None:
    if abstract is None:
        return None
    # Newer GROBID wraps the abstract's paragraphs in a <div>; older versions do not.
    paragraphs = [_text(p) for p in abstract.iter(f"{{{TEI_NS}}}p")]
    text = "\n\n".join(p for p in paragraphs if p) or _text(abstract)
    return text or None


def _grobid_version(root: ET.Element) -> str:
    for app in root.iter(f"{{{TEI_NS}}}application"):
        if app.get("ident", "").upper() == "GROBID":
            return app.get("version", "")
    return ""


def _meta(root: ET.Element) -> dict[str, str]:
    meta: dict[str, str] = {}
    bibl = root.find("tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:biblStruct", _NS)
    if bibl is not None:
        for idno in bibl.iter(f"{{{TEI_NS}}}idno"):
            if idno.get("type", "").upper() == "DOI" and _text(idno):
                meta["doi"] = _text(idno)
                break
    version = _grobid_version(root)
    if version:
        meta["grobid_version"] = version
    return meta


# --- body -------------------------------------------------------------------------------------


def _sections(root: ET.Element) -> list[Section]:
    sections: list[Section] = []
    for part in ("body", "back"):
        container = root.find(f"tei:text/tei:{part}", _NS)
        if container is not None:
            _walk_divs(container, parent_level=0, sections=sections)
    return sections


def _walk_divs(container: ET.Element, parent_level: int, sections: list[Section]) -> None:
    """Collect sections from `<div>`s in document order.

    A section's level is one below its enclosing section, or what its number says ("3.1" is
    level 2) when that is deeper: GROBID writes its divs flat and leaves the number to tell.
    """
    for div in container.findall("tei:div", _NS):
        if div.get("type") == "references":
            continue  # the bibliography is read separately
        head = div.find("tei:head", _NS)
        paragraphs = [Paragraph(text=t, page=_first_page(p)) for p, t in _paragraph_elements(div)]
        if head is None and not paragraphs:
            # A wrapper such as <div type="annex"> around the real sections: no level of its own.
            _walk_divs(div, parent_level, sections)
            continue
        if head is None and sections:
            # GROBID starts a headless <div> where a section continues after a figure or a
            # column break; it belongs to the section before it.
            previous = sections[-1]
            sections[-1] = previous.model_copy(
                update={"paragraphs": previous.paragraphs + tuple(paragraphs)}
            )
            level = previous.level
        else:
            heading, number = _heading(head)
            level = max(parent_level + 1, number.rstrip(".").count(".") + 1 if number else 1)
            sections.append(
                Section(heading=heading, number=number, level=level, paragraphs=tuple(paragraphs))
            )
        _walk_divs(div, level, sections)


def _paragraph_elements(div: ET.Element) -> Iterator[tuple[ET.Element, str]]:
    """The direct prose children of a div: `<p>`s and the items of `<list>`s."""
    for child in div:
        tag = _local(child.tag)
        if tag == "p":
            elements: Iterable[ET.Element] = (child,)
        elif tag == "list":
            elements = child.findall("tei:item", _NS)
        else:
            continue
        for element in elements:
            text = _text(element)
            if text:
                yield element, text


def _heading(head: ET.Element | None) -> tuple[str, str | None]:
    if head is None:
        return "", None
    number = (head.get("n") or "").strip() or None
    if number and not _NUMBER.match(number):
        number = None
    return _text(head), number


def _fill_pages(sections: list[Section]) -> tuple[list[Section], int]:
    """Give a page to a paragraph without coordinates when the paragraphs on both sides of it
    (in reading order) start on the same page: it cannot be anywhere else.

    Returns the new sections and how many paragraphs got a page this way.
    """
    flat = [p.page for s in sections for p in s.paragraphs]
    filled = list(flat)
    for i, page in enumerate(flat):
        if page is not None:
            continue
        before = next((p for p in reversed(flat[:i]) if p is not None), None)
        after = next((p for p in flat[i + 1 :] if p is not None), None)
        if before is not None and before == after:
            filled[i] = before
    count = sum(1 for a, b in zip(flat, filled, strict=True) if a != b)
    if not count:
        return sections, 0
    pages = iter(filled)
    result = [
        s.model_copy(
            update={
                "paragraphs": tuple(
                    p.model_copy(update={"page": next(pages)}) for p in s.paragraphs
                )
            }
        )
        for s in sections
    ]
    return result, count


def _page_warnings(sections: list[Section], filled: int) -> list[str]:
    paragraphs = [p for s in sections for p in s.paragraphs]
    missing = sum(1 for p in paragraphs if p.page is None)
    warnings = []
    if filled:
        warnings.append(
            f"{filled} of {len(paragraphs)} paragraphs had no coordinates and took the page of "
            "the paragraphs around them"
        )
    if missing:
        warnings.append(
            f"{missing} of {len(paragraphs)} paragraphs have no page number "
            "(TEI without coordinates for them)"
        )
    return warnings


# --- captions and references ------------------------------------------------------------------


def _captions(root: ET.Element) -> Iterator[Caption]:
    text_root = root.find("tei:text", _NS)
    if text_root is None:
        return
    for figure in text_root.iter(f"{{{TEI_NS}}}figure"):
        caption = _caption(figure)
        if caption is not None:
            yield caption


def _caption(figure: ET.Element) -> Caption | None:
    kind = "table" if figure.get("type") == "table" else "figure"
    head = _text(figure.find("tei:head", _NS))
    number = _text(figure.find("tei:label", _NS))
    description = _text(figure.find("tei:figDesc", _NS))
    match = _LABEL.match(head)
    if match:
        label: str | None = match.group(1)
    elif number:
        label = f"{kind.capitalize()} {number}"
    else:
        label = None
    # Without a figDesc, GROBID puts the whole caption in the head ("Table 1 : what it shows").
    text = description or (head[match.end() :] if match else head).strip(" :.")
    if not text:
        return None
    return Caption(kind=kind, label=label, text=text, page=_first_page(figure))


def _references(root: ET.Element) -> Iterator[Reference]:
    back = root.find("tei:text/tei:back", _NS)
    if back is None:
        return
    for bibl in back.iter(f"{{{TEI_NS}}}biblStruct"):
        text = _reference_text(bibl)
        if text:
            yield Reference(text=text, page=_first_page(bibl))


def _reference_text(bibl: ET.Element) -> str:
    """One readable line: authors. title. venue. year."""
    raw = bibl.find("tei:note[@type='raw_reference']", _NS)
    analytic = bibl.find("tei:analytic", _NS)
    monogr = bibl.find("tei:monogr", _NS)
    names = [
        _person(a.find("tei:persName", _NS))
        for part in (analytic, monogr)
        if part is not None
        for a in part.findall("tei:author", _NS)
    ]
    names = [n for n in names if n]
    if len(names) > _MAX_REFERENCE_AUTHORS:
        names = names[:_MAX_REFERENCE_AUTHORS] + ["et al."]
    title = _text(analytic.find("tei:title", _NS)) if analytic is not None else ""
    venue = _text(monogr.find("tei:title", _NS)) if monogr is not None else ""
    if not title:
        title, venue = venue, ""
    if monogr is not None and not venue:
        venue = _text(monogr.find("tei:meeting", _NS))
    parts = [", ".join(names), title, venue, _year(bibl)]
    line = ". ".join(p.rstrip(".") for p in parts if p)
    if line:
        return line + "."
    return _text(raw) if raw is not None else _text(bibl)


def _year(bibl: ET.Element) -> str:
    for date in bibl.iter(f"{{{TEI_NS}}}date"):
        found = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", date.get("when", "") + " " + _text(date))
        if found:
            return found.group(1)
    return ""


# --- pages ------------------------------------------------------------------------------------


def _coords_page(coords: str | None) -> int | None:
    """First page of a `coords` value ("page,x,y,w,h;page,x,y,w,h;...")."""
    if not coords:
        return None
    head = coords.split(";", 1)[0].split(",", 1)[0].strip()
    return int(head) if head.isdigit() and int(head) > 0 else None


def _first_page(element: ET.Element | None) -> int | None:
    """Page of an element: its own coordinates, else the first coordinates inside it
    (GROBID often puts them only on references, formulas or sentences within a paragraph)."""
    if element is None:
        return None
    for node in element.iter():
        page = _coords_page(node.get("coords"))
        if page is not None:
            return page
    return None


def _page_count(root: ET.Element) -> int:
    surfaces = len(root.findall("tei:facsimile/tei:surface", _NS))
    pages = [_coords_page(e.get("coords")) for e in root.iter() if e.get("coords")]
    most = max((p for p in pages if p is not None), default=0)
    return max(surfaces, most)


# --- text helpers -----------------------------------------------------------------------------


def _text(element: ET.Element | None) -> str:
    """All text inside an element with whitespace collapsed (TEI keeps layout whitespace)."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
