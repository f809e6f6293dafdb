"""Speech -> upper body: trains the body model (a causal GRU) and exports models/body.

    OMP_NUM_THREADS=1 nice -n 10 python3 scripts/body/train_body.py \
        [--data data/body/clips] [--out models/body] [--minutes 4] [--seed 1] [--spectral]

Data: scripts/body/data.ts (per clip x [T, 20] audio features + head yaw and roll, y [T, 13]
BODY_OUTPUTS, mask [T, 13]); clips marked held out in its index.json are never read.
Inputs per frame: the 20 data channels + 4 seeded noise channels (the same first-order
Gauss-Markov process as src/body/noise.ts, time constant 0.6 s). Loss: 0.05 x masked MSE of
the positions (per-channel standardised) + MSE of the frame-to-frame velocities + MSE of the
arms' speed envelope (what the speech should drive), so the noise can choose where the arms go and
the speech when they move. Augmentation: left/right mirror. One thread, seeded.
Writes body.onnx (inputs x [1, T, 25], h0 [1, 1, H]; outputs y [1, T, 13] in Controls units,
hn), manifest.json (data and their terms, training facts, parity) and a parity fixture in
test/fixtures/body/.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn

AUDIO = 18
HEAD = 2
NOISE = 4
INPUTS = AUDIO + HEAD + NOISE
OUTPUTS = 13
NOISE_TAU_S = 0.6
FPS = 25
JOINTS = ["leftShoulder", "rightShoulder", "leftElbow", "rightElbow", "leftWrist", "rightWrist"]
# Channel permutation of the mirror: swap left/right joints.
MIRROR = [0]
for j in range(6):
    partner = j + 1 if j % 2 == 0 else j - 1
    MIRROR += [1 + 2 * partner, 2 + 2 * partner]
ARM_CHANNELS = list(range(5, 13))  # elbows and wrists, x and y


class BodyNet(nn.Module):
    def __init__(self, hidden: int, y_std: np.ndarray, spectral: bool):
        super().__init__()
        self.gru = nn.GRU(INPUTS, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, 32), nn.Tanh(), nn.Linear(32, OUTPUTS))
        self.register_buffer("y_std", torch.tensor(y_std, dtype=torch.float32))
        scale = torch.ones(INPUTS)
        scale[AUDIO : AUDIO + HEAD] = 5.0  # head radians -> about unit range
        if not spectral:
            scale[2:AUDIO] = 0.0  # loudness and onset only: 100 s of data cannot carry more
        self.register_buffer("in_scale", scale)

    def forward_norm(self, x, h0):
        out, hn = self.gru(x * self.in_scale, h0)
        return self.head(out), hn

    def forward(self, x, h0):
        y, hn = self.forward_norm(x, h0)
        return y * self.y_std, hn


def noise(rng: np.random.Generator, batch: int, frames: int) -> np.ndarray:
    a = math.exp(-1.0 / (FPS * NOISE_TAU_S))
    b = math.sqrt(1 - a * a)
    out = np.empty((batch, frames, NOISE), np.float32)
    state = rng.standard_normal((batch, NOISE))
    for t in range(frames):
        out[:, t] = state
        state = a * state + b * rng.standard_normal((batch, NOISE))
    return out


def mirror(x: np.ndarray, y: np.ndarray, m: np.ndarray):
    x = x.copy()
    x[..., AUDIO] *= -1  # head yaw
    x[..., AUDIO + 1] *= -1  # head roll
    y = y[..., MIRROR].copy()
    m = m[..., MIRROR].copy()
    y[..., 0] *= -1
    y[..., 1::2] *= -1  # every joint's x
    return x, y, m


def load(data: str):
    index = json.load(open(os.path.join(data, "index.json")))
    clips = []
    for c in index["clips"]:
        if c["heldout"]:
            continue
        load_ = lambda k: np.load(os.path.join(data, f"{c['stem']}.{k}.npy")).astype(np.float32)
        clips.append((c["stem"], load_("x"), load_("y"), load_("mask")))
    return clips


def batch(rng, parts, size, frames):
    xs, ys, ms = [], [], []
    weights = np.array([len(p[1]) for p in parts], np.float64)
    for _ in range(size):
        _, x, y, m = parts[rng.choice(len(parts), p=weights / weights.sum())]
        start = rng.integers(0, max(1, len(x) - frames))
        x, y, m = x[start : start + frames], y[start : start + frames], m[start : start + frames]
        if rng.random() < 0.5:
            x, y, m = mirror(x, y, m)
        pad = frames - len(x)
        if pad > 0:
            x = np.pad(x, ((0, pad), (0, 0)))
            y = np.pad(y, ((0, pad), (0, 0)))
            m = np.pad(m, ((0, pad), (0, 0)))
        xs.append(x)
        ys.append(y)
        ms.append(m)
    x = np.concatenate([np.stack(xs), noise(rng, size, frames)], axis=2)
    return torch.tensor(x), torch.tensor(np.stack(ys)), torch.tensor(np.stack(ms))


def speed_envelope(v: torch.Tensor) -> torch.Tensor:
    """Arms' speed per frame, smoothed over 5 frames (B, T-1)."""
    s = torch.sqrt((v[..., ARM_CHANNELS] ** 2).sum(-1) + 1e-6)
    return nn.functional.avg_pool1d(s.unsqueeze(1), 5, 1, 2, count_include_pad=False).squeeze(1)


def losses(model, x, y, m, y_std):
    h0 = torch.zeros(1, x.shape[0], model.gru.hidden_size)
    pred, _ = model.forward_norm(x, h0)
    target = y / y_std
    pos = ((pred - target) ** 2 * m).sum() / m.sum().clamp(min=1)
    mv = m[:, 1:] * m[:, :-1]
    dp, dt = pred[:, 1:] - pred[:, :-1], target[:, 1:] - target[:, :-1]
    vel = ((dp - dt) ** 2 * mv).sum() / mv.sum().clamp(min=1) * 25
    arms = mv[..., ARM_CHANNELS].min(-1).values
    env = ((speed_envelope(dp) - speed_envelope(dt)) ** 2 * arms).sum() / arms.sum().clamp(min=1) * 25
    return pos, vel, env


def split(clips, fraction=0.2):
    train, val = [], []
    for stem, x, y, m in clips:
        cut = int(len(x) * (1 - fraction))
        train.append((stem, x[:cut], y[:cut], m[:cut]))
        val.append((stem, x[cut:], y[cut:], m[cut:]))
    return train, val


def terms_of(fixtures: str):
    terms = {}
    for line in open(os.path.join(fixtures, "terms.tsv")):
        cols = line.rstrip("\n").split("\t")
        if len(cols) >= 4:
            terms[cols[0]] = {"terms": cols[1], "source": f"{cols[2]}@{cols[3]}"}
    return terms


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/body/clips")
    p.add_argument("--out", default="models/body")
    p.add_argument("--fixtures", default=os.environ.get("FACECAST_FIXTURES", "../shared/fixtures"))
    p.add_argument("--minutes", type=float, default=4)
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--hidden", type=int, default=12)
    p.add_argument("--pos-weight", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--spectral", action="store_true", help="also feed the 16 pooled mel bands")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    clips = load(a.data)
    train, val = split(clips)
    ys = np.concatenate([c[2] for c in train])
    ms = np.concatenate([c[3] for c in train])
    y_std = np.array(
        [max(math.sqrt((ys[:, k] ** 2 * ms[:, k]).sum() / max(ms[:, k].sum(), 1)), 1e-3) for k in range(OUTPUTS)],
        np.float32,
    )
    y_std_t = torch.tensor(y_std)
    model = BodyNet(a.hidden, y_std, a.spectral)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.steps)
    vrng = np.random.default_rng(12345)
    vx, vy, vm = batch(vrng, val, 64, 50)
    best, best_state, t0, step = float("inf"), None, time.time(), 0
    for step in range(1, a.steps + 1):
        x, y, m = batch(rng, train, 16, 100)
        pos, vel, env = losses(model, x, y, m, y_std_t)
        loss = a.pos_weight * pos + vel + env
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        last = time.time() - t0 > a.minutes * 60 or step == a.steps
        if step % 100 == 0 or last:
            with torch.no_grad():
                vp, vv, ve = losses(model, vx, vy, vm, y_std_t)
                v = float(a.pos_weight * vp + vv + ve)
            if v < best:
                best, best_state = v, {k: t.clone() for k, t in model.state_dict().items()}
            print(f"step {step} train {float(loss):.4f} val {v:.4f} (pos {float(vp):.3f} vel {float(vv):.3f} env {float(ve):.3f}) {time.time() - t0:.0f}s", flush=True)
        if last:
            break
    model.load_state_dict(best_state)
    export(model, a, clips, best, step, time.time() - t0, y_std)


def export(model, a, clips, best, steps, seconds, y_std):
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "body.onnx")
    model.eval()
    h = model.gru.hidden_size
    example = (torch.zeros(1, 50, INPUTS), torch.zeros(1, 1, h))
    torch.onnx.export(
        model, example, path, input_names=["x", "h0"], output_names=["y", "hn"],
        dynamic_axes={"x": {1: "frames"}, "y": {1: "frames"}}, opset_version=17, dynamo=False,
    )
    # Parity fixture: a real training clip's first 100 frames with seed-1 noise.
    fx = np.concatenate([clips[0][1][:100], noise(np.random.default_rng(1), 1, 100)[0]], axis=1)
    with torch.no_grad():
        fy = model(torch.tensor(fx[None]), torch.zeros(1, 1, h))[0][0].numpy()
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    oy = sess.run(["y"], {"x": fx[None], "h0": np.zeros((1, 1, h), np.float32)})[0][0]
    os.makedirs("test/fixtures/body", exist_ok=True)
    np.save("test/fixtures/body/parity_x.npy", fx.astype(np.float32))
    np.save("test/fixtures/body/parity_y.npy", fy.astype(np.float32))
    data = open(path, "rb").read()
    terms = terms_of(a.fixtures)
    manifest = {
        "name": "facecast-body",
        "version": "1.0.0",
        "file": "body.onnx",
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"name": "x", "type": "float32", "shape": [1, "frames", INPUTS],
             "meaning": "per 40 ms frame: 18 audio features (src/body/features.ts), head yaw and roll (rad), 4 seeded noise channels (src/body/noise.ts)"},
            {"name": "h0", "type": "float32", "shape": [1, 1, h], "meaning": "GRU state (zeros at the start)"},
        ],
        "outputs": [
            {"name": "y", "type": "float32", "shape": [1, "frames", OUTPUTS],
             "meaning": "BODY_OUTPUTS: neck roll (rad), then x, y of shoulders, elbows, wrists (shoulder widths from rest)"},
            {"name": "hn", "type": "float32", "shape": [1, 1, h]},
        ],
        "config": {
            "fps": FPS, "inputs": INPUTS, "outputs": OUTPUTS, "noiseChannels": NOISE,
            "noiseTauS": NOISE_TAU_S, "hidden": h,
            "parameters": sum(p.numel() for p in model.parameters()),
            "targetStd": [round(float(v), 5) for v in y_std],
        },
        "training": {
            "data": [
                {"file": f"train-body/{stem}.mp4", "frames": len(x),
                 **terms.get(f"train-body/{stem}.mp4", {"terms": "unknown", "source": "unknown"})}
                for stem, x, _, _ in clips
            ],
            "heldOutExcluded": "every source in test/fixtures/heldout/heldout.json",
            "targets": "scripts/body/track-clips.ts (facecast trackVideo, MoveNet every frame) -> scripts/body/data.ts",
            "validation": "last 20 % of each training clip",
            "loss": f"{a.pos_weight} x position MSE + velocity MSE + arm speed-envelope MSE",
            "optimizer": f"AdamW lr {a.lr} (cosine), weight decay 1e-3, batch 16 x 100 frames, left/right mirror",
            "spectralInputs": a.spectral,
            "bestValLoss": round(best, 5),
            "steps": steps,
            "wallMinutes": round(seconds / 60, 2),
            "seed": a.seed,
            "threads": 1,
            "torch": torch.__version__,
            "machine": "2-core CPU shared with other jobs, no GPU",
        },
        "parity": {
            "fixture": "test/fixtures/body/parity_x.npy",
            "expected": "test/fixtures/body/parity_y.npy",
            "tolerance": 1e-4,
            "onnxVsTorchMaxAbsDiff": float(np.abs(oy - fy).max()),
        },
        "metrics": None,
    }
    old = os.path.join(a.out, "manifest.json")
    json.dump(manifest, open(old, "w"), indent=2)
    open(old, "a").write("\n")
    print(f"wrote {path} ({len(data)} bytes), parity {manifest['parity']['onnxVsTorchMaxAbsDiff']:.2e}")


if __name__ == "__main__":
    main()
