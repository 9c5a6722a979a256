import pytest
import torch

from sluice_core.model import RMSNorm, Transformer, config, rotary


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Transformer(config("tiny", 1000)).eval()


def row(*segment_lengths, pad=0):
    """segments and positions [1, seq] for consecutive segments of the given lengths, then padding."""
    segments = [s for s, n in enumerate(segment_lengths) for _ in range(n)] + [-1] * pad
    positions = [p for n in segment_lengths for p in range(n)] + list(range(pad))
    return torch.tensor([segments]), torch.tensor([positions])


@torch.no_grad()
def test_a_segment_never_sees_another_and_its_positions_restart(model):
    segments, positions = row(20, 12, pad=4)
    tokens = torch.randint(0, 1000, (1, 36))
    logits = model(tokens, segments, positions)
    changed = tokens.clone()
    changed[0, :20] = torch.randint(0, 1000, (20,))
    after = model(changed, segments, positions)
    assert not torch.allclose(after[0, :20], logits[0, :20])
    assert torch.allclose(after[0, 20:32], logits[0, 20:32], atol=1e-6)
    # segment 1 alone at the start of a row gives the same logits: nothing of segment 0 leaks in, not even its length
    alone_segments, alone_positions = row(12)
    alone = model(tokens[:, 20:32], alone_segments, alone_positions)
    assert torch.allclose(alone[0], logits[0, 20:32], atol=1e-5)
    assert torch.isfinite(logits).all()


@torch.no_grad()
def test_attention_is_causal_within_a_segment(model):
    segments, positions = row(24)
    tokens = torch.randint(0, 1000, (1, 24))
    logits = model(tokens, segments, positions)
    changed = tokens.clone()
    changed[0, 10] = (tokens[0, 10] + 1) % 1000
    after = model(changed, segments, positions)
    assert torch.allclose(after[0, :10], logits[0, :10], atol=1e-6)
    assert not torch.allclose(after[0, 10:], logits[0, 10:])


def test_rms_norm_computes_in_fp32_for_bf16_inputs(monkeypatch):
    seen = []
    rsqrt = torch.rsqrt
    monkeypatch.setattr(torch, "rsqrt", lambda x: seen.append(x.dtype) or rsqrt(x))
    x = torch.randn(4, 64, dtype=torch.bfloat16)
    out = RMSNorm(64, 1e-5)(x)
    assert seen == [torch.float32]
    assert out.dtype == torch.bfloat16
    reference = x.double() * (x.double().pow(2).mean(-1, keepdim=True) + 1e-5).rsqrt()
    assert torch.allclose(out.double(), reference, rtol=1e-2, atol=1e-2)


def test_rotary_angles_are_fp32_at_long_positions():
    # at position 30,000 a BF16 angle is off by up to 64 radians; the output may only be off by BF16 rounding
    x = torch.randn(1, 4, 2, 64)
    positions = torch.tensor([[30001, 30002, 30003, 30004]])
    out = rotary(x.to(torch.bfloat16), positions, 10000.0)
    freqs = 10000.0 ** (-torch.arange(32, dtype=torch.float64) / 32)
    angles = positions.double()[..., None, None] * freqs
    even, odd = x.double()[..., 0::2], x.double()[..., 1::2]
    reference = torch.stack((even * angles.cos() - odd * angles.sin(), even * angles.sin() + odd * angles.cos()), -1).flatten(-2)
    assert out.dtype == torch.bfloat16
    assert (out.double() - reference).abs().max() < 0.05


def test_attention_softmax_is_fp32_in_a_bf16_model(monkeypatch):
    seen = []
    softmax = torch.Tensor.softmax
    monkeypatch.setattr(torch.Tensor, "softmax", lambda self, *a, **k: seen.append(self.dtype) or softmax(self, *a, **k))
    torch.manual_seed(0)
    model = Transformer(config("tiny", 100)).to(torch.bfloat16)
    segments, positions = row(5, 3)
    with torch.no_grad():
        logits = model(torch.randint(0, 100, (1, 8)), segments, positions)
    assert seen == [torch.float32] * model.cfg.n_layers
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()


def test_configs_have_llama_shapes():
    def params(name):
        cfg = config(name, 32000)
        attention = cfg.dim * cfg.head_dim * (2 * cfg.n_heads + 2 * cfg.n_kv_heads)
        per_layer = attention + 3 * cfg.dim * cfg.ffn_dim + 2 * cfg.dim
        return cfg.n_layers * per_layer + cfg.vocab_size * cfg.dim * (1 if cfg.tie_embeddings else 2) + cfg.dim
    assert params("tiny") == sum(p.numel() for p in Transformer(config("tiny", 32000)).parameters())
    assert round(params("1b") / 1e9, 2) == 1.10
    assert round(params("7b") / 1e9, 2) == 6.74
    assert round(params("13b") / 1e9, 2) == 13.02
