"""The model core's throughput on fixed steps, without a batch server: tokens/s and MFU of forward, backward and
AdamW on a model config (issue 8's GPU benchmark; on the CPU with the tiny config it is a smoke run).

    python3 bench_gpu.py --config 1b --seq-len 2048 --micro-batch 4 --steps 20
    python3 bench_gpu.py --config tiny --recorded dump.jsonl   # batches of `sluice train --dry-run --dump n --json`

Generated batches pack documents of random lengths (mean --mean-doc tokens) with restarting positions, so the
segment-block-diagonal attention does the same work as on real data; the first --warmup steps are not timed.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from sluice_core.model import Transformer, config, flops_per_token
from sluice_core.train import COLUMNS, autocast_for, forward, optimizer, peak_flops, update


def generated(rng: np.random.Generator, micro_batch: int, seq_len: int, vocab: int, mean_doc: int) -> dict:
    segments = np.empty((micro_batch, seq_len), dtype=np.int64)
    positions = np.empty_like(segments)
    for row in range(micro_batch):
        start, doc = 0, 0
        while start < seq_len:
            end = min(seq_len, start + int(rng.geometric(1 / mean_doc)))
            segments[row, start:end], positions[row, start:end] = doc, np.arange(end - start)
            start, doc = end, doc + 1
    tokens = rng.integers(0, vocab, size=segments.shape)
    return {"tokens": tokens, "segments": segments, "positions": positions, "loss_mask": np.ones_like(tokens)}


def recorded(path: str) -> list[dict]:
    names = {"tokens": "tokens", "segments": "segments", "positions": "positions", "loss_mask": "lossMask"}
    steps = [json.loads(line)["rows"] for line in open(path, encoding="utf-8")]
    return [{col: np.array([r[key] for r in rows], dtype=np.int64) for col, key in names.items()} for rows in steps]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default="1b")
    p.add_argument("--vocab", type=int, default=32000)
    p.add_argument("--seq-len", type=int, default=2048)
    p.add_argument("--micro-batch", type=int, default=4)
    p.add_argument("--mean-doc", type=int, default=512, help="mean document length of generated batches")
    p.add_argument("--recorded", help="JSON lines of `sluice train --dry-run --dump n --json` instead of generated batches")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--peak-tflops", type=float, help="the device's peak for MFU (default: known GPUs only)")
    args = p.parse_args()

    device = torch.device(args.device)
    rng = np.random.default_rng(0)
    batches = recorded(args.recorded) if args.recorded else [
        generated(rng, args.micro_batch, args.seq_len, args.vocab, args.mean_doc) for _ in range(4)]
    seq_len = batches[0]["tokens"].shape[1]
    torch.manual_seed(0)
    model = Transformer(config(args.config, args.vocab)).to(device)
    opt = optimizer(model, 1e-4, 0.1)
    autocast = autocast_for(device)
    per_token = flops_per_token(model, seq_len)
    peak = peak_flops(device, args.peak_tflops)
    print(f"bench: {args.config}, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, "
          f"{per_token / 1e9:.2f} GFLOP a token (6N + 12·L·d·T), sequences of {seq_len}, on {device}", flush=True)
    tokens = 0
    for i in range(args.warmup + args.steps):
        if i == args.warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            tokens = 0
        batch = {name: torch.from_numpy(batches[i % len(batches)][name]).to(device) for name in COLUMNS}
        loss, _, _ = forward(model, batch, autocast)
        update(model, opt, loss, 1.0)
        tokens += batch["tokens"].numel()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    rate = tokens / seconds
    mfu = f", MFU {per_token * rate / peak:.1%} of {peak / 1e12:.0f} TFLOP/s" if peak else ""
    memory = f", peak memory {torch.cuda.max_memory_allocated(device) / 2**30:.1f} GiB" if device.type == "cuda" else ""
    print(f"bench: {args.steps} steps, {tokens} tokens in {seconds:.2f} s: {rate:,.0f} tokens/s, "
          f"{per_token * rate / 1e12:.3f} TFLOP/s{mfu}{memory}; last loss {float(loss):.3f}")


if __name__ == "__main__":
    main()
