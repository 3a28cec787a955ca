"""Cleaning on the real corpus: line joins, boilerplate, odd spaces and the source map."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.corpus.cleaning import Vocabulary
from assistant.ingest.document import Document
from assistant.ingest.pipeline import read_corpus

STRATEGY_FILE = "felles-innsats-mot-kreft-2025-2035.txt"
ODD_SPACES = "\u00a0\u2002\u2003\u2007\u2009\u202f\t"


def raw_lines(corpus_dir: Path, file_name: str) -> list[str]:
    return (corpus_dir / file_name).read_text(encoding="utf-8").split("\n")


def locate(document: Document, phrase: str) -> tuple[int, int]:
    """Start and end of the only occurrence of ``phrase`` in the cleaned text."""
    assert document.text.count(phrase) == 1, f"{phrase!r} should occur exactly once"
    start = document.text.index(phrase)
    return start, start + len(phrase)


# Each phrase holds a word that the PDF extraction split over two lines without a
# hyphen ("Livmorhals" / "programmet"); the source line numbers are where it was split.
SPLIT_WORDS = [
    ("Livmorhalsprogrammet", "screeningprogrammer i Norge: Livmorhalsprogrammet, Mammografi", 498),
    ("pakkeforløp", "anbefalte forløpstider, pakkeforløp for kreft, skal bidra", 673),
    ("aldersgruppen", "mens andelen i aldersgruppen 25–34 år er 37 prosent", 410),
    ("helseregistrene", "de andre nasjonale helseregistrene i Folkehelseinstituttet", 1118),
    ("krefttilfeller", "oppdages over 38 000 nye krefttilfeller i Norge", 63),
]


@pytest.mark.parametrize(("word", "phrase", "line"), SPLIT_WORDS)
def test_word_split_over_a_line_break_is_joined(
    strategy: Document, corpus_dir: Path, word: str, phrase: str, line: int
) -> None:
    start, _end = locate(strategy, phrase)
    at = start + phrase.index(word)
    span = strategy.source_map.span(at, at + len(word))
    # The joined word really is the one that was split across lines in the file.
    assert (span["line_start"], span["line_end"]) == (line, line + 1)
    head = raw_lines(corpus_dir, STRATEGY_FILE)[line - 1].rstrip()
    assert word.startswith(head.split()[-1])
    # And no broken form of it is left anywhere in the cleaned text.
    for cut in range(2, len(word) - 1):
        assert f"{word[:cut]} {word[cut:]}" not in strategy.text


@pytest.mark.parametrize(
    ("phrase", "line"),
    [
        ("Å følge solrådene vil redusere risikoen", 359),
        ("Digitale løsninger vil kunne bidra med beslutningsstøtte", 817),
        ("og den vil styrke dagens katapulttilbud", 1084),
        ("Ofte vil pårørende ha en viktig rolle", 1194),
    ],
)
def test_ordinary_line_wrap_keeps_the_space(strategy: Document, phrase: str, line: int) -> None:
    start, end = locate(strategy, phrase)
    span = strategy.source_map.span(start, end)
    assert (span["line_start"], span["line_end"]) == (line, line + 1)
    assert "vilredusere" not in strategy.text
    assert "vilkunne" not in strategy.text


def test_hyphenated_line_break_keeps_the_hyphen(strategy: Document) -> None:
    start, end = locate(strategy, "oppslutning om HPV-vaksinasjon hos jenter")
    span = strategy.source_map.span(start, end)
    assert span["line_end"] == span["line_start"] + 1
    assert "HPV- vaksinasjon" not in strategy.text
    assert "HMS-arbeid i virksomhetene" in strategy.text
    assert "HMS- arbeid" not in strategy.text


def test_suspended_compound_keeps_its_space(strategy: Document) -> None:
    """'tobakks- og nikotinfrie' is two words; the line break after 'tobakks-' is a wrap."""
    assert "blir tobakks- og nikotinfrie, og tilby hjelp til røykeslutt" in strategy.text
    assert "tobakks-og" not in strategy.text
    assert "ikke skal bruke tobakks- og nikotinprodukter" in strategy.text


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Meldinger ved utskriftstidspunkt",
        "Det ble ikke vist noen globale meldinger",
        "](#)",
        "Historisk arkiv",
        "Følg oss på",
    ],
)
def test_print_boilerplate_is_dropped(
    documents: dict[str, Document], corpus_dir: Path, boilerplate: str
) -> None:
    in_files = [
        p.name for p in corpus_dir.iterdir() if boilerplate in p.read_text(encoding="utf-8")
    ]
    assert in_files, "the corpus should contain this boilerplate, or the test proves nothing"
    for document in documents.values():
        assert boilerplate not in document.text, document.id


def test_inline_link_keeps_its_text(documents: dict[str, Document]) -> None:
    text = documents["hub-toppledermote-2024"].text
    assert "Dagens Medisin siterte helse- og omsorgsministeren slik" in text
    assert "[Dagens Medisin]" not in text


def test_link_only_lines_are_dropped(documents: dict[str, Document]) -> None:
    assert "Les mer om toppledermøtet her" not in documents["kf-ccc-bevilgning-2025"].text
    assert "Les mer om hva som skal til" not in documents["hub-om"].text


def test_repeated_teaser_paragraph_appears_once(documents: dict[str, Document]) -> None:
    text = documents["hod-pressemelding-2013"].text
    assert text.count("Den nye kreftstrategien skal gjøre norsk kreftomsorg enda bedre") == 1
    # the full paragraph, not the teaser, is the one kept
    assert "Det sa helse- og omsorgsminister Jonas Gahr Støre da han tirsdag lanserte" in text


def test_no_odd_spaces_are_left(documents: dict[str, Document], corpus_dir: Path) -> None:
    assert "\u00a0" in (corpus_dir / STRATEGY_FILE).read_text(encoding="utf-8")
    for document in documents.values():
        assert not set(ODD_SPACES) & set(document.text), document.id
        assert "  " not in document.text, document.id


def test_source_map_points_to_the_heading_line(strategy: Document, corpus_dir: Path) -> None:
    section = next(s for s in strategy.sections if s.kind == "tiarsmal" and s.number == "2")
    heading = "Tiårsmål 2"
    assert strategy.text[section.start : section.start + len(heading)] == heading
    span = strategy.source_map.span(section.start, section.start + len(heading))
    assert span["line_start"] == span["line_end"]
    assert raw_lines(corpus_dir, STRATEGY_FILE)[span["line_start"] - 1].strip() == heading
    raw = (corpus_dir / STRATEGY_FILE).read_text(encoding="utf-8")
    assert raw[span["source_start"] : span["source_end"]] == heading


def test_source_offsets_slice_the_file_to_the_same_text(
    strategy: Document, corpus_dir: Path
) -> None:
    """A span from a single source line slices the raw file to the same characters."""
    raw = (corpus_dir / STRATEGY_FILE).read_text(encoding="utf-8")
    title = "Eliminere livmorhalskreft og annen kreft forårsaket av HPV"
    section = next(s for s in strategy.sections if s.kind == "tiarsmal" and s.number == "2")
    start = strategy.text.index(title, section.start)
    span = strategy.source_map.span(start, start + len(title))
    assert span["line_start"] == span["line_end"]
    source = raw[span["source_start"] : span["source_end"]]
    assert source.translate(str.maketrans(ODD_SPACES, " " * len(ODD_SPACES))) == title


@pytest.mark.slow
def test_every_cleaned_character_maps_to_the_same_character_in_the_file(
    documents: dict[str, Document], corpus_dir: Path
) -> None:
    for document in documents.values():
        raw = (corpus_dir / document.meta.file).read_text(encoding="utf-8")
        for offset, char in enumerate(document.text):
            if char.isspace():
                continue
            source = document.source_map.to_source(offset)
            assert raw[source] == char, (
                document.id,
                offset,
                document.text[offset - 20 : offset + 20],
            )


def test_joining_in_a_small_corpus_follows_its_vocabulary(
    make_corpus: Callable[..., Path],
) -> None:
    corpus = make_corpus(
        {
            "notat.txt": (
                "Notat om screening\n\n"
                "I Norge er det etablert flere nasjonale screeningprogram, blant dem Livmorhals\n"
                "programmet, som er godt utbygd, og tiltakene vil redusere\n"
                "risikoen. Mange av tiltakene i programmet vil\n"
                "redusere risikoen for kreft ytterligere i årene som kommer.\n"
            )
        }
    )
    (document,) = read_corpus(corpus).documents
    assert "blant dem Livmorhalsprogrammet, som er godt utbygd" in document.text
    assert "i programmet vil redusere risikoen for kreft" in document.text


class TestVocabulary:
    def test_known_joined_word_is_joined(self) -> None:
        vocabulary = Vocabulary()
        vocabulary.add_text("Livmorhalsprogrammet inviterer kvinner mellom 25 og 69 år.")
        assert vocabulary.should_join("Livmorhals", "programmet")

    def test_pair_seen_as_two_words_keeps_the_space(self) -> None:
        vocabulary = Vocabulary()
        vocabulary.add_text("Tiltakene vil redusere risikoen.")
        assert not vocabulary.should_join("vil", "redusere")

    def test_known_joined_word_wins_over_a_seen_pair(self) -> None:
        vocabulary = Vocabulary()
        vocabulary.add_text("screening programmet\nscreeningprogrammet")
        assert vocabulary.should_join("screening", "programmet")

    def test_unseen_pair_is_joined(self) -> None:
        vocabulary = Vocabulary()
        vocabulary.add_text("Noe helt annet.")
        assert vocabulary.should_join("kreft", "tilfeller")

    def test_pairs_are_counted_within_lines_only(self) -> None:
        vocabulary = Vocabulary()
        vocabulary.add_text("tiltak som vil\nredusere")
        assert vocabulary.should_join("vil", "redusere")

    def test_case_does_not_matter(self) -> None:
        vocabulary = Vocabulary()
        vocabulary.add_text("vi vil Redusere risikoen")
        assert not vocabulary.should_join("VIL", "redusere")
        vocabulary.add_text("PAKKEFORLØP")
        assert vocabulary.should_join("Pakke", "forløp")


def test_words_are_whole_words() -> None:
    """Vocabulary tokens are words, not digits or punctuation."""
    vocabulary = Vocabulary()
    vocabulary.add_text("HPV-vaksinasjon, 2025 og 16–24 år.")
    assert set(vocabulary.words) == {"hpv-vaksinasjon", "og", "år"}
    assert all(re.fullmatch(r"[^\W\d_]+(-[^\W\d_]+)*", w) for w in vocabulary.words)
