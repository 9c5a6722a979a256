"""Trains a model on the batch server's stream: next-token loss within segments, AdamW, warm-up + cosine, clipping,
a loss-spike guard, per-step metrics, atomic checkpoints, and resumption at the checkpoint's exact step.

    python3 -m sluice_core.train --connect /tmp/sluice.sock --config tiny --total-steps 1000 --checkpoint-dir ckpt
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import re
import time
from collections import deque
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from .client import Batch, BatchClient
from .model import ModelConfig, Transformer, config, flops_per_token

# dense BF16 peak of the accelerators MFU is usually quoted for, TFLOP/s
PEAK_TFLOPS = {"A100": 312.0, "H100": 989.0, "H200": 989.0}


def next_token_losses(logits: torch.Tensor, tokens: torch.Tensor, segments: torch.Tensor, loss_mask: torch.Tensor):
    """Per-target cross-entropy [batch, seq-1] and which targets count: the target's loss_mask is 1 and it is in the
    same segment as the token that predicts it (the first token of a document is not predicted from the last one)."""
    valid = (loss_mask[:, 1:] == 1) & (segments[:, 1:] == segments[:, :-1]) & (segments[:, 1:] >= 0)
    # the last position predicts nothing: a dummy target there, dropped below, instead of slicing the logits
    # (whose backward would allocate and fill a second [batch, seq, vocab] tensor)
    targets = torch.cat([tokens[:, 1:], tokens[:, :1]], dim=1).long()
    losses = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none").view_as(targets)[:, :-1]
    return losses * valid, valid


class SpikeGuard:
    """Calls a loss a spike when it is far above the recent ones: above mean + max(k·std, margin·mean) of the last
    `window` kept losses, once `warmup` of them are known. The relative margin keeps a flat loss curve (tiny std)
    from calling ordinary noise a spike. After `patience` spikes in a row the level has moved (a new stage, say):
    the guard forgets its history and keeps the step."""

    def __init__(self, k: float = 4.0, margin: float = 0.05, window: int = 50, warmup: int = 20, patience: int = 5):
        self.k, self.margin, self.warmup, self.patience = k, margin, warmup, patience
        self.history: deque[float] = deque(maxlen=window)
        self.in_a_row = 0

    def threshold(self) -> Optional[float]:
        if len(self.history) < self.warmup:
            return None
        mean = float(np.mean(self.history))
        return mean + max(self.k * float(np.std(self.history)), self.margin * mean)

    def check(self, loss: float) -> bool:
        """True when the step should be skipped (a NaN or infinite loss always is); otherwise the loss joins the history."""
        if not math.isfinite(loss):
            return True
        limit = self.threshold()
        if limit is not None and loss > limit:
            self.in_a_row += 1
            if self.in_a_row < self.patience:
                return True
            self.history.clear()
        self.in_a_row = 0
        self.history.append(loss)
        return False

    def state_dict(self) -> dict:
        return {"history": list(self.history), "in_a_row": self.in_a_row}

    def load_state_dict(self, state: dict) -> None:
        self.history.extend(state["history"])
        self.in_a_row = state["in_a_row"]


def learning_rate(step: int, total: int, peak: float, floor: float, warmup_fraction: float) -> float:
    """Linear warm-up over the first `warmup_fraction` of the steps, then cosine from `peak` down to `floor`."""
    warmup = max(1, round(warmup_fraction * total))
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def optimizer(model: Transformer, lr: float, weight_decay: float) -> torch.optim.AdamW:
    # matrices decay; norm gains do not (decaying them pulls every layer's scale toward 0)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    rest = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8)


CHECKPOINT = re.compile(r"^step-(\d+)\.pt$")


def latest_checkpoint(directory: Path) -> Optional[Path]:
    found = sorted((int(m.group(1)), p) for p in directory.glob("step-*.pt") if (m := CHECKPOINT.match(p.name)))
    return found[-1][1] if found else None


def atomic_save(obj: dict, path: Path) -> None:
    """Written to a temporary file and renamed, so a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.tmp"
    with open(temp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def save_checkpoint(directory: Path, state: dict, keep: int) -> Path:
    """step-<next step>.pt; the `keep` newest are kept."""
    final = directory / f"step-{state['step']:08d}.pt"
    atomic_save(state, final)
    for old in sorted(p for p in directory.glob("step-*.pt") if CHECKPOINT.match(p.name))[:-keep]:
        old.unlink()
    return final


def batch_sha256(batch: Batch) -> str:
    """The step's token ids as little-endian int32, so a resumed run can be checked against an uninterrupted one."""
    return hashlib.sha256(np.ascontiguousarray(batch.column("tokens"), dtype="<i4").tobytes()).hexdigest()


COLUMNS = ("tokens", "segments", "positions", "loss_mask")


def batch_tensors(batch: Batch, device: torch.device) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.array(batch.column(name), dtype=np.int64)).to(device) for name in COLUMNS}


def autocast_for(device: torch.device):
    """BF16 autocast on CUDA (Ziya2: FP16 gave loss spikes); FP32 on the CPU, where BF16 matmuls are slow."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


def forward(model: Transformer, tensors: dict[str, torch.Tensor], autocast):
    """The mean loss over the step's counted targets, with the per-target losses and which count."""
    with autocast:
        logits = model(tensors["tokens"], tensors["segments"], tensors["positions"])
    losses, valid = next_token_losses(logits, tensors["tokens"], tensors["segments"], tensors["loss_mask"])
    return losses.sum() / valid.sum().clamp(min=1), losses, valid


def update(model: Transformer, opt: torch.optim.Optimizer, loss: torch.Tensor, clip: float) -> float:
    """Backward, clip, step; returns the gradient norm before clipping."""
    loss.backward()
    grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip))
    opt.step()
    opt.zero_grad(set_to_none=True)
    return grad_norm


def peak_flops(device: torch.device, override: Optional[float]) -> Optional[float]:
    if override is not None:
        return override * 1e12
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        for key, tflops in PEAK_TFLOPS.items():
            if key in name:
                return tflops * 1e12
    return None


class Trainer:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.dir = Path(args.checkpoint_dir)
        self.device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.metrics_path = Path(args.metrics) if args.metrics else self.dir / "metrics.jsonl"

    def run(self) -> int:
        """Trains until the server ends the plan or `--steps` steps are done; returns the next step."""
        args = self.args
        checkpoint_file = latest_checkpoint(self.dir)
        state = torch.load(checkpoint_file, map_location="cpu") if checkpoint_file else None
        client = BatchClient(args.connect, next_step=state["step"] if state else None)
        handshake = client.handshake
        torch.manual_seed(args.seed)
        cfg = config(args.config, handshake["vocab_size"])
        weights_file = checkpoint_file or (Path(args.init) if args.init else None)
        weights = state if checkpoint_file else (torch.load(args.init, map_location="cpu") if args.init else None)
        if weights is not None and ModelConfig(**weights["model_config"]) != cfg:
            raise SystemExit(f"{weights_file} holds a {ModelConfig(**weights['model_config'])} model, the server's plan "
                             f"needs {cfg} (a grown vocabulary: python3 -m sluice_core.vocab, then --init)")
        if state is not None and state["run_id"] != handshake["run_id"]:
            raise SystemExit(f"{checkpoint_file} is of run {state['run_id']}, the server serves {handshake['run_id']} "
                             "(to start a new run from its weights: an empty --checkpoint-dir and --init)")
        model = Transformer(cfg).to(self.device)
        opt = optimizer(model, args.lr, args.weight_decay)
        guard = SpikeGuard(k=args.spike_k)
        if weights is not None:
            model.load_state_dict(weights["model"])
        if state is not None:
            opt.load_state_dict(state["optimizer"])
            guard.load_state_dict(state["spike_guard"])
            torch.set_rng_state(state["rng"]["torch"])
            if self.device.type == "cuda" and state["rng"].get("cuda") is not None:
                torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        step = handshake["next_step"]
        self._log(f"run {handshake['run_id']} ({handshake['plan_id']}), {cfg.n_layers} layers × {cfg.dim}, "
                  f"vocabulary {cfg.vocab_size}, on {self.device}; from step {step}"
                  + (f" ({weights_file})" if weights_file else ""))
        flops_token = flops_per_token(model, handshake["seq_len"])
        peak = peak_flops(self.device, args.peak_tflops)
        autocast = autocast_for(self.device)
        done = 0
        since = time.perf_counter()
        with open(self.metrics_path, "a", encoding="utf-8") as metrics:
            for batch in client.batches():
                if batch.step != step:
                    raise RuntimeError(f"expected step {step}, the server sent {batch.step}")
                lr = learning_rate(step, args.total_steps, args.lr, args.min_lr, args.warmup)
                for group in opt.param_groups:
                    group["lr"] = lr
                tensors = batch_tensors(batch, self.device)
                loss, losses, valid = forward(model, tensors, autocast)
                count = int(valid.sum())
                value = float(loss)
                limit = guard.threshold()
                skipped = guard.check(value)
                grad_norm = None if skipped else update(model, opt, loss, args.clip)
                # a skipped step trained on no tokens
                client.ack(step, value, 0 if skipped else count)
                now = time.perf_counter()
                seconds, since = now - since, now
                batch_tokens = tensors["tokens"].numel()
                record = {
                    "step": step, "stage": batch.stage, "loss": value, "loss_tokens": count,
                    "loss_by_source": self._by_source(batch, losses, valid), "lr": lr, "grad_norm": grad_norm,
                    "skipped": skipped, "spike_threshold": limit, "tokens_per_s": batch_tokens / seconds,
                    "mfu": flops_token * batch_tokens / seconds / peak if peak else None,
                    "batch_sha256": batch_sha256(batch),
                }
                metrics.write(json.dumps(record) + "\n")
                metrics.flush()
                self._log(f"step {step} {batch.stage} loss {value:.4f} ({count} tokens) lr {lr:.2e} "
                          f"{record['tokens_per_s']:.0f} tokens/s" + (f" MFU {record['mfu']:.1%}" if peak else "")
                          + (f" SKIPPED: loss above {limit}" if skipped else ""))
                step += 1
                done += 1
                if step % args.checkpoint_every == 0:
                    self._save(model, opt, guard, cfg, handshake, step)
                if args.steps is not None and done >= args.steps:
                    break
        # the plan is done: keep the final weights though off the checkpoint interval (the server saved its resume
        # state there too); a connection merely lost must not leave a checkpoint the server cannot resume at
        if client.ended and step % args.checkpoint_every != 0:
            self._save(model, opt, guard, cfg, handshake, step)
        client.close()
        return step

    def _save(self, model, opt, guard, cfg, handshake, step) -> None:
        rng = {"torch": torch.get_rng_state(),
               "cuda": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None}
        path = save_checkpoint(self.dir, {
            "step": step, "model": model.state_dict(), "optimizer": opt.state_dict(), "spike_guard": guard.state_dict(),
            "rng": rng, "model_config": asdict(cfg), "config_name": self.args.config,
            "run_id": handshake["run_id"], "plan_id": handshake["plan_id"],
        }, self.args.keep)
        self._log(f"checkpoint {path}")

    @staticmethod
    def _by_source(batch: Batch, losses: torch.Tensor, valid: torch.Tensor) -> dict:
        sums, counts = losses.sum(1).tolist(), valid.sum(1).tolist()
        by: dict[str, list[float]] = {}
        for source, total, count in zip(batch.table.column("source").to_pylist(), sums, counts):
            acc = by.setdefault(source, [0.0, 0])
            acc[0] += total
            acc[1] += count
        return {source: total / count for source, (total, count) in by.items() if count > 0}

    @staticmethod
    def _log(line: str) -> None:
        print(f"core: {line}", flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m sluice_core.train", description=__doc__.split("\n")[0])
    p.add_argument("--connect", required=True, help="batch server: host:port or a Unix socket path")
    p.add_argument("--config", default="tiny", help="model shape: tiny, 1b, 7b, 13b")
    p.add_argument("--total-steps", type=int, required=True, help="steps of the whole plan (the learning-rate schedule's length)")
    p.add_argument("--steps", type=int, help="stop after this many steps in this process (default: until the plan ends)")
    p.add_argument("--checkpoint-dir", required=True)
    p.add_argument("--init", help="weights to start from when --checkpoint-dir has no checkpoint (e.g. sluice_core.vocab's output)")
    p.add_argument("--checkpoint-every", type=int, default=100,
                   help="steps between checkpoints; a multiple of the server's --checkpoint-every, so it can resume there")
    p.add_argument("--keep", type=int, default=3, help="checkpoints kept")
    p.add_argument("--metrics", help="JSON-lines metrics file (default: <checkpoint-dir>/metrics.jsonl)")
    p.add_argument("--lr", type=float, default=3e-4, help="peak learning rate")
    p.add_argument("--min-lr", type=float, default=3e-5, help="floor the cosine decays to")
    p.add_argument("--warmup", type=float, default=0.01, help="fraction of the steps spent warming up")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--spike-k", type=float, default=4.0, help="a loss above mean + k·std of recent steps is skipped")
    p.add_argument("--seed", type=int, default=0, help="initial weights")
    p.add_argument("--device", help="default: cuda when available")
    p.add_argument("--peak-tflops", type=float, help="the device's peak for MFU (default: known GPUs only)")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    Path(args.checkpoint_dir).mkdir(parents=True, exist_ok=True)
    Trainer(args).run()


if __name__ == "__main__":
    main()
