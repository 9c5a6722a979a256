"""The tiny model on a real stream from `sluice train`: the loss falls, and a core killed mid-run resumes from its
checkpoint at the right step with the same batches (and the same losses) as the plan's uninterrupted stream."""
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
CORE = REPO / "trainer" / "core"
KILL_AFTER = 17  # steps; the core checkpoints every 5, so it must go back to 15 (or later, if it got further)


def sluice(*args, **kw):
    return subprocess.Popen(["node", "ops/bin/sluice.js", *args], cwd=REPO, **kw)


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_tiny_model_trains_and_resumes_identically(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"""seqLen: 128
microBatch: 4
tokenizer: ../shared/data/tokenizers/llama2/tokenizer.model
lake: {tmp_path / 'lake'}
stages:
  - name: math
    tokens: 20500
    packing: window
    sources:
      - name: gsm8k
        files: [../shared/data/math/gsm8k-train.jsonl.gz]
""")
    dump = subprocess.run(["node", "ops/bin/sluice.js", "train", "--plan", str(plan), "--dry-run", "--dump", "1000", "--json"],
                          cwd=REPO, capture_output=True, text=True, check=True)
    dumped = [json.loads(line)["rows"] for line in dump.stdout.splitlines()]
    expected = [hashlib.sha256(np.array([r["tokens"] for r in rows], dtype="<i4").tobytes()).hexdigest() for rows in dumped]
    # targets in the loss: unmasked, and in the segment of the token before
    targets = [sum(r["lossMask"][t] == 1 and r["segments"][t] == r["segments"][t - 1] >= 0 for r in rows for t in range(1, len(r["tokens"])))
               for rows in dumped]
    steps = len(expected)
    assert steps > 30 and steps % 5 != 0

    socket = tmp_path / "b.sock"
    server = sluice("train", "--plan", str(plan), "--socket", str(socket), "--home", str(tmp_path), "--checkpoint-every", "5",
                    "--run", "t1", "--core", "external", stdout=open(tmp_path / "server.log", "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while not socket.exists():
            assert time.time() < deadline and server.poll() is None, (tmp_path / "server.log").read_text()
            time.sleep(0.1)
        checkpoints = tmp_path / "ck"
        core = [sys.executable, "-m", "sluice_core.train", "--connect", str(socket), "--config", "tiny",
                "--total-steps", str(steps), "--checkpoint-dir", str(checkpoints), "--checkpoint-every", "5", "--lr", "3e-3"]
        first = subprocess.Popen([*core, "--metrics", str(tmp_path / "m1.jsonl")], cwd=CORE,
                                 stdout=open(tmp_path / "core1.log", "w"), stderr=subprocess.STDOUT)
        while len(records(tmp_path / "m1.jsonl")) < KILL_AFTER:
            assert first.poll() is None and time.time() < deadline + 120, (tmp_path / "core1.log").read_text()
            time.sleep(0.05)
        first.kill()
        first.wait()
        resume_at = int(sorted(checkpoints.glob("step-*.pt"))[-1].stem.split("-")[1])
        second = subprocess.run([*core, "--metrics", str(tmp_path / "m2.jsonl")], cwd=CORE, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout + second.stderr
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()

    before, after = records(tmp_path / "m1.jsonl"), records(tmp_path / "m2.jsonl")
    assert resume_at % 5 == 0 and 15 <= resume_at <= len(before)
    assert f"from step {resume_at} " in second.stdout
    assert [r["step"] for r in before] == list(range(len(before)))
    assert [r["step"] for r in after] == list(range(resume_at, steps))
    assert [r["batch_sha256"] for r in before] == expected[:len(before)]
    assert [r["batch_sha256"] for r in after] == expected[resume_at:]
    # the replayed steps see the restored weights and optimiser: the same losses as the first time
    for again in after[:len(before) - resume_at]:
        assert abs(again["loss"] - before[again["step"]]["loss"]) < 1e-5
    losses = [r["loss"] for r in before[:resume_at] + after]
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 1.0, losses
    assert [r["loss_tokens"] for r in after] == targets[resume_at:]
    # the final weights are kept though the plan ends between checkpoints
    assert sorted(checkpoints.glob("step-*.pt"))[-1].name == f"step-{steps:08d}.pt"
    assert all(set(r["loss_by_source"]) == {"math/gsm8k"} for r in after)
