import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import sentencepiece as spm
import torch

from sluice_core.model import Transformer, config
from sluice_core.vocab import grow_checkpoint

REPO = Path(__file__).resolve().parents[3]
BASE = REPO / "../shared/data/tokenizers/llama2/tokenizer.model"


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    out = tmp_path_factory.mktemp("vocab") / "ext.model"
    subprocess.run(["node", "ops/bin/sluice.js", "tokenizer", "extend", "--model", str(BASE), "--add", "50",
                    "--from", "../shared/data/web/zh/chinesewebtext-cc2021-43-cleared1.jsonl", "--out", str(out)],
                   cwd=REPO, check=True, capture_output=True)
    return out


@pytest.mark.parametrize("tied", [True, False])
def test_added_rows_are_the_mean_of_the_base_byte_rows(extended, tied, tmp_path):
    cfg = replace(config("tiny", 32000), tie_embeddings=tied)
    torch.manual_seed(0)
    model = Transformer(cfg)
    grown = grow_checkpoint({"model": model.state_dict(), "model_config": asdict(cfg)},
                            spm.SentencePieceProcessor(model_file=str(BASE)), spm.SentencePieceProcessor(model_file=str(extended)))
    ext = spm.SentencePieceProcessor(model_file=str(extended))
    assert grown["model_config"]["vocab_size"] == ext.get_piece_size() == 32050
    for name in ("tok_embeddings.weight", "output.weight"):
        old, new = model.state_dict()[name], grown["model"][name]
        assert new.shape == (32050, 64)
        assert torch.equal(new[:32000], old)
        for i in range(32000, 32050):
            text = ext.id_to_piece(i)
            # LLaMA-2's byte pieces <0x00>..<0xFF> are ids 3..258
            utf8 = text.encode("utf-8")
            assert len(utf8) == 3
            assert torch.allclose(new[i], old[[3 + b for b in utf8]].mean(0))
    assert torch.equal(grown["model"]["output.weight"], grown["model"]["tok_embeddings.weight"]) == tied
    # the grown weights load into a model of the extended vocabulary, and the command line writes the same
    Transformer(config("tiny", 32050) if tied else replace(config("tiny", 32050), tie_embeddings=False)).load_state_dict(grown["model"])
    if tied:
        checkpoint, out = tmp_path / "in.pt", tmp_path / "grown.pt"
        torch.save({"model": model.state_dict(), "model_config": asdict(cfg)}, checkpoint)
        subprocess.run([sys.executable, "-m", "sluice_core.vocab", "--checkpoint", str(checkpoint), "--base", str(BASE),
                        "--extended", str(extended), "--out", str(out)], cwd=REPO / "trainer" / "core", check=True, capture_output=True)
        assert torch.equal(torch.load(out)["model"]["tok_embeddings.weight"], grown["model"]["tok_embeddings.weight"])
