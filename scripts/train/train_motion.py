"""Trains the facecast motion model on CPU within a wall-clock budget.

  OMP_NUM_THREADS=1 nice -n 10 python3 scripts/train/train_motion.py \
      --data data/motion/synth/train --real data/motion/real-train --real-weight 0.6 \
      --val-speakers talk_mimictalk_Trump_10s,video_videoretalking_1 --minutes 20 --out data/motion/run

Validation for model selection: synthetic sessions of the *training* voices held aside (never
the held-out voices) and every session of the real `--val-speakers` (whole speakers, clean copy
only; none of their copies is trained on). The held-out fixture sources never reach the shards
(scripts/data/real.ts skips them). Writes <out>/checkpoint.pt and <out>/train.json.
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
from motion_model import JAW_OPEN, MotionNet, N_BLEND, N_OUT, lip_aperture  # noqa: E402

JAW = 17  # ARKit index of jawOpen
IMPORTANT = {17: 3.0, 18: 2.0, 35: 1.5, 36: 1.5, 19: 1.5, 20: 1.5}  # jawOpen, mouthClose, press, funnel, pucker


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--real", nargs="*", default=[])
    p.add_argument("--real-weight", type=float, default=0.15, help="share of batches' sequences from real data")
    p.add_argument("--val-sessions", type=int, default=60)
    p.add_argument("--val-speakers", default="", help="comma-separated real speakers kept for validation")
    p.add_argument("--minutes", type=float, default=90)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--tokens", type=int, default=160)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--d", type=int, default=64)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=256)
    p.add_argument("--window", type=int, default=48)
    p.add_argument("--init", help="checkpoint to start from (fine-tuning)")
    p.add_argument("--eval-every", type=int, default=200, help="steps between validations")
    p.add_argument("--seal-weight", type=float, default=0.0, help="weight of a cross-entropy term on the lip-seal fraction")
    p.add_argument("--closure-boost", type=float, default=4.0, help="extra aperture-loss weight where the truth's lips are closed")
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
    val_speakers = {v for v in a.val_speakers.split(",") if v}
    real_all = [s for d in a.real for s in load_sessions(d)]
    real = [s for s in real_all if s.meta.get("speaker") not in val_speakers]
    real_val = [s for s in real_all if s.meta.get("speaker") in val_speakers and s.meta.get("copy", 0) == 0]
    print(f"train sessions {len(train)} ({sum(s.frames for s in train) / 25 / 3600:.2f} h), "
          f"val {len(val)}, real {len(real)} ({sum(s.frames for s in real) / 25 / 60:.1f} min), "
          f"real val {len(real_val)} ({sum(s.frames for s in real_val) / 25 / 60:.2f} min)", flush=True)

    model = MotionNet(d=a.d, heads=a.heads, layers=a.layers, ffn=a.ffn, window=a.window)
    if a.init:
        model.load_state_dict(torch.load(a.init)["model"])
    else:
        all_mel = torch.cat([s.mel for s in train[:200] + real])
        loud = all_mel[all_mel.mean(1) > -18]
        model.mel_mean.copy_(loud.mean(0))
        model.mel_std.copy_(loud.std(0).clamp_min(0.5))

    # Per-channel loss weights: importance / variance of the supervised targets (synthetic and
    # real: brows and eye squint/wide are supervised by the real clips only).
    t = torch.cat([s.targets for s in train[:400] + real])
    m = torch.cat([s.mask for s in train[:400] + real])
    var = ((t - (t * m).sum(0) / m.sum(0).clamp_min(1)) ** 2 * m).sum(0) / m.sum(0).clamp_min(1)
    # Variance floors keep near-constant channels (always 0 in synthetic speech) from dominating.
    floor = torch.full((N_OUT,), 5e-3)
    floor[N_BLEND:] = 1e-3
    weights = 1.0 / torch.maximum(var, floor)
    for c, w in IMPORTANT.items():
        weights[c] *= w
    weights[N_BLEND:] *= 0.3  # head/gaze: partly unpredictable from audio
    supervised = m.sum(0) > 0
    scale = weights[supervised].mean()
    weights = weights / scale
    # Lip aperture (what closes the mouth on /p b m/) gets its own term, like an important channel.
    ap_var = lip_aperture(t).var()
    aperture_weight = float(3.0 / ap_var.clamp_min(5e-3) / scale)

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
        warmup = 300 if not a.init else 50
        lr = a.lr * min(1.0, (step + 1) / warmup) * (0.5 * (1 + math.cos(math.pi * frac)) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        x, y, mk = sample_batch(train, p_train, a.batch - n_real, a.tokens, rng)
        if n_real:
            xr, yr, mr = sample_batch(real, p_real, n_real, a.tokens, rng)
            x, y, mk = torch.cat([x, xr]), torch.cat([y, yr]), torch.cat([mk, mr])
        out = model(x)
        loss = masked_loss(out, y, mk, weights, aperture_weight, a.closure_boost, a.seal_weight)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % a.eval_every == 0:
            v = validate(model, val, real_val, weights)
            history.append({"step": step, "minutes": elapsed / 60, "lr": lr, "train_loss": loss.item(), **v})
            print(f"step {step} {elapsed / 60:.1f} min lr {lr:.2e} loss {loss.item():.4f} "
                  f"val {v['val_loss']:.4f} jaw r {v['val_jaw_r']:.3f} real jaw r {v.get('real_val_jaw_r', float('nan')):.3f}", flush=True)
            if v["val_loss"] < best:
                best = v["val_loss"]
                torch.save({"model": model.state_dict(), "config": model.config, "step": step}, os.path.join(a.out, "checkpoint.pt"))
    # A last validation at the end (short runs may not reach the periodic one).
    v = validate(model, val, real_val, weights)
    history.append({"step": step, "minutes": (time.time() - start) / 60, "final": True, **v})
    print(f"final step {step}: val {v['val_loss']:.4f} jaw r {v['val_jaw_r']:.3f}", flush=True)
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
        "val_speakers": sorted(val_speakers),
        "real_clips": sorted({s.meta.get("clip") for s in real}),
        "real_val_clips": sorted({s.meta.get("clip") for s in real_val}),
        "init": a.init,
        "lr": a.lr,
        "aperture_loss": True,
        "seal_weight": a.seal_weight,
        "closure_boost": a.closure_boost,
        "train_hours": sum(s.frames for s in train) / 25 / 3600,
        "real_minutes": sum(s.frames for s in real) / 25 / 60,
        "real_clean_minutes": sum(s.frames for s in real if s.meta.get("copy", 0) == 0) / 25 / 60,
        "epochs": step * a.batch * a.tokens / max(1, sum(s.frames for s in train) + sum(s.frames for s in real)),
        "torch": torch.__version__,
        "config": model.config,
        "history": history,
    }
    with open(os.path.join(a.out, "train.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"done: {step} steps in {info['minutes']:.1f} min, best val loss {best:.4f}", flush=True)


def masked_loss(out, y, mk, weights, aperture_weight, closure_boost=4.0, seal_weight=0.0):
    err = (out - y) ** 2 * mk * weights
    vel = ((out[:, 1:] - out[:, :-1]) - (y[:, 1:] - y[:, :-1])) ** 2 * mk[:, 1:] * mk[:, :-1] * weights
    denom = mk.sum().clamp_min(1)
    # Aperture term, heavier where the truth has the lips (nearly) closed: closures are short,
    # and an average-seeking regression would otherwise round them away.
    ap_true = lip_aperture(y)
    ap_mask = mk[..., JAW_OPEN]
    ap_w = (1.0 + closure_boost * (ap_true < 0.03).float()) * ap_mask
    ap = ((lip_aperture(out) - ap_true) ** 2 * ap_w).sum() * aperture_weight
    total = err.sum() + 2.0 * vel.sum() + ap * N_OUT / 4
    if seal_weight > 0:
        # The seal fraction (mouthClose / jawOpen) as a probability, where the jaw is open enough
        # for it to be defined: a calibrated "lips sealed" unit instead of a hedged regression.
        jaw_t = y[..., JAW_OPEN]
        defined = (jaw_t > 0.03).float() * ap_mask
        seal_t = (y[..., JAW_OPEN + 1] / jaw_t.clamp_min(1e-3)).clamp(0, 1)
        seal_p = (out[..., JAW_OPEN + 1] / out[..., JAW_OPEN].clamp_min(1e-4)).clamp(1e-4, 1 - 1e-4)
        bce = -(seal_t * torch.log(seal_p) + (1 - seal_t) * torch.log(1 - seal_p))
        total = total + seal_weight * (bce * defined).sum()
    return total / denom


def validate(model, synth_val, real_val, weights):
    """Synthetic and real validation; the selection loss is their mean when both exist."""
    v = evaluate(model, synth_val, weights)
    if not real_val:
        return v
    r = evaluate(model, real_val, weights)
    return {"val_loss": (v["val_loss"] + r["val_loss"]) / 2, "val_jaw_r": v["val_jaw_r"],
            "synth_val_loss": v["val_loss"], "real_val_loss": r["val_loss"], "real_val_jaw_r": r["val_jaw_r"]}


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
