"""Grows a checkpoint's vocabulary to an extended tokenizer's (Ziya2: LLaMA-2 plus common Chinese characters).

An added piece's new embedding row (and output row, when untied) is the plain mean of the rows of the byte pieces
(`<0xXX>`) the BASE tokenizer encodes the piece's text with: 3 for a CJK character in UTF-8, 2-4 in general. Ziya2
says a "weighted average" without the weights; uniform weights treat every byte of the character alike and keep the
new row at the scale of the rows it comes from. Base rows are copied unchanged, since `sluice tokenizer extend` keeps
base ids.

    python3 -m sluice_core.vocab --checkpoint ckpt/step-00001000.pt --base llama2.model --extended ziya2.model --out grown.pt
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from pathlib import Path

import sentencepiece as spm
import torch

from .model import ModelConfig
from .train import atomic_save


def byte_sources(base: spm.SentencePieceProcessor, extended: spm.SentencePieceProcessor) -> list[list[int]]:
    """For each piece the extended tokenizer adds after the base's, the base ids of the byte pieces of its text."""
    n = base.get_piece_size()
    for i in range(n):
        if base.id_to_piece(i) != extended.id_to_piece(i):
            raise ValueError(f"the extended tokenizer changes base piece {i} ({base.id_to_piece(i)!r} -> {extended.id_to_piece(i)!r})")
    sources = []
    for i in range(n, extended.get_piece_size()):
        piece = extended.id_to_piece(i)
        # the base's dummy-prefix "▁" is not a byte piece, so it drops out here with any other whole piece
        ids = [t for t in base.encode(piece.replace("\u2581", " ")) if base.is_byte(t)]
        if not ids:
            raise ValueError(f"the base encodes added piece {i} ({piece!r}) without byte pieces: nothing to average")
        sources.append(ids)
    return sources


def grow_rows(weight: torch.Tensor, sources: list[list[int]]) -> torch.Tensor:
    """`weight` [vocab, dim] with one row appended per entry of `sources`: the mean of the rows it names."""
    added = torch.stack([weight[ids].float().mean(0) for ids in sources]).to(weight.dtype)
    return torch.cat([weight, added])


def grow_checkpoint(checkpoint: dict, base: spm.SentencePieceProcessor, extended: spm.SentencePieceProcessor) -> dict:
    """The model of a checkpoint, grown to the extended vocabulary: weights and config only, since a new tokenizer
    means a new plan and run (the optimiser's moments have the old shapes; train.py starts from it with --init)."""
    cfg = ModelConfig(**checkpoint["model_config"])
    if cfg.vocab_size != base.get_piece_size():
        raise ValueError(f"the checkpoint has {cfg.vocab_size} embedding rows, the base tokenizer {base.get_piece_size()} pieces")
    sources = byte_sources(base, extended)
    model = dict(checkpoint["model"])
    model["tok_embeddings.weight"] = grow_rows(model["tok_embeddings.weight"], sources)
    # a tied output layer is the embedding itself (grown once); an untied one grows by the same rule from its own rows
    model["output.weight"] = model["tok_embeddings.weight"] if cfg.tie_embeddings else grow_rows(model["output.weight"], sources)
    grown = replace(cfg, vocab_size=extended.get_piece_size())
    return {"model": model, "model_config": asdict(grown), "config_name": checkpoint.get("config_name")}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python3 -m sluice_core.vocab", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="a checkpoint of sluice_core.train")
    p.add_argument("--base", required=True, help="the SentencePiece model the checkpoint was trained with")
    p.add_argument("--extended", required=True, help="the extended SentencePiece model (sluice tokenizer extend)")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    base = spm.SentencePieceProcessor(model_file=args.base)
    extended = spm.SentencePieceProcessor(model_file=args.extended)
    grown = grow_checkpoint(torch.load(args.checkpoint, map_location="cpu"), base, extended)
    atomic_save(grown, Path(args.out))
    print(f"vocab: {base.get_piece_size()} -> {extended.get_piece_size()} pieces; wrote {args.out}")


if __name__ == "__main__":
    main()
