"""A LLaMA-architecture decoder with Ziya2's numerics: RMSNorm, rotary embeddings and softmax in FP32.

Attention is causal and block-diagonal by the batch's `segments`, so documents packed into one row never see each
other, and rotary embeddings take the batch's per-token `positions`, which restart at 0 in every segment.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    vocab_size: int = 32000
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    # LLaMA-2 keeps the output layer apart from the input embeddings; the large configs do too, so LLaMA-2 weights
    # load as they are (Ziya2 continues from LLaMA2-13B). Only the tiny test model ties them: untied, its 32,000-row
    # output layer alone would be most of its parameters.
    tie_embeddings: bool = False

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads


CONFIGS = {
    "tiny": ModelConfig(dim=64, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=176, tie_embeddings=True),
    # TinyLlama's shape
    "1b": ModelConfig(dim=2048, n_layers=22, n_heads=32, n_kv_heads=4, ffn_dim=5632),
    "7b": ModelConfig(dim=4096, n_layers=32, n_heads=32, n_kv_heads=32, ffn_dim=11008),
    "13b": ModelConfig(dim=5120, n_layers=40, n_heads=40, n_kv_heads=40, ffn_dim=13824),
}


def config(name: str, vocab_size: int) -> ModelConfig:
    """A named shape for a tokenizer of `vocab_size` pieces (the batch server's handshake says how many)."""
    if name not in CONFIGS:
        raise ValueError(f"no model config {name!r}; there are {', '.join(CONFIGS)}")
    return replace(CONFIGS[name], vocab_size=vocab_size)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # in FP32 whatever the activations' type: the mean of squares of BF16 values loses the small ones
        x32 = x.float()
        normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (normed * self.weight.float()).to(x.dtype)


def rotary(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """Rotates x [batch, seq, heads, head_dim] by angle position·θ^(-2i/head_dim) on pairs (2i, 2i+1), in FP32.

    The pairs are adjacent, as in Meta's LLaMA code, so its checkpoints' q/k projections need no permutation.
    """
    half = x.shape[-1] // 2
    freqs = theta ** (-torch.arange(half, device=x.device, dtype=torch.float32) / half)
    # in FP32: a BF16 angle at position 4000 is off by up to 16 radians
    angles = positions.to(torch.float32)[..., None, None] * freqs
    cos, sin = angles.cos(), angles.sin()
    pairs = x.float().reshape(*x.shape[:-1], half, 2)
    even, odd = pairs[..., 0], pairs[..., 1]
    rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
    return rotated.flatten(-2).to(x.dtype)


def attention_mask(segments: torch.Tensor) -> torch.Tensor:
    """[batch, 1, seq, seq] booleans, True where query i may attend key j: same segment and j <= i.

    Padding (-1) is a segment of its own too, so every query keeps at least its own key and no softmax row is all -inf.
    """
    seq = segments.shape[-1]
    causal = torch.ones(seq, seq, dtype=torch.bool, device=segments.device).tril()
    same = segments[:, :, None] == segments[:, None, :]
    return (same & causal)[:, None]


def _has_fused_attention() -> bool:
    return hasattr(F, "scaled_dot_product_attention")


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * cfg.head_dim, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_heads * cfg.head_dim, cfg.dim, bias=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor, fused: bool) -> torch.Tensor:
        b, t, _ = x.shape
        cfg = self.cfg
        q = rotary(self.wq(x).view(b, t, cfg.n_heads, cfg.head_dim), positions, cfg.rope_theta)
        k = rotary(self.wk(x).view(b, t, cfg.n_kv_heads, cfg.head_dim), positions, cfg.rope_theta)
        v = self.wv(x).view(b, t, cfg.n_kv_heads, cfg.head_dim)
        # grouped-query attention: each key/value head serves n_heads / n_kv_heads query heads
        repeat = cfg.n_heads // cfg.n_kv_heads
        q, k, v = q.transpose(1, 2), k.repeat_interleave(repeat, 2).transpose(1, 2), v.repeat_interleave(repeat, 2).transpose(1, 2)
        if fused:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            scores = (q @ k.transpose(-2, -1)).float() / math.sqrt(cfg.head_dim)
            probs = scores.masked_fill(~mask, float("-inf")).softmax(-1)
            out = probs.to(v.dtype) @ v
        return self.wo(out.transpose(1, 2).reshape(b, t, -1))


class MLP(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.w1 = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w2 = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)
        self.w3 = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attention_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attention = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.feed_forward = MLP(cfg)

    def forward(self, x: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor, fused: bool) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x), positions, mask, fused)
        return x + self.feed_forward(self.ffn_norm(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.output = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        self.apply(_init)
        if cfg.tie_embeddings:
            self.output.weight = self.tok_embeddings.weight

    def forward(self, tokens: torch.Tensor, segments: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Logits [batch, seq, vocab] in FP32 for token ids, segments and positions, each [batch, seq]."""
        mask = attention_mask(segments)
        # PyTorch's fused kernel on CUDA where it has one (2.0 on; its softmax accumulates in FP32); otherwise,
        # and on 1.13, the explicit FP32 softmax
        fused = tokens.is_cuda and _has_fused_attention()
        x = self.tok_embeddings(tokens)
        for layer in self.layers:
            x = layer(x, positions, mask, fused)
        return self.output(self.norm(x)).float()


def _init(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)


def matmul_params(model: Transformer) -> int:
    """Parameters that take part in a matrix multiply per token: every linear layer, the output layer included
    (the input embedding is a lookup). This is the N of 6·N FLOPs per token."""
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))


def flops_per_token(model: Transformer, seq_len: int) -> float:
    """Training FLOPs per token, PaLM's (Chowdhery et al. 2022, appendix B): 6·N + 12·L·d·T, the second term being
    the attention scores and weighted values (2·2·T·d a layer forward, 3x that with the backward pass) over the
    full sequence length T, as if unmasked, so MFU figures compare with others'."""
    cfg = model.cfg
    return 6 * matmul_params(model) + 12 * cfg.n_layers * cfg.dim * seq_len
