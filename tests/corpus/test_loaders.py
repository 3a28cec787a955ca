"""Loaders for every supported file type, and what happens to files that cannot be read."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.corpus.loaders import LoadError, load
from assistant.corpus.manifest import ManifestError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.pipeline import read_corpus

PRESS = (
    "Ny satsing på kreftforskning i nord\n\n"
    "Regjeringen styrker kreftforskningen ved universitetssykehusene i Nord-Norge med "
    "nye midler til kliniske studier og persontilpasset behandling.\n\n"
    "Bakgrunn for satsingen\n\n"
    "Antallet pasienter som deltar i kliniske studier skal dobles innen 2035, og "
    "sykehusene i nord skal ha samme tilbud som resten av landet.\n"
)


def pdf_bytes(pages: list[list[str]], stream_filter: bytes = b"") -> bytes:
    """A valid PDF: one Helvetica (WinAnsi) text line per string, one page per list.

    ``stream_filter`` (e.g. ``b"/JBIG2Decode"``) is declared on the content streams
    without encoding them: a structurally sound PDF whose text cannot be decoded.
    """
    count = len(pages)
    font = 3 + 2 * count
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(count)), count),
        font: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for i, lines in enumerate(pages):
        ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
        for line in lines:
            text = line.encode("cp1252")
            text = text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + text + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects[3 + 2 * i] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, 4 + 2 * i)
        )
        declared = b" /Filter " + stream_filter if stream_filter else b""
        objects[4 + 2 * i] = b"<<%s /Length %d >>\nstream\n%s\nendstream" % (
            declared,
            len(stream),
            stream,
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


PDF_PAGES = [
    [
        "Handlingsplan for kreftomsorg",
        "",
        "Kommunene skal tilby koordinert oppfølging av pasienter med kreft,",
        "og fastlegen skal kjenne pasientens behandlingsplan.",
    ],
    [
        "Rehabilitering etter kreft",
        "",
        "Pasienter skal få tilbud om fysisk trening og psykososial støtte",
        "både under og etter behandlingen på sykehuset.",
    ],
    [
        "Pårørende",
        "",
        "Barn som pårørende skal få informasjon tilpasset alder og modenhet,",
        "og helsepersonell skal dokumentere samtalene i journalen.",
    ],
]


def test_pdf_helper_writes_a_pdf_that_pypdf_reads() -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes(PDF_PAGES)), strict=True)
    assert len(reader.pages) == 3
    assert "psykososial støtte" in reader.pages[1].extract_text()


def test_pdf_pages_come_from_the_pdf(make_corpus: Callable[..., Path]) -> None:
    corpus = make_corpus({"handlingsplan.pdf": pdf_bytes(PDF_PAGES)})
    reading = read_corpus(corpus)
    assert reading.skipped == []
    (document,) = reading.documents
    for page, lines in enumerate(PDF_PAGES, start=1):
        at = document.text.index(lines[2])
        assert document.page_at(at) == page, lines[2]
    chunks = chunk_document(document, max_chars=200, min_chars=0)
    assert {c.page for c in chunks} == {1, 2, 3}
    for chunk in chunks:
        assert chunk.page == document.page_at(chunk.start)


def test_pdf_source_text_records_page_starts(tmp_path: Path) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf_bytes(PDF_PAGES))
    source = load(path)
    assert source.format == "pdf"
    assert [page for _, page in source.page_starts] == [1, 2, 3]
    for (start, page), lines in zip(source.page_starts, PDF_PAGES, strict=True):
        assert source.text[start:].startswith(lines[0]), page


def test_txt_file_title_and_headings(make_corpus: Callable[..., Path]) -> None:
    (document,) = read_corpus(make_corpus({"nord-satsing.txt": PRESS})).documents
    assert document.id == "nord-satsing"
    assert document.meta.kind == "hub"  # the default for a file the manifest does not list
    assert document.title == "Ny satsing på kreftforskning i nord"
    assert [s.title for s in document.sections] == [
        "Ny satsing på kreftforskning i nord",
        "Bakgrunn for satsingen",
    ]


def test_markdown_headings_become_sections(make_corpus: Callable[..., Path]) -> None:
    markdown = (
        "# Om nettverket\n\n"
        "Nettverket samler sykehus, forskere og pasientforeninger om kreftforskning.\n\n"
        "## Hva vi gjør\n\n"
        "Vi deler [data og erfaringer](#) på tvers av regionene.\n\n"
        "### Medlemmer\n\n"
        "- Helse Nord\n- Helse Vest\n"
    )
    (document,) = read_corpus(make_corpus({"nettverk.md": markdown})).documents
    assert [s.path_text for s in document.sections] == [
        "Om nettverket",
        "Hva vi gjør",
        "Hva vi gjør › Medlemmer",
    ]
    assert "#" not in document.text
    assert "Vi deler data og erfaringer på tvers av regionene." in document.text


def test_html_headings_become_sections_and_scripts_are_dropped(
    make_corpus: Callable[..., Path],
) -> None:
    html = """<!doctype html>
<html><head><title>Ignorert tittel</title>
<style>body { color: red; }</style>
<script>var sporing = "analytics";</script></head>
<body>
<nav><a href="/">Hjem</a> | <a href="/om">Om oss</a></nav>
<h1>Screening for tarmkreft</h1>
<p>Alle som fyller 55 år får tilbud om tarmscreening &amp; oppfølging.</p>
<h2>Slik foregår undersøkelsen</h2>
<p>Du får en prøvetaker i posten og sender prøven tilbake.</p>
<script>document.write("skjult");</script>
<ul><li>Gratis for deltakeren</li><li>Svar innen tre uker</li></ul>
<footer>Kontakt oss på telefon</footer>
</body></html>
"""
    (document,) = read_corpus(make_corpus({"screening.html": html})).documents
    assert document.title == "Screening for tarmkreft"
    assert [s.title for s in document.sections] == [
        "Screening for tarmkreft",
        "Slik foregår undersøkelsen",
    ]
    text = document.text
    assert "tarmscreening & oppfølging" in text
    assert "Gratis for deltakeren" in text
    for hidden in ("color: red", "analytics", "skjult", "Ignorert tittel", "Om oss", "Kontakt oss"):
        assert hidden not in text


BROKEN = {
    "tom.txt": b"",
    "blank.md": b"  \n\n\t\n",
    "binar.txt": b"\x00\x01\x02\x03PK\x00\x00 binary junk \xff\xfe",
    "latin1.txt": "Kreftstrategi for Nord-Norge og Sør-Norge".encode("latin-1"),
    "oedelagt.pdf": b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n",
    "notat.docx": b"PK\x03\x04 word document",
}
REASON_WORDS = {
    "tom.txt": "empty",
    "blank.md": "empty",
    "binar.txt": "binary",
    "latin1.txt": "UTF-8",
    "oedelagt.pdf": "PDF",
    "notat.docx": "unsupported",
}


def broken_corpus(make_corpus: Callable[..., Path]) -> Path:
    files: dict[str, str | bytes] = {"nord-satsing.txt": PRESS}
    files.update(BROKEN)
    return make_corpus(files)


def test_broken_files_are_reported_and_the_rest_is_ingested(
    make_corpus: Callable[..., Path],
) -> None:
    reading = read_corpus(broken_corpus(make_corpus))
    assert [d.meta.file for d in reading.documents] == ["nord-satsing.txt"]
    reasons = {s.file: s.reason for s in reading.skipped}
    assert set(reasons) == set(BROKEN)
    for name, word in REASON_WORDS.items():
        assert word.lower() in reasons[name].lower(), (name, reasons[name])


def truncated_pdf() -> bytes:
    data = pdf_bytes(PDF_PAGES)
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 8, id="garbage-after-header"),
        pytest.param(truncated_pdf(), id="truncated"),
        pytest.param(pdf_bytes(PDF_PAGES, b"/NoSuchDecode"), id="unknown-stream-filter"),
        pytest.param(pdf_bytes(PDF_PAGES, b"/JBIG2Decode"), id="undecodable-jbig2-stream"),
        pytest.param(b"just some text saved as .pdf", id="not-a-pdf"),
    ],
)
def test_corrupt_pdf_is_skipped_with_a_reason(
    make_corpus: Callable[..., Path], data: bytes
) -> None:
    reading = read_corpus(make_corpus({"nord-satsing.txt": PRESS, "rapport.pdf": data}))
    assert [d.meta.file for d in reading.documents] == ["nord-satsing.txt"]
    assert [s.file for s in reading.skipped] == ["rapport.pdf"]
    assert "pdf" in reading.skipped[0].reason.lower()


def test_load_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tom.txt"
    path.write_bytes(b"")
    with pytest.raises(LoadError, match=r"^tom\.txt: the file is empty$"):
        load(path)


@pytest.mark.slow
def test_ingest_command_names_skipped_files_and_exits_1(
    make_corpus: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_env: None,
) -> None:
    corpus = broken_corpus(make_corpus)
    status = main(["ingest", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    out, err = capsys.readouterr()
    assert status == 1
    assert "Indexed 1 documents" in out
    for name in BROKEN:
        line = next((x for x in err.splitlines() if x.startswith(f"Skipped {name}: ")), None)
        assert line is not None, f"{name} not named in:\n{err}"
        assert REASON_WORDS[name].lower() in line.lower()
    assert f"{len(BROKEN)} file(s) skipped." in err
    assert (tmp_path / "index" / "CURRENT").exists()


@pytest.mark.slow
def test_ingest_command_with_json_summary(
    make_corpus: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_env: None,
) -> None:
    import json

    corpus = make_corpus({"nord-satsing.txt": PRESS, "tom.txt": b""})
    status = main(["ingest", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert status == 1
    assert summary["documents"] == 1
    assert summary["skipped"] == [{"file": "tom.txt", "reason": "the file is empty"}]
    assert summary["chunks"] == summary["embedded"] + summary["from_cache"] > 0


def test_corpus_without_readable_files_is_an_error(
    make_corpus: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_env: None,
) -> None:
    corpus = make_corpus({"tom.txt": b""})
    status = main(["ingest", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert status == 2
    assert "tom.txt: the file is empty" in err
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_manifest_with_invalid_kind_gives_a_clear_error(
    make_corpus: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_env: None,
) -> None:
    manifest = '[documents."nord-satsing.txt"]\nkind = "blogg"\n'
    corpus = make_corpus({"nord-satsing.txt": PRESS}, manifest=manifest)
    with pytest.raises(ManifestError) as caught:
        read_corpus(corpus)
    message = str(caught.value)
    assert 'manifest.toml [documents."nord-satsing.txt"]' in message
    assert "kind must be one of strategy, hub, press" in message

    status = main(["ingest", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip() == f"assistant: {message}"


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('date = "18. desember 2025"', "date must be YYYY, YYYY-MM or YYYY-MM-DD"),
        ('layout = "scan"', "layout must be auto, pdf-text or plain"),
        ('id = "Nord Satsing"', "id must be lower-case letters, digits and '-'"),
        ("kind = 3", "'kind' must be a string"),
    ],
)
def test_other_invalid_manifest_entries_name_the_field(
    make_corpus: Callable[..., Path], entry: str, complaint: str
) -> None:
    corpus = make_corpus(
        {"nord-satsing.txt": PRESS}, manifest=f'[documents."nord-satsing.txt"]\n{entry}\n'
    )
    with pytest.raises(ManifestError, match=r"nord-satsing\.txt") as caught:
        read_corpus(corpus)
    assert complaint in str(caught.value)


def test_manifest_that_is_not_toml(make_corpus: Callable[..., Path]) -> None:
    corpus = make_corpus({"nord-satsing.txt": PRESS}, manifest="[documents\nkind = ")
    with pytest.raises(ManifestError, match=r"manifest\.toml: not valid TOML"):
        read_corpus(corpus)


def test_duplicate_document_id_is_skipped_by_name(make_corpus: Callable[..., Path]) -> None:
    manifest = '[documents."b.txt"]\nid = "a"\n'
    reading = read_corpus(make_corpus({"a.txt": PRESS, "b.txt": PRESS}, manifest=manifest))
    assert [d.meta.file for d in reading.documents] == ["a.txt"]
    (skipped,) = reading.skipped
    assert skipped.file == "b.txt"
    assert "'a'" in skipped.reason
    assert "a.txt" in skipped.reason
