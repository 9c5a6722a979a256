import math
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from sluice_core.train import SpikeGuard, latest_checkpoint, learning_rate, next_token_losses, save_checkpoint


def test_loss_counts_only_unmasked_targets_in_the_same_segment():
    tokens = torch.tensor([[5, 7, 2, 9, 4, 0]])
    segments = torch.tensor([[0, 0, 0, 1, 1, -1]])
    loss_mask = torch.tensor([[1, 1, 0, 1, 1, 0]])
    logits = torch.randn(1, 6, 10)
    losses, valid = next_token_losses(logits, tokens, segments, loss_mask)
    # targets 1..5: 7 counts; 2 is masked; 9 starts segment 1 (not predicted from segment 0); 4 counts; padding never
    assert valid.tolist() == [[True, False, False, True, False]]
    expected = F.cross_entropy(logits[0, [0, 3]], torch.tensor([7, 4]), reduction="sum")
    assert torch.allclose(losses.sum(), expected)
    # logits whose targets do not count change nothing
    other = logits.clone()
    other[0, [1, 2, 4, 5]] = torch.randn(4, 10) * 10
    assert torch.allclose(next_token_losses(other, tokens, segments, loss_mask)[0].sum(), expected)


def test_spike_guard_skips_far_losses_after_warm_up_and_gives_way_to_a_new_level():
    assert not SpikeGuard(warmup=20).check(50.0)  # during warm-up anything goes
    guard = SpikeGuard(k=4.0, margin=0.05, window=50, warmup=20, patience=3)
    for i in range(30):
        assert not guard.check(3.0 + 0.01 * (i % 3))
    assert not guard.check(3.1)  # within the 5% margin
    assert guard.check(4.5)
    assert guard.check(float("nan"))
    assert guard.check(4.6)
    # the third in a row: the level has moved, the guard starts over from it
    assert not guard.check(4.55)
    assert list(guard.history) == [4.55]


def test_learning_rate_warms_up_then_decays_to_the_floor():
    total, peak, floor = 1000, 3e-4, 3e-5
    lrs = [learning_rate(s, total, peak, floor, 0.01) for s in range(total + 5)]
    assert lrs[0] == peak / 10 and lrs[9] == peak
    assert all(a > b for a, b in zip(lrs[10:total], lrs[11:total]))
    assert math.isclose(lrs[total], floor) and lrs[-1] == floor
    assert math.isclose(lrs[10 + 495], (peak + floor) / 2, rel_tol=1e-2)


def test_checkpoints_are_renamed_into_place_and_the_newest_kept(tmp_path):
    for step in (5, 10, 15, 20):
        save_checkpoint(tmp_path, {"step": step, "x": torch.tensor([step])}, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000015.pt", "step-00000020.pt"]
    latest = latest_checkpoint(tmp_path)
    assert torch.load(latest)["step"] == 20


def test_the_benchmark_runs_on_the_tiny_config():
    out = subprocess.run([sys.executable, "bench_gpu.py", "--config", "tiny", "--seq-len", "64", "--micro-batch", "2",
                          "--steps", "2", "--warmup", "1", "--peak-tflops", "1"], cwd=Path(__file__).parents[1],
                         capture_output=True, text=True, check=True).stdout
    assert "tokens/s" in out and "MFU" in out
