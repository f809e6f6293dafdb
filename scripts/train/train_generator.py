"""Trains the facecast generator (temporal UNet, residual x0 predictor) and the x2 residual
super-resolution model on self-reenactment samples, on CPU within a wall-clock budget.

  nice -n 10 python3 scripts/train/train_generator.py --data data/generator/samples \
      --minutes 100 --out data/generator/run

Noise and sampler: a variance-exploding diffusion on the residual over the warp-only
composite. Each window draws one noise level: half the windows sigma_max = 1 (where the
residual is buried: the first sampler step), the rest log-uniform in [0.02, 1]; one noise
image is shared by every frame of a window (the runtime holds one per stream). The network
predicts the clean residual x0. The context slot carries the model's own earlier prediction
for the previous frame (a cache filled from sigma_max predictions, so no target leaks into
it) or, cold, the first frame's maps with residual 0 - what the runtime feeds.
The SR model trains alongside on the detached sigma_max predictions (= the 1-step sampler's
output). Validation runs held-out clips exactly like the runtime (windows, context chain,
fixed noise) and keeps the best checkpoint by the SR crop's PSNR gain.

Writes <out>/checkpoint.pt (best), <out>/last.pt and <out>/train.json.
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
from generator_data import (  # noqa: E402
    SIGMA_MAX,
    assemble,
    build_batch,
    load_samples,
    psnr_of_mse,
    run_clip,
    sample_windows,
)
from generator_model import GeneratorUNet, ResidualSR  # noqa: E402


def charbonnier(a, b, eps=1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


def validate(gen, sr, samples, steps, sigmas, seed, max_frames, device="cpu"):
    gen.eval()
    sr.eval()
    eps = torch.from_numpy(np.random.default_rng(seed).standard_normal((3,) + samples[0].maps.shape[-2:]).astype(np.float32))
    per_clip = {}
    all_rows = []
    for s in samples:
        rows = run_clip(gen, sr, s, 4, steps, sigmas, eps, max_frames, device)
        all_rows.append(rows)
        p = psnr_of_mse(rows.mean(0))
        per_clip[s.name] = {"base": [round(float(p[0]), 2), round(float(p[1]), 2)], "sr": [round(float(p[2]), 2), round(float(p[3]), 2)]}
    rows = np.concatenate(all_rows)
    # Mean over clips of the per-clip PSNR gain (each clip counts once).
    gain_base = float(np.mean([v["base"][1] - v["base"][0] for v in per_clip.values()]))
    gain_sr = float(np.mean([v["sr"][1] - v["sr"][0] for v in per_clip.values()]))
    gen.train()
    sr.train()
    return {"gainBase": round(gain_base, 3), "gainSr": round(gain_sr, 3), "clips": per_clip, "frames": int(len(rows))}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--minutes", type=float, default=100)
    p.add_argument("--batch", type=int, default=6)
    p.add_argument("--frames", type=int, default=4, help="frames to generate per training window")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on the shared 2-core machine)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--widths", default="16,32,64")
    p.add_argument("--sr-width", type=int, default=24)
    p.add_argument("--sr-layers", type=int, default=3)
    p.add_argument("--val-every-min", type=float, default=20)
    p.add_argument("--val-frames", type=int, default=100)
    p.add_argument(
        "--val-clips",
        default="liveportrait_d12,talk_lipnet_sbwe5n,talk_pcavs_Pose_Source_731200067",
        help="training clips set aside for checkpoint selection (the held-out clips stay untouched for the final evaluation)",
    )
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--sigma-mid", type=float, default=0.3, help="second sampler step's noise level")
    p.add_argument("--top-frac", type=float, default=0.5, help="fraction of windows trained at sigma_max (the 1-step sampler's only step; the SR model trains on these)")
    p.add_argument("--init", help="checkpoint to continue from")
    p.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (not run here yet)")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)

    samples = load_samples(a.data)
    val_clips = set(a.val_clips.split(",")) if a.val_clips else set()
    train = [s for s in samples if s.split == "train" and s.meta["clip"] not in val_clips]
    val = [s for s in samples if s.split == "train" and s.meta["clip"] in val_clips and s.meta["referenceIndex"] == 0]
    heldout = [s for s in samples if s.split == "heldout"]
    frames_total = sum(s.frames for s in train)
    clips = sorted({s.meta["clip"] for s in train})
    print(f"train: {len(train)} sample folders, {len(clips)} clips, {frames_total} frames; validation: {[s.name for s in val]}; held out (not used here until the end): {[s.name for s in heldout]}", flush=True)

    widths = tuple(int(w) for w in a.widths.split(","))
    gen = GeneratorUNet(widths)
    sr = ResidualSR(a.sr_width, a.sr_layers)
    if a.init:
        ck = torch.load(a.init)
        gen.load_state_dict(ck["generator"])
        sr.load_state_dict(ck["sr"])
    device = torch.device(a.device)
    gen.to(device)
    sr.to(device)
    params = list(gen.parameters()) + list(sr.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay)
    print(f"generator {sum(q.numel() for q in gen.parameters())} parameters, sr {sum(q.numel() for q in sr.parameters())}", flush=True)

    budget = a.minutes * 60
    start = time.time()
    last_val = start
    step = 0
    best = -math.inf
    history = []
    losses = []
    sigmas = [SIGMA_MAX, a.sigma_mid]
    while True:
        elapsed = time.time() - start
        if elapsed > budget:
            break
        frac = elapsed / budget
        lr = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac))) if step > 50 else a.lr * (step + 1) / 51
        for g in opt.param_groups:
            g["lr"] = lr
        frames = a.frames if rng.random() < 0.75 else 1
        windows = sample_windows(train, rng, a.batch, frames)
        maps, ctx, target, guide, sr_target, aug = (
            t.to(device) if torch.is_tensor(t) else t for t in build_batch(windows, frames, rng)
        )
        b = maps.shape[0]
        comp = maps[:, 1:, 0:3]
        x0 = target - comp
        top = torch.from_numpy(rng.random(b) < a.top_frac)
        logs = torch.from_numpy(rng.uniform(math.log(0.02), 0.0, b).astype(np.float32)).exp()
        sigma = torch.where(top, torch.full((b,), SIGMA_MAX), logs).to(device)
        top = top.to(device)
        eps = torch.randn(b, 1, 3, *x0.shape[-2:], device=device)
        xt = x0 + sigma.view(b, 1, 1, 1, 1) * eps
        pred = gen(assemble(maps, ctx, xt, sigma))[:, 1:]
        loss_gen = charbonnier(pred, x0)
        loss = loss_gen
        loss_sr = torch.tensor(0.0)
        if bool(top.any()):
            idx = top.nonzero()[:, 0]
            base = pred[idx].detach().flatten(0, 1)
            g = guide[idx].flatten(0, 1)
            out = sr(g[:, :3], g[:, 3:4], base)
            loss_sr = charbonnier(out, (sr_target[idx].flatten(0, 1) - g[:, :3]))
            loss = loss + loss_sr
            # Cache the sigma_max predictions as later windows' context: un-flipped, colour gain
            # undone; windows moved by the geometric augmentation are not cached.
            for j in idx.tolist():
                if aug["moved"][j]:
                    continue
                s, t0, _ = windows[j]
                r = pred[j].detach().cpu().numpy() / aug["gains"][j][:, None, None]
                if aug["flips"][j]:
                    r = r[..., ::-1]
                s.cache[t0 : t0 + frames] = r.astype(np.float16)
                s.cached[t0 : t0 + frames] = True
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append((float(loss_gen.detach()), float(loss_sr.detach())))
        if step % 25 == 0:
            lg = np.mean([l[0] for l in losses[-25:]])
            ls = np.mean([l[1] for l in losses[-25:]])
            print(f"step {step} {elapsed / 60:.1f} min lr {lr:.2e} loss gen {lg:.4f} sr {ls:.4f}", flush=True)
        if time.time() - last_val > a.val_every_min * 60 or time.time() - start > budget:
            last_val = time.time()
            v = validate(gen, sr, val, 1, sigmas, a.seed, a.val_frames, device)
            v.update(step=step, minutes=round((time.time() - start) / 60, 1))
            history.append(v)
            print("val", json.dumps(v), flush=True)
            state = {"generator": gen.state_dict(), "sr": sr.state_dict(), "widths": widths, "srWidth": a.sr_width, "srLayers": a.sr_layers, "step": step}
            torch.save(state, os.path.join(a.out, "last.pt"))
            if v["gainSr"] > best:
                best = v["gainSr"]
                torch.save(state, os.path.join(a.out, "checkpoint.pt"))

    # Final validation of the last weights, then 1 vs 2 sampler steps on the best checkpoint.
    v = validate(gen, sr, val, 1, sigmas, a.seed, a.val_frames, device)
    v.update(step=step, minutes=round((time.time() - start) / 60, 1))
    history.append(v)
    print("val", json.dumps(v), flush=True)
    state = {"generator": gen.state_dict(), "sr": sr.state_dict(), "widths": widths, "srWidth": a.sr_width, "srLayers": a.sr_layers, "step": step}
    torch.save(state, os.path.join(a.out, "last.pt"))
    if v["gainSr"] > best:
        best = v["gainSr"]
        torch.save(state, os.path.join(a.out, "checkpoint.pt"))
    ck = torch.load(os.path.join(a.out, "checkpoint.pt"), map_location=device)
    gen.load_state_dict(ck["generator"])
    sr.load_state_dict(ck["sr"])
    steps_cmp = {str(k): validate(gen, sr, val, k, sigmas, a.seed, a.val_frames, device) for k in (1, 2)}
    print("sampler steps", json.dumps({k: (v["gainBase"], v["gainSr"]) for k, v in steps_cmp.items()}), flush=True)
    info = {
        "data": a.data,
        "trainClips": clips,
        "trainSampleFolders": len(train),
        "trainFrames": int(frames_total),
        "heldout": [s.name for s in heldout],
        "validation": [s.name for s in val],
        "weightDecay": a.weight_decay,
        "init": a.init,
        "topFrac": a.top_frac,
        "augmentation": "colour gain 0.8-1.2 / bias +-0.1 per channel, horizontal flip, similarity (shift 6 %, scale 8 %, rotation 0.08 rad), shared by inputs and targets",
        "steps": step,
        "wallMinutes": round((time.time() - start) / 60, 1),
        "batch": a.batch,
        "framesPerWindow": a.frames,
        "threads": a.threads,
        "seed": a.seed,
        "lr": a.lr,
        "widths": list(widths),
        "srWidth": a.sr_width,
        "srLayers": a.sr_layers,
        "sigmas": sigmas,
        "bestGainSr": best,
        "samplerSteps": steps_cmp,
        "history": history,
        "torch": torch.__version__,
        "machine": "2-core shared CPU, no GPU",
    }
    json.dump(info, open(os.path.join(a.out, "train.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
