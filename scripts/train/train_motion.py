"""Trains the facecast motion model on CPU within a wall-clock budget.

  nice -n 10 python3 scripts/train/train_motion.py \
      --data data/motion/synth/train --val-data data/motion/synth/heldout \
      [--real data/motion/real --real-weight 0.15] --minutes 90 --out data/motion/run

Validation for model selection uses sessions of the *training* voices held aside (never the
held-out voices, which are the test set). Writes <out>/checkpoint.pt and <out>/train.json.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motion_data import load_sessions, predict_session, sample_batch  # noqa: E402
from motion_model import MotionNet, N_BLEND, N_OUT  # noqa: E402

JAW = 17  # ARKit index of jawOpen
IMPORTANT = {17: 3.0, 18: 2.0, 35: 1.5, 36: 1.5, 19: 1.5, 20: 1.5}  # jawOpen, mouthClose, press, funnel, pucker


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--real", nargs="*", default=[])
    p.add_argument("--real-weight", type=float, default=0.15, help="share of batches' sequences from real data")
    p.add_argument("--val-sessions", type=int, default=60)
    p.add_argument("--minutes", type=float, default=90)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--tokens", type=int, default=160)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=256)
    p.add_argument("--window", type=int, default=48)
    p.add_argument("--init", help="checkpoint to start from (fine-tuning)")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)

    synth = [s for d in a.data for s in load_sessions(d)]
    order = rng.permutation(len(synth))
    val = [synth[i] for i in order[: a.val_sessions]]
    train = [synth[i] for i in order[a.val_sessions :]]
    real = [s for d in a.real for s in load_sessions(d)]
    print(f"train sessions {len(train)} ({sum(s.frames for s in train) / 25 / 3600:.2f} h), "
          f"val {len(val)}, real {len(real)} ({sum(s.frames for s in real) / 25 / 60:.1f} min)", flush=True)

    model = MotionNet(d=a.d, heads=a.heads, layers=a.layers, ffn=a.ffn, window=a.window)
    if a.init:
        model.load_state_dict(torch.load(a.init)["model"])
    else:
        all_mel = torch.cat([s.mel for s in train[:400]])
        loud = all_mel[all_mel.mean(1) > -18]
        model.mel_mean.copy_(loud.mean(0))
        model.mel_std.copy_(loud.std(0).clamp_min(0.5))

    # Per-channel loss weights: importance / variance of the supervised targets.
    t = torch.cat([s.targets for s in train[:400]])
    m = torch.cat([s.mask for s in train[:400]])
    var = ((t - (t * m).sum(0) / m.sum(0).clamp_min(1)) ** 2 * m).sum(0) / m.sum(0).clamp_min(1)
    # Variance floors keep near-constant channels (always 0 in synthetic speech) from dominating.
    floor = torch.full((N_OUT,), 5e-3)
    floor[N_BLEND:] = 1e-3
    weights = 1.0 / torch.maximum(var, floor)
    for c, w in IMPORTANT.items():
        weights[c] *= w
    weights[N_BLEND:] *= 0.3  # head/gaze: partly unpredictable from audio
    supervised = m.sum(0) > 0
    weights = weights / weights[supervised].mean()

    p_train = np.array([s.frames for s in train], dtype=np.float64)
    p_train /= p_train.sum()
    p_real = np.array([s.frames for s in real], dtype=np.float64)
    p_real = p_real / p_real.sum() if len(real) else p_real

    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    budget = a.minutes * 60
    start = time.time()
    step, best, history = 0, float("inf"), []
    n_real = int(round(a.batch * a.real_weight)) if real else 0
    while True:
        elapsed = time.time() - start
        if elapsed > budget:
            break
        frac = elapsed / budget
        lr = a.lr * min(1.0, (step + 1) / 300) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        x, y, mk = sample_batch(train, p_train, a.batch - n_real, a.tokens, rng)
        if n_real:
            xr, yr, mr = sample_batch(real, p_real, n_real, a.tokens, rng)
            x, y, mk = torch.cat([x, xr]), torch.cat([y, yr]), torch.cat([mk, mr])
        out = model(x)
        loss = masked_loss(out, y, mk, weights)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 200 == 0:
            v = evaluate(model, val, weights)
            history.append({"step": step, "minutes": elapsed / 60, "lr": lr, "train_loss": loss.item(), **v})
            print(f"step {step} {elapsed / 60:.1f} min lr {lr:.2e} loss {loss.item():.4f} "
                  f"val {v['val_loss']:.4f} jaw r {v['val_jaw_r']:.3f}", flush=True)
            if v["val_loss"] < best:
                best = v["val_loss"]
                torch.save({"model": model.state_dict(), "config": model.config, "step": step}, os.path.join(a.out, "checkpoint.pt"))
    info = {
        "steps": step,
        "minutes": (time.time() - start) / 60,
        "best_val_loss": best,
        "batch": a.batch,
        "tokens": a.tokens,
        "threads": a.threads,
        "seed": a.seed,
        "data": a.data,
        "real": a.real,
        "real_weight": a.real_weight if real else 0,
        "train_hours": sum(s.frames for s in train) / 25 / 3600,
        "real_minutes": sum(s.frames for s in real) / 25 / 60,
        "epochs": step * a.batch * a.tokens / max(1, sum(s.frames for s in train) + sum(s.frames for s in real)),
        "torch": torch.__version__,
        "config": model.config,
        "history": history,
    }
    with open(os.path.join(a.out, "train.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"done: {step} steps in {info['minutes']:.1f} min, best val loss {best:.4f}", flush=True)


def masked_loss(out, y, mk, weights):
    err = (out - y) ** 2 * mk * weights
    vel = ((out[:, 1:] - out[:, :-1]) - (y[:, 1:] - y[:, :-1])) ** 2 * mk[:, 1:] * mk[:, :-1] * weights
    denom = mk.sum().clamp_min(1)
    return (err.sum() + 2.0 * vel.sum()) / denom


def evaluate(model, sessions, weights):
    model.eval()
    losses, preds, truth = [], [], []
    for s in sessions:
        y = predict_session(model, s)
        losses.append(((y - s.targets) ** 2 * s.mask * weights).sum().item() / max(1.0, s.mask.sum().item()))
        if s.mask[:, JAW].sum() > 0:
            preds.append(y[:, JAW])
            truth.append(s.targets[:, JAW])
    p, t = torch.cat(preds), torch.cat(truth)
    r = torch.corrcoef(torch.stack([p, t]))[0, 1].item()
    return {"val_loss": float(np.mean(losses)), "val_jaw_r": r}


if __name__ == "__main__":
    assert N_OUT == 59
    main()
