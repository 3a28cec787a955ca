"""Heading → content units: a short section is quoted whole, its heading included (real index)."""

from __future__ import annotations

import pytest

from assistant.index.store import LoadedIndex


def _heading_units(index: LoadedIndex, document_id: str) -> dict[str, str]:
    """Each heading unit of a document, by the section it quotes: its text."""
    doc = index.documents[document_id]
    out = {}
    for unit in index.evidence:
        if unit.kind != "heading" or index.chunks[unit.chunk].document_id != document_id:
            continue
        section = doc.section_at(unit.start)
        assert section is not None
        out[section.path_text] = doc.text[unit.start : unit.end]
    return out


@pytest.mark.parametrize(
    ("section", "quoted"),
    [
        # one name under a heading too short to be a sentence unit of its own
        ("Strategisk koordineringsgruppe › SINTEF", "SINTEF\n\nØystein Risa"),
        ("Strategisk koordineringsgruppe › STAMI", "STAMI\n\nKarl-Christian Nordby, Shan Nauri"),
        # one name under a longer heading (it always was a unit)
        ("Strategisk koordineringsgruppe › Forskningsrådet", "Forskningsrådet\n\nOle Johan Borge"),
        # several names
        (
            "Strategisk koordineringsgruppe › Helsedirektoratet",
            "Helsedirektoratet\n\nSigurd Røtnes\n\nSissi Leyell Espetvedt",
        ),
    ],
)
def test_an_organisation_is_quoted_with_its_representatives(
    loaded_index: LoadedIndex, section: str, quoted: str
) -> None:
    assert _heading_units(loaded_index, "hub-om")[section] == quoted


def test_a_heading_over_prose_is_no_block(loaded_index: LoadedIndex) -> None:
    """Prose under a heading is quoted sentence by sentence (lines past 160 characters)."""
    doc = loaded_index.documents["hub-om"]
    blocks = _heading_units(loaded_index, "hub-om")
    for section in doc.sections:
        body = doc.text[section.body_start : section.end]
        if any(len(line) > 160 for line in body.split("\n")):
            assert section.path_text not in blocks
