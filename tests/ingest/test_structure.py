"""Structure of the real documents: goals, boxes, chapters, headings and chunk boundaries.

The expected titles below were read off the numbered sections of
corpus/felles-innsats-mot-kreft-2025-2035.txt by hand (not off the overview
box "Boks 1.2", whose wording differs in places); they are the gold standard.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.index.store import LoadedIndex
from assistant.ingest.chunking import chunk_document
from assistant.ingest.document import Document
from assistant.ingest.goals import GoalRegistry
from assistant.ingest.pipeline import CorpusReading, read_corpus

MALOMRADER = {
    1: "Norge skal være et foregangsland innen kreftforebygging og tidlig oppdagelse",
    2: "Norge skal være et foregangsland for gode pasientforløp",
    3: "En mer brukerorientert kreftomsorg",
    4: "Flere skal overleve og leve lenger med kreft og etter kreft",
    5: "Best mulig livskvalitet for pasienter med kreft og deres pårørende",
}

TIARSMAL = {
    1: "Legge til rette for at de som er født etter 2010, blir tobakks- og nikotinfrie, "
    "og tilby hjelp til røykeslutt",
    2: "Eliminere livmorhalskreft og annen kreft forårsaket av HPV",
    3: "Tilby mer presise screeningprogrammer med høy oppslutning, med mål om å innføre "
    "screeningprogrammer for blant annet lungekreft og prostatakreft",
    4: "Kreft diagnostiseres på et tidligere stadium enn i dag for kreftformer der dette "
    "har betydning for prognosen",
    5: "Reduksjon av arbeidsrelatert kreft gjennom styrket systematisk HMS-arbeid",
    6: "Alle pasienter med kreft skal ha tilgang til et Comprehensive Cancer Centre eller "
    "et Cancer Centre",
    7: "Pasienter med kreft er inkludert i pakkeforløp hjem for pasienter med kreft",
    8: "Alle pasienter med kreft som ønsker det, og deres pårørende skal få tilbud om "
    "individuell, digital oversikt over pasientforløp og digital hjemmeoppfølging",
    9: "Pasienter med kreft har verktøy for medvirkning og samvalg, og data fra disse "
    "verktøyene brukes til å forbedre tjenesten",
    10: "Gå fra kalenderstyrte til behovsstyrte kontroller der det er forsvarlig og til "
    "beste for pasienten",
    11: "Alle pasienter skal få rett behandling og oppfølging til rett tid gjennom god "
    "prehabilitering og gode prioriteringer",
    12: "Alle med kreft skal, når det er relevant for behandlingsvalg, få tilbud om gentest "
    "som en del av en utvikling for å bidra til å gjøre Norge ledende innenfor "
    "presisjonsmedisin",
    13: "Det skal opprettes en katapult innenfor helseområdet",
    14: "Norsk kreftforskning skal være verdensledende",
    15: "Antall kreftpasienter som deltar i kliniske studier, skal dobles",
    16: "Alle pasienter med kreft som ønsker det, skal kunne kombinere behandling og arbeid "
    "eller utdanning",
    17: "Det skal gis helhetlig støtte til pårørende som en del av kreftomsorgen",
}

MALOMRADE_OF = dict.fromkeys(range(1, 6), 1) | {6: 2, 7: 2, 8: 3, 9: 3, 10: 3}
MALOMRADE_OF |= dict.fromkeys(range(11, 16), 4) | {16: 5, 17: 5}

BOXES = {
    "1.1": "Tidligere planer og strategier innen kreftområdet",
    "1.2": "Oversikt over tiårsmål i kreftstrategien",
    "1.3": "Pakkeforløp hjem for pasienter med kreft",
    "1.4": "Gentest",
    "1.5": "Katapult på helseområdet",
}

CHAPTERS = [
    "Forord fra helse- og omsorgsministeren",
    "Forord fra Kreftforeningen",
    "Vi trenger en ny kreftstrategi",
    "Prinsipper for strategien",
    "Oppfølging av strategien",
    "Nasjonale mål",
]


@pytest.fixture(scope="module")
def goals(corpus_reading: CorpusReading) -> GoalRegistry:
    return GoalRegistry.from_documents(corpus_reading.documents)


def sections_of_kind(document: Document, kind: str) -> dict[str, str]:
    return {s.number or "": s.title for s in document.sections if s.kind == kind}


def test_all_five_malomrader_with_their_titles(strategy: Document, goals: GoalRegistry) -> None:
    assert sections_of_kind(strategy, "malomrade") == {str(n): t for n, t in MALOMRADER.items()}
    assert {m.number: m.title for m in goals.malomrader} == MALOMRADER


def test_all_seventeen_tiarsmal_with_their_titles(strategy: Document, goals: GoalRegistry) -> None:
    assert sections_of_kind(strategy, "tiarsmal") == {str(n): t for n, t in TIARSMAL.items()}
    assert {t.number: t.title for t in goals.tiarsmal} == TIARSMAL


def test_each_tiarsmal_belongs_to_its_malomrade(strategy: Document, goals: GoalRegistry) -> None:
    assert {t.number: t.malomrade for t in goals.tiarsmal} == MALOMRADE_OF
    for section in strategy.sections:
        if section.kind == "tiarsmal":
            assert section.path[0] == f"Målområde {MALOMRADE_OF[int(section.number or 0)]}"
    for number in MALOMRADER:
        expected = sorted(n for n, m in MALOMRADE_OF.items() if m == number)
        assert [t.number for t in goals.goals_in(number)] == expected


def test_goal_spans_nest(goals: GoalRegistry) -> None:
    """A målområde's span holds its tiårsmål's spans; goals do not overlap."""
    for goal in goals.tiarsmal:
        area = goals.malomrade(goal.malomrade or 0)
        assert area is not None
        assert area.start <= goal.start < goal.end <= area.end, goal.number
    ordered = sorted(goals.tiarsmal, key=lambda t: t.start)
    assert [t.number for t in ordered] == sorted(TIARSMAL)
    for a, b in itertools.pairwise(ordered):
        assert a.end <= b.start


def test_section_path_of_a_tiarsmal(strategy: Document) -> None:
    section = next(s for s in strategy.sections if s.kind == "tiarsmal" and s.number == "2")
    assert section.path_text == (
        "Målområde 1 › Tiårsmål 2: Eliminere livmorhalskreft og annen kreft forårsaket av HPV"
    )


def test_overview_box_is_not_a_source_of_sections(strategy: Document) -> None:
    box = next(s for s in strategy.sections if s.kind == "box" and s.number == "1.2")
    goal_sections = [s for s in strategy.sections if s.kind in ("malomrade", "tiarsmal")]
    assert len(goal_sections) == len(MALOMRADER) + len(TIARSMAL)
    assert all(s.start >= box.end for s in goal_sections)
    # the box's own text is still there, under the box
    overview_line = "Målområde 2: Norge skal være et foregangsland for gode pasientforløp"
    at = strategy.text.index(overview_line)
    assert box.start <= at < box.end


def test_boxes_are_found(strategy: Document) -> None:
    assert sections_of_kind(strategy, "box") == BOXES
    box = next(s for s in strategy.sections if s.kind == "box" and s.number == "1.4")
    assert box.path[-1] == "Boks 1.4 Gentest"


def test_forewords_and_chapters_are_found(strategy: Document) -> None:
    chapters = [s.title for s in strategy.sections if s.kind == "chapter"]
    assert chapters == CHAPTERS
    foreword = next(s for s in strategy.sections if s.title == CHAPTERS[0])
    assert (
        strategy.text[foreword.body_start :]
        .lstrip()
        .startswith("Denne strategien skal legge grunnlaget")
    )


def test_sub_headings_inside_goals(strategy: Document) -> None:
    paths = [s.path_text for s in strategy.sections if s.kind == "heading"]
    assert "Målområde 1 › Innsatsen for å redusere risikofaktorer" in paths
    assert any(p.endswith("› Tiårsmål 3: " + TIARSMAL[3] + " › Lungekreftscreening") for p in paths)
    assert any(p.endswith("› Prostatakreftscreening") for p in paths)


def test_hub_page_headings(documents: dict[str, Document]) -> None:
    hub = documents["hub-om"]
    paths = [s.path_text for s in hub.sections]
    assert paths[0] == "Om Cancer Mission Hub Norway"
    for path in (
        "Hva vil huben oppnå?",
        "Partnere i huben",
        "Strategisk koordineringsgruppe",
        "Strategisk koordineringsgruppe › Kreftforeningen",
        "Strategisk koordineringsgruppe › Helsedirektoratet",
        "Strategisk koordineringsgruppe › Oslo Cancer Cluster",
        "Strategisk koordineringsgruppe › Nasjonalt senter for e-helseforskning",
    ):
        assert path in paths
    assert not any("**" in s.title or "#" in s.title for s in hub.sections)


@pytest.mark.parametrize(
    ("document_id", "headings"),
    [
        ("hod-pressemelding-2013", ["Partnerskap mot kreft"]),
        ("hub-toppledermote-2024", ["- Vi har samme mål som EU", "Ny tiårig kreftstrategi"]),
    ],
)
def test_press_headings(
    documents: dict[str, Document], document_id: str, headings: list[str]
) -> None:
    document = documents[document_id]
    assert [s.title for s in document.sections[1:]] == headings
    assert document.sections[0].start == 0


def test_sections_tile_each_document(documents: dict[str, Document]) -> None:
    """Sections follow each other without gaps or overlaps and cover the whole text."""
    for document in documents.values():
        sections = document.sections
        assert sections[0].start == 0, document.id
        assert sections[-1].end == len(document.text), document.id
        for a, b in itertools.pairwise(sections):
            assert a.end == b.start, (document.id, a.title, b.title)
        for s in sections:
            assert s.start <= s.body_start <= s.end


def test_chunks_never_straddle_two_sections(
    documents: dict[str, Document], loaded_index: LoadedIndex
) -> None:
    sections = {s.id: s for d in documents.values() for s in d.sections}
    for chunk in loaded_index.chunks:
        section = sections[chunk.section_id]
        assert section.start <= chunk.start < chunk.end <= section.end, chunk.id
        assert chunk.section == section.path_text


def test_chunk_text_is_an_exact_slice(
    documents: dict[str, Document], loaded_index: LoadedIndex
) -> None:
    for chunk in loaded_index.chunks:
        assert chunk.text == documents[chunk.document_id].text[chunk.start : chunk.end]
        assert chunk.text.strip() == chunk.text


def test_chunks_cover_all_text(documents: dict[str, Document], loaded_index: LoadedIndex) -> None:
    """No sentence of a document is left out of every chunk."""
    for document in documents.values():
        covered = bytearray(len(document.text))
        for chunk in loaded_index.chunks:
            if chunk.document_id == document.id:
                covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
        left_out = "".join(ch for ch, hit in zip(document.text, covered, strict=True) if not hit)
        assert not left_out.strip(), (document.id, left_out.strip()[:80])


def test_chunks_carry_their_goal_numbers(loaded_index: LoadedIndex) -> None:
    for chunk in loaded_index.chunks:
        if "Tiårsmål " in chunk.section:
            number = int(chunk.section.split("Tiårsmål ")[1].split(":")[0])
            assert chunk.tiarsmal == number, chunk.id
            assert chunk.malomrade == MALOMRADE_OF[number], chunk.id
        elif not chunk.section.startswith("Målområde "):
            assert (chunk.tiarsmal, chunk.malomrade) == (None, None), chunk.id


def sentence(n: int, length: int) -> str:
    """A Norwegian-looking sentence of exactly ``length`` characters."""
    words = f"Setning {n} handler om oppfølging av pasienter med kreft i kommunene"
    text = (words + " og ") * (length // len(words) + 1)
    return text[: length - 1].rstrip().ljust(length - 1, "x") + "."


def test_long_paragraph_is_cut_between_sentences_within_max_chars(
    make_corpus: Callable[..., Path],
) -> None:
    """Three 500-char sentences and max_chars=900: a cut after each sentence fits."""
    paragraph = " ".join(sentence(n, 500) for n in range(3))
    corpus = make_corpus({"notat.txt": f"Notat om oppfølging\n\n{paragraph}\n"})
    (document,) = read_corpus(corpus).documents
    chunks = chunk_document(document, max_chars=900, min_chars=200)
    assert " ".join(c.text for c in chunks).split() == document.text.split()
    for chunk in chunks:
        assert len(chunk.text) <= 900, (chunk.id, len(chunk.text))
        assert chunk.text.endswith("."), chunk.id


def test_fixed_window_baseline_also_slices_exactly(documents: dict[str, Document]) -> None:
    for document in documents.values():
        chunks = chunk_document(document, max_chars=400, structure=False)
        assert chunks
        for chunk in chunks:
            assert chunk.text == document.text[chunk.start : chunk.end]
            assert len(chunk.text) <= 400


def test_goals_command_prints_the_registry(
    index_dir: Path, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    status = main(["goals", "--json", "--index", str(index_dir)])
    registry = json.loads(capsys.readouterr().out)
    assert status == 0
    assert {m["number"]: m["title"] for m in registry["malomrader"]} == MALOMRADER
    assert {t["number"]: t["title"] for t in registry["tiarsmal"]} == TIARSMAL
    assert {t["number"]: t["malomrade"] for t in registry["tiarsmal"]} == MALOMRADE_OF
    assert next(t for t in registry["tiarsmal"] if t["number"] == 2)["page"] == 17


def test_goals_command_as_text(
    index_dir: Path, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    assert main(["goals", "--index", str(index_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Målområde 1: {MALOMRADER[1]} (s. 14)"
    assert f"  Tiårsmål 2: {TIARSMAL[2]} (s. 17)" in lines
    assert sum(line.startswith("Målområde ") for line in lines) == 5
    assert sum(line.startswith("  Tiårsmål ") for line in lines) == 17


def test_goals_command_without_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_env: None
) -> None:
    assert main(["goals", "--index", str(tmp_path / "none")]) == 2
    assert "assistant ingest" in capsys.readouterr().err
