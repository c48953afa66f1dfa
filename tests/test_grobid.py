"""GROBID backend: TEI -> Document (own TEI and every real TEI in the corpus), safe XML handling,
and the HTTP client against a real GROBID-speaking server on 127.0.0.1 started here."""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import re
import socket
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from screener.document import Document
from screener.errors import InputError, ScreenerError
from screener.parse.command import add_parse_command
from screener.parse.grobid import TEI_COORDINATES, GrobidParser
from screener.parse.tei import TEI_NS, tei_to_document
from screener.settings import load_settings
from tests import pdfmaker

# --- a small TEI of our own (invented paper) ---------------------------------------------------

OWN_TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:space="preserve">
  <teiHeader>
    <fileDesc>
      <titleStmt><title level="a" type="main">Counting   Pebbles
        with Small Robots</title></titleStmt>
      <sourceDesc><biblStruct><analytic>
        <author><persName><forename type="first">Ada</forename><forename type="middle">B</forename>
          <surname>Lovelock</surname></persName></author>
        <author><persName><forename type="first">Carl</forename>
          <surname>Dunmore</surname></persName></author>
      </analytic><monogr><imprint/></monogr></biblStruct></sourceDesc>
    </fileDesc>
    <encodingDesc><appInfo><application version="0.8.1" ident="GROBID"/></appInfo></encodingDesc>
    <profileDesc><abstract><div><p coords="1,50,300,400,10">We count pebbles with robots.</p>
      <p>Robots count faster than people.</p></div></abstract></profileDesc>
  </teiHeader>
  <facsimile><surface n="1"/><surface n="2"/><surface n="3"/><surface n="4"/></facsimile>
  <text>
    <body>
      <div><head n="1">Introduction</head>
        <p coords="1,50,400,400,10;2,50,60,400,10">Pebbles are
          <ref coords="1,90,400,20,10">[1]</ref> many.</p>
        <p>People tire of counting.</p>
        <p><s coords="2,50,90,200,10">Robots do not tire.</s></p>
      </div>
      <div><p coords="2,50,200,400,10">A headless div continues the introduction.</p></div>
      <div><head n="2.1.">Setup</head><p coords="3,50,60,400,10">Two robots, one beach.</p>
        <div><head>Nested detail</head><p>Deeper text without coordinates.</p></div>
      </div>
      <figure coords="3,50,300,400,100"><head>Fig. 2</head><label>2</label>
        <figDesc>Robots on a beach.</figDesc></figure>
      <figure type="table" coords="4,50,60,400,100"><head>Table 1 : Pebbles counted per hour</head>
        <label>1</label><figDesc/><table/></figure>
    </body>
    <back>
      <div type="acknowledgement">
        <div><head>Acknowledgements</head><p>We thank the sea.</p></div>
      </div>
      <div type="references"><listBibl>
        <biblStruct coords="4,50,500,400,10" xml:id="b0">
          <analytic><title level="a" type="main">On pebbles</title>
            <author><persName><forename type="first">Dana</forename>
              <surname>Rock</surname></persName></author>
          </analytic>
          <monogr><title level="j">Journal of Small Stones</title>
            <imprint><date type="published" when="2019-05-01"/></imprint></monogr>
        </biblStruct>
        <biblStruct xml:id="b1"><monogr><title level="m">A Book of Sand</title>
          <author><persName><surname>Dune</surname></persName></author>
          <imprint><date>1999</date></imprint></monogr></biblStruct>
      </listBibl></div>
    </back>
  </text>
</TEI>
"""


def own_document(pages: int | None = None) -> Document:
    return tei_to_document(OWN_TEI.encode(), "own.pdf", "0" * 64, pages)


def test_own_tei_header_and_structure() -> None:
    doc = own_document()
    assert doc.parser == "grobid 0.8.1"
    assert doc.title == "Counting Pebbles with Small Robots"
    assert doc.authors == ("Ada B Lovelock", "Carl Dunmore")
    assert doc.abstract == "We count pebbles with robots.\n\nRobots count faster than people."
    assert doc.abstract_page == 1
    assert doc.pages == 4  # from the facsimile surfaces
    headings = [(s.number, s.heading, s.level) for s in doc.sections]
    assert headings == [
        ("1", "Introduction", 1),
        ("2.1.", "Setup", 2),
        (None, "Nested detail", 3),
        (None, "Acknowledgements", 1),
    ]
    intro = doc.sections[0]
    # The headless div's paragraph joins the section before it.
    assert [p.text for p in intro.paragraphs][-1] == "A headless div continues the introduction."
    assert intro.paragraphs[0].text == "Pebbles are [1] many."


def test_own_tei_pages_from_coords() -> None:
    doc = own_document(pages=7)
    assert doc.pages == 7  # the caller's count wins
    pages = [p.page for _, p in doc.paragraphs()]
    # Introduction: own coords, none (neighbours on pages 1 and 2 disagree), a sentence's
    # coords, the headless div; Setup; Nested detail and Acknowledgements have none.
    assert pages == [1, None, 2, 2, 3, None, None]
    assert (
        "3 of 7 paragraphs have no page number (TEI without coordinates for them)" in doc.warnings
    )


def test_page_filled_between_equal_neighbours() -> None:
    xml = OWN_TEI.replace('<p coords="1,50,400,400,10;2,50,60,400,10">', '<p coords="2,5,5,5,5">')
    xml = xml.replace('<ref coords="1,90,400,20,10">', "<ref>")
    doc = tei_to_document(xml.encode(), "own.pdf", "0" * 64)
    assert [p.page for p in doc.sections[0].paragraphs] == [2, 2, 2, 2]
    assert any("took the page of the paragraphs around them" in w for w in doc.warnings)


def test_own_tei_captions_and_references() -> None:
    doc = own_document()
    figure, table = doc.captions
    assert (figure.kind, figure.label, figure.text, figure.page) == (
        "figure",
        "Fig. 2",
        "Robots on a beach.",
        3,
    )
    # No figDesc: the caption comes from the head, without its label.
    assert (table.kind, table.label, table.text, table.page) == (
        "table",
        "Table 1",
        "Pebbles counted per hour",
        4,
    )
    first, second = doc.references
    assert first.text == "Dana Rock. On pebbles. Journal of Small Stones. 2019."
    assert first.page == 4
    assert second.text == "Dune. A Book of Sand. 1999."
    assert second.page is None


# --- safety ------------------------------------------------------------------------------------

_WATCHED: set[str] = set()
_OPENED: list[str] = []


def _audit(event: str, args: tuple) -> None:
    # Records any Python-level open of a watched path (the XXE target) during the tests.
    if event == "open" and args and str(args[0]) in _WATCHED:
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-VALUE")
    _WATCHED.add(str(path))
    _OPENED.clear()
    yield path
    _WATCHED.discard(str(path))


def _xxe(target: Path) -> str:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE TEI [<!ENTITY leak SYSTEM "file://{target}">]>\n'
        f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt>'
        "<title>&leak;</title></titleStmt></fileDesc></teiHeader></TEI>"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_xxe_is_refused_and_file_never_read(secret_file: Path, encoding: str) -> None:
    xml = _xxe(secret_file)
    if encoding == "utf-16":
        xml = xml.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(InputError) as caught:
        tei_to_document(xml.encode(encoding), "evil.tei", "0" * 64)
    assert "unsafe TEI" in str(caught.value)
    assert str(caught.value).startswith("evil.tei: ")
    assert "TOP-SECRET" not in str(caught.value)
    assert _OPENED == []


def test_entity_expansion_bomb_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<TEI xmlns="{TEI_NS}"><text><body><div><p>&b;</p></div></body></text></TEI>'
    )
    with pytest.raises(InputError, match="unsafe TEI"):
        tei_to_document(bomb.encode(), "bomb.tei", "0" * 64)


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (OWN_TEI[: len(OWN_TEI) // 2], "malformed TEI"),
        ("not xml at all", "malformed TEI"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "not TEI"),
        ("", "malformed TEI"),
    ],
)
def test_malformed_tei_is_one_clear_error(xml: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        tei_to_document(xml.encode(), "bad.tei", "0" * 64)
    assert str(caught.value).startswith("bad.tei: ")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_oversized_tei_is_refused() -> None:
    with pytest.raises(InputError, match="over the 0.001 MB limit"):
        tei_to_document(OWN_TEI.encode(), "big.tei", "0" * 64, max_mb=0.001)


# --- every real TEI in the corpus --------------------------------------------------------------


def corpus_tei_files() -> list[Path]:
    from conftest import corpus_dir

    return sorted((corpus_dir() / "tei").glob("*.tei.xml"))


def _coords_paragraphs(xml: bytes) -> int:
    """Body/back <p> elements that carry coordinates on themselves or inside them."""
    root = ET.fromstring(xml)
    count = 0
    for part in root.iterfind(f"{{{TEI_NS}}}text/*"):
        for p in part.iter(f"{{{TEI_NS}}}p"):
            if any(node.get("coords") for node in p.iter()):
                count += 1
    return count


@pytest.mark.corpus
def test_corpus_has_tei_files(corpus: Path) -> None:
    assert corpus_tei_files(), f"no *.tei.xml under {corpus / 'tei'}"


@pytest.mark.corpus
@pytest.mark.parametrize("tei_path", corpus_tei_files(), ids=lambda p: p.name)
def test_real_tei_to_document(corpus: Path, tei_path: Path) -> None:
    xml = tei_path.read_bytes()
    doc = tei_to_document(xml, tei_path.name, "0" * 64)
    assert doc.title
    assert doc.authors
    assert doc.abstract and len(doc.abstract) > 200
    assert doc.sections and all(s.heading or s.paragraphs for s in doc.sections)
    assert doc.body_words() > 1000
    paged = [p.page for _, p in doc.paragraphs() if p.page is not None]
    assert len(paged) >= _coords_paragraphs(xml) > 0
    assert all(1 <= page <= doc.pages for page in paged)
    assert paged == sorted(paged), "pages must not go backwards in reading order"
    bibl = len(re.findall(rb"<biblStruct[ >]", xml)) - 1  # minus the header's own biblStruct
    assert len(doc.references) == bibl
    assert all(r.text.endswith(".") and r.page for r in doc.references)
    assert doc.captions and all(c.text for c in doc.captions)


# --- a GROBID-speaking server on 127.0.0.1 -----------------------------------------------------


@dataclass
class FakeGrobid:
    """Answers POSTs by playing `script` (one step per request; the last step repeats)."""

    tei: bytes
    script: list[str] = field(default_factory=lambda: ["ok"])
    alive: bool = True
    slow_s: float = 2.0
    posts: int = 0
    gets: int = 0
    forms: list[dict[str, list[bytes]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_step(self) -> str:
        step = self.script[min(self.posts, len(self.script) - 1)]
        self.posts += 1
        return step


def _parse_multipart(content_type: str, body: bytes) -> dict[str, list[bytes]]:
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, list[bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields.setdefault(name, []).append(part.get_payload(decode=True))
    return fields


def _handler(fake: FakeGrobid) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _answer(self, status: int, body: bytes, ctype: str = "application/xml") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            fake.gets += 1
            if self.path == "/api/isalive" and fake.alive:
                self._answer(200, b"true", "text/plain")
            else:
                self._answer(404 if fake.alive else 503, b"", "text/plain")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/api/processFulltextDocument":
                self._answer(404, b"")
                return
            with fake.lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                self._process(body)
            finally:
                with fake.lock:
                    fake.in_flight -= 1

        def _process(self, body: bytes) -> None:
            step = fake.next_step()
            form = _parse_multipart(self.headers["Content-Type"], body)
            fake.forms.append(form)
            if "input" not in form or not form["input"][0].startswith(b"%PDF"):
                self._answer(400, b"no input PDF")
            elif step == "busy":
                self._answer(503, b"")
            elif step == "drop":
                self.close_connection = True  # hang up without a word
            elif step == "slow":
                fake.stop.wait(fake.slow_s)
                with contextlib.suppress(OSError):  # the client may have given up already
                    self._answer(200, fake.tei)
            elif step == "error":
                self._answer(500, b"[GENERAL] An exception occurred")
            else:
                self._answer(200, fake.tei)

    return Handler


@pytest.fixture
def grobid_server() -> Iterator[callable]:
    servers: list[tuple[ThreadingHTTPServer, FakeGrobid]] = []

    def start(tei: bytes, script: list[str] | None = None, alive: bool = True) -> FakeGrobid:
        fake = FakeGrobid(tei=tei, script=script or ["ok"], alive=alive)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        servers.append((server, fake))
        return fake

    yield start
    for server, fake in servers:
        fake.stop.set()
        server.shutdown()
        server.server_close()


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _client(url: str, **kwargs: object) -> GrobidParser:
    config = load_settings(grobid_url=url, grobid_timeout_s=kwargs.pop("timeout_s", 5.0))
    parser = GrobidParser.from_settings(config, no_fallback=kwargs.pop("no_fallback", False))
    parser.backoff_s = 0.01
    for key, value in kwargs.items():
        setattr(parser, key, value)
    return parser


@pytest.fixture
def small_pdf(tmp_path: Path) -> Path:
    """A small fictional paper (what the fallback parser reads when GROBID is away)."""
    return pdfmaker.write_paper(tmp_path / "small.pdf")


def _matching_pdf(corpus: Path, tei_path: Path) -> Path | None:
    with open(corpus / "tei" / "manifest.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["name"] == tei_path.name and row.get("matching_pdf"):
                for folder in ("tei", "pdfs"):
                    candidate = corpus / folder / row["matching_pdf"]
                    if candidate.is_file():
                        return candidate
    return None


@pytest.mark.corpus
@pytest.mark.parametrize("tei_path", corpus_tei_files(), ids=lambda p: p.name)
def test_end_to_end_with_real_tei(
    corpus: Path, tei_path: Path, grobid_server, small_pdf: Path
) -> None:
    fake = grobid_server(tei_path.read_bytes())
    pdf = _matching_pdf(corpus, tei_path) or small_pdf
    doc = _client(fake.url).parse(pdf)
    assert doc.parser.startswith("grobid ")
    assert "fallback" not in doc.parser
    assert doc.title and doc.sections and doc.references
    assert doc.source == str(pdf)
    import pymupdf

    with pymupdf.open(pdf) as opened:
        assert doc.pages == opened.page_count
    form = fake.forms[0]
    assert form["input"][0] == pdf.read_bytes()
    assert [v.decode() for v in form["teiCoordinates"]] == list(TEI_COORDINATES)
    assert form["consolidateHeader"] == [b"0"]


def test_busy_then_ok_is_retried(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), script=["busy", "busy", "ok"])
    doc = _client(fake.url).parse(small_pdf)
    assert fake.posts == 3
    assert doc.parser == "grobid 0.8.1"
    assert doc.title == "Counting Pebbles with Small Robots"


def test_busy_forever_gives_up_after_bounded_attempts(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), script=["busy"])
    with pytest.raises(InputError, match="answered busy"):
        _client(fake.url, no_fallback=True, attempts=3).parse(small_pdf)
    assert fake.posts == 3


def test_dropped_connection_is_retried(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), script=["drop", "ok"])
    doc = _client(fake.url).parse(small_pdf)
    assert fake.posts == 2
    assert doc.parser == "grobid 0.8.1"


def test_slow_server_times_out_then_falls_back(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), script=["slow"])
    doc = _client(fake.url, timeout_s=0.2, attempts=2).parse(small_pdf)
    assert fake.posts == 2
    assert "fallback: grobid unreachable at " + fake.url in doc.parser
    assert "timed out" in doc.parser
    assert not doc.parser.startswith("grobid")
    assert any("GROBID was not used" in w for w in doc.warnings)


def test_server_down_falls_back_to_pymupdf(small_pdf: Path) -> None:
    url = _dead_url()
    doc = _client(url, attempts=2).parse(small_pdf)
    assert doc.parser.startswith("pymupdf")
    assert f"(fallback: grobid unreachable at {url}: health check failed" in doc.parser
    assert any(url in w for w in doc.warnings)
    assert doc.title == pdfmaker.DEFAULT_TITLE
    assert doc.sha256 == hashlib.sha256(small_pdf.read_bytes()).hexdigest()


def test_server_down_without_fallback_is_an_error(small_pdf: Path) -> None:
    url = _dead_url()
    with pytest.raises(InputError) as caught:
        _client(url, attempts=2, no_fallback=True).parse(small_pdf)
    message = str(caught.value)
    assert message.startswith(f"{small_pdf}: GROBID failed (unreachable at {url}")
    assert "fallback is off" in message


def test_not_alive_skips_processing(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), alive=False)
    doc = _client(fake.url, attempts=2).parse(small_pdf)
    assert fake.posts == 0
    assert "fallback: grobid unreachable" in doc.parser


def test_server_error_on_paper_falls_back(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), script=["error"])
    doc = _client(fake.url).parse(small_pdf)
    assert fake.posts == 1  # a 500 is about this paper: not retried
    assert "fallback: grobid failed: GROBID at" in doc.parser
    assert "HTTP 500" in doc.parser


def test_malformed_tei_from_server_falls_back_or_errors(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(b"<TEI><unclosed>")
    doc = _client(fake.url).parse(small_pdf)
    assert "unusable TEI" in doc.parser
    with pytest.raises(InputError, match="malformed TEI"):
        _client(fake.url, no_fallback=True).parse(small_pdf)


def test_missing_pdf_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        _client(_dead_url()).parse(tmp_path / "absent.pdf")


# --- `screener parse` --------------------------------------------------------------------------


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("screener.parse.grobid.DEFAULT_BACKOFF_S", 0.01)


def _run(argv: list[str]) -> int:
    cli = argparse.ArgumentParser(prog="screener")
    add_parse_command(cli.add_subparsers())
    args = cli.parse_args(["parse", *argv])
    return args.handler(args)


def test_parse_command_json_and_errors(
    grobid_server, small_pdf: Path, tmp_path: Path, capsys
) -> None:
    fake = grobid_server(OWN_TEI.encode())
    missing = tmp_path / "missing.pdf"
    code = _run(
        [str(missing), str(small_pdf), "--parser", "grobid", "--grobid-url", fake.url, "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip().splitlines() == [f"{missing}: cannot read file: No such file or directory"]
    doc = Document.model_validate(json.loads(out))
    assert doc.title == "Counting Pebbles with Small Robots"
    assert doc.source == str(small_pdf)


def test_parse_command_human_output(grobid_server, small_pdf: Path, capsys) -> None:
    fake = grobid_server(OWN_TEI.encode())
    code = _run([str(small_pdf), "--parser", "grobid", "--grobid-url", fake.url])
    out, _ = capsys.readouterr()
    assert code == 0
    for expected in (
        "Counting Pebbles with Small Robots",
        "Ada B Lovelock",
        "Introduction",
        "Nested detail",
        "Table 1",
        "references: 2",
        "[1]",
    ):
        assert expected in out


def test_parse_command_no_fallback_flag(small_pdf: Path, capsys, fast_backoff) -> None:
    url = _dead_url()
    code = _run([str(small_pdf), "--parser", "grobid", "--grobid-url", url, "--no-fallback"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.startswith(f"{small_pdf}: GROBID failed (unreachable at {url}")
    assert len(err.strip().splitlines()) == 1


def test_url_without_scheme_is_refused() -> None:
    with pytest.raises(ScreenerError, match="must start with http:// or https://"):
        GrobidParser(url="localhost:8070")


def test_credentials_in_url_never_reach_the_record(small_pdf: Path) -> None:
    url = _dead_url().replace("http://", "http://user:hunter2@")
    doc = _client(url, attempts=1).parse(small_pdf)
    assert "fallback: grobid unreachable" in doc.parser
    assert "hunter2" not in doc.model_dump_json()


@settings(max_examples=150, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=len(OWN_TEI)),
    junk=st.binary(max_size=20),
    where=st.integers(min_value=0, max_value=len(OWN_TEI)),
)
# Found by hypothesis: an XML declaration naming an unknown encoding ("aUTF-8").
@example(cut=len(OWN_TEI), junk=b"a", where=OWN_TEI.find("UTF-8"))
def test_any_mangled_tei_gives_a_document_or_one_clear_error(
    cut: int, junk: bytes, where: int
) -> None:
    data = OWN_TEI.encode()
    data = (data[:where] + junk + data[where:])[: max(cut, 1)]
    try:
        doc = tei_to_document(data, "mangled.tei", "0" * 64)
    except InputError as error:
        assert str(error).startswith("mangled.tei: ")
        assert "\n" not in str(error)
    else:
        assert isinstance(doc, Document)


def test_down_server_is_remembered_for_the_next_paper(grobid_server, small_pdf: Path) -> None:
    fake = grobid_server(OWN_TEI.encode(), alive=False)
    parser = _client(fake.url, attempts=2)
    first = parser.parse(small_pdf)
    assert fake.gets == 2
    second = parser.parse(small_pdf)
    assert fake.gets == 2  # no new health checks: the batch does not wait again per paper
    assert second.parser == first.parser


# --- several GROBID servers -------------------------------------------------------------------


def test_papers_are_spread_over_several_urls_within_their_concurrency(
    grobid_server, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fakes = [grobid_server(OWN_TEI.encode(), script=["slow"]) for _ in range(2)]
    for fake in fakes:
        fake.slow_s = 0.3
    parser = _client(",".join(fake.url for fake in fakes))
    parser.concurrency = 1
    pdfs = [pdfmaker.write_paper(tmp_path / f"p{i}.pdf") for i in range(4)]

    with ThreadPoolExecutor(4) as pool:
        documents = list(pool.map(parser.parse, pdfs))

    assert all(d.parser.startswith("grobid") for d in documents)
    assert [fake.posts for fake in fakes] == [2, 2]
    assert [fake.max_in_flight for fake in fakes] == [1, 1]


def test_a_down_url_hands_its_papers_to_the_others(grobid_server, small_pdf: Path) -> None:
    live = grobid_server(OWN_TEI.encode())
    parser = _client(f"{_dead_url()},{live.url}", attempts=1)
    first, second = parser.parse(small_pdf), parser.parse(small_pdf)
    assert first.parser.startswith("grobid") and second.parser.startswith("grobid")
    assert live.posts == 2


def test_grobid_url_flag_can_be_repeated() -> None:
    from screener.cli import build_parser, settings_from_args

    args = build_parser().parse_args(
        ["screen", "x.pdf", "--grobid-url", "http://a:8070", "--grobid-url", "http://b:8070"]
    )
    assert settings_from_args(args).grobid_url == "http://a:8070,http://b:8070"


def test_fallback_is_said_once_per_run_on_stderr(
    small_pdf: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    from screener.cli import main

    monkeypatch.setenv("SCREENER_GROBID_ATTEMPTS", "1")
    url = _dead_url()
    other = pdfmaker.write_paper(tmp_path / "other.pdf", title="Another Quillfeather Paper")
    code = main(["screen", str(small_pdf), str(other), "--parser", "grobid", "--grobid-url", url])
    assert code == 0
    lines = capsys.readouterr().err.splitlines()
    expected = (
        f"screener: GROBID unreachable at {url}; parsing with PyMuPDF "
        "(use --no-fallback to fail instead)"
    )
    assert lines == [expected]


def test_batch_says_the_fallback_once(small_pdf: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    from screener.batch import BatchOptions, run_batch

    monkeypatch.setenv("SCREENER_GROBID_ATTEMPTS", "1")
    url = _dead_url()
    (tmp_path / "in").mkdir()
    for i in range(3):
        pdfmaker.write_paper(tmp_path / "in" / f"p{i}.pdf", title=f"Quillfeather Paper {i}")
    settings = load_settings(grobid_url=url)
    summary = run_batch(
        BatchOptions(
            inputs=[tmp_path / "in"],
            out=tmp_path / "out",
            parser="grobid",
            workers=1,
            settings=settings,
            progress=False,
        )
    )
    assert summary.screened == 3
    err = capsys.readouterr().err
    assert err.count(f"screener: GROBID unreachable at {url}; parsing with PyMuPDF") == 1
