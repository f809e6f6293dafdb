"""Self-reenactment samples for the generator (written by scripts/generator/prepare-data.ts).

Each sample folder holds one clip rendered against one reference frame, cropped exactly as
the runtime crops it. This module turns them into training windows and runs the model over
a whole clip the way the runtime does (context chaining, fixed noise), for validation.
"""

import json
import os

import numpy as np
import torch

from generator_model import MAP_CHANNELS

RGB_SLOT_CHANNELS = [0, 1, 2, 3, 4, 5, 17, 18, 19]  # composite, warped, reference
COORD_X = 7  # coords x channel: flipped as 1 - x on the face under a horizontal flip
X, KNOWN, SIGMA = 20, 23, 24  # residual, known flag, noise level channels
SIGMA_MAX = 1.0


class Sample:
    def __init__(self, folder):
        self.folder = folder
        self.meta = json.load(open(os.path.join(folder, "meta.json")))
        self.name = os.path.basename(folder)
        load = lambda n: np.load(os.path.join(folder, n), mmap_mode="r")  # noqa: E731
        self.maps = load("maps.npy")
        self.target = load("target.npy")
        self.sr_guide = load("sr_guide.npy")
        self.sr_target = load("sr_target.npy")
        self.boxes = np.load(os.path.join(folder, "boxes.npy"))
        self.frames = self.maps.shape[0]
        changed = self.boxes[:, 3] > 0
        changed[0] = True
        self.segment = np.cumsum(changed)
        # Cached x0 predictions (float16) for the context of later windows; NaN = none yet.
        self.cache = None

    @property
    def split(self):
        return self.meta["split"]

    def ensure_cache(self):
        if self.cache is None:
            n = self.maps.shape[-1]
            self.cache = np.zeros((self.frames, 3, n, n), np.float16)
            self.cached = np.zeros(self.frames, bool)


def load_samples(root):
    out = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.exists(os.path.join(folder, "meta.json")):
            out.append(Sample(folder))
    return out


def maps_to_float(maps_u8):
    """uint8 [..., 20, N, N] -> float32 with the runtime's value ranges."""
    m = maps_u8.astype(np.float32) / 255.0
    m[..., RGB_SLOT_CHANNELS, :, :] = m[..., RGB_SLOT_CHANNELS, :, :] * 2.0 - 1.0
    return m


def rgb_to_float(u8):
    return u8.astype(np.float32) / 127.5 - 1.0


def sample_windows(samples, rng, batch, frames):
    """Random windows: (sample, first target frame, cold) with `frames` targets each."""
    out = []
    while len(out) < batch:
        s = samples[rng.integers(len(samples))]
        if s.frames < frames + 1:
            continue
        t0 = int(rng.integers(0, s.frames - frames + 1))
        seg = s.segment
        if seg[t0 + frames - 1] != seg[t0]:
            continue  # the crop changes inside the window
        cold = t0 == 0 or seg[t0 - 1] != seg[t0] or rng.random() < 0.1
        out.append((s, t0, cold))
    return out


def build_batch(windows, frames, rng, augment=True):
    """Inputs for a batch of windows.

    Returns maps [B, S, 20, N, N], context residual [B, 3, N, N], targets [B, T, 3, N, N],
    SR guide [B, T, 4, 2N, 2N], SR targets [B, T, 3, 2N, 2N], and per window: flipped,
    colour gain [3], geometrically moved (a moved window's prediction is not cached).
    """
    b = len(windows)
    first = windows[0][0]
    n = first.maps.shape[-1]
    m2 = first.sr_guide.shape[-1]
    maps = np.empty((b, frames + 1, MAP_CHANNELS, n, n), np.float32)
    ctx = np.zeros((b, 3, n, n), np.float32)
    target = np.empty((b, frames, 3, n, n), np.float32)
    guide = np.empty((b, frames, 4, m2, m2), np.float32)
    sr_target = np.empty((b, frames, 3, m2, m2), np.float32)
    flips = np.zeros(b, bool)
    gains = np.ones((b, 3), np.float32)
    for i, (s, t0, cold) in enumerate(windows):
        s.ensure_cache()
        maps[i, 1:] = maps_to_float(s.maps[t0 : t0 + frames])
        if cold or not s.cached[t0 - 1]:
            maps[i, 0] = maps[i, 1]  # cold start: the first frame's own maps, residual 0
        else:
            maps[i, 0] = maps_to_float(s.maps[t0 - 1])
            ctx[i] = s.cache[t0 - 1].astype(np.float32)
        target[i] = rgb_to_float(s.target[t0 : t0 + frames])
        g = s.sr_guide[t0 : t0 + frames].astype(np.float32) / 255.0
        g[:, :3] = g[:, :3] * 2.0 - 1.0
        guide[i] = g
        sr_target[i] = rgb_to_float(s.sr_target[t0 : t0 + frames])
        if augment:
            # Same colour change for every RGB input and the targets (lighting, camera).
            gains[i] = rng.uniform(0.8, 1.2, 3).astype(np.float32)
            gain = gains[i][:, None, None]
            bias = rng.uniform(-0.1, 0.1, 3).astype(np.float32)[:, None, None]
            for c0 in (0, 3, 17):
                maps[i, :, c0 : c0 + 3] = (maps[i, :, c0 : c0 + 3] + 1) * gain - 1 + bias
            target[i] = (target[i] + 1) * gain - 1 + bias
            guide[i, :, :3] = (guide[i, :, :3] + 1) * gain - 1 + bias
            sr_target[i] = (sr_target[i] + 1) * gain - 1 + bias
            ctx[i] = ctx[i] * gain
            if rng.random() < 0.5:
                flips[i] = True
                maps[i] = maps[i, ..., ::-1]
                face = maps[i, :, COORD_X] > 0
                maps[i, :, COORD_X][face] = 1.0 - maps[i, :, COORD_X][face]
                ctx[i] = ctx[i, ..., ::-1]
                target[i] = target[i, ..., ::-1]
                guide[i] = guide[i, ..., ::-1]
                sr_target[i] = sr_target[i, ..., ::-1]
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    tensors = (t(maps), t(ctx), t(target), t(guide), t(sr_target))
    moved = np.zeros(b, bool)
    if augment:
        tensors, moved = geometric_augment(rng, *tensors)
    return (*tensors, {"flips": flips, "gains": gains, "moved": moved})


def geometric_augment(rng, maps, ctx, target, guide, sr_target, p=0.7, max_shift=0.06, max_scale=0.08, max_rot=0.08):
    """With probability p per window, the same random similarity transform (shift up to 6 % of
    the crop, scale +-8 %, rotation +-0.08 rad) for every tensor of the window, as if the crop
    had been taken slightly differently. Sampled bilinearly with border padding; label
    fractions stay fractions. Returns the tensors and which windows moved."""
    b = maps.shape[0]
    moved = rng.random(b) < p
    on = torch.from_numpy(moved.astype(np.float32))
    ang = torch.from_numpy(rng.uniform(-max_rot, max_rot, b).astype(np.float32)) * on
    scale = 1 + torch.from_numpy(rng.uniform(-max_scale, max_scale, b).astype(np.float32)) * on
    shift = torch.from_numpy(rng.uniform(-max_shift, max_shift, (b, 2)).astype(np.float32)) * 2 * on[:, None]
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = scale * torch.cos(ang)
    theta[:, 0, 1] = -scale * torch.sin(ang)
    theta[:, 1, 0] = scale * torch.sin(ang)
    theta[:, 1, 1] = scale * torch.cos(ang)
    theta[:, :, 2] = shift

    def warp(x):
        shape = x.shape
        flat = x.reshape(b, -1, shape[-2], shape[-1])
        grid = torch.nn.functional.affine_grid(theta, list(flat.shape), align_corners=False)
        out = torch.nn.functional.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=False)
        return out.reshape(shape)

    return (warp(maps), warp(ctx), warp(target), warp(guide), warp(sr_target)), moved


def assemble(maps, ctx_residual, x_targets, sigma):
    """Generator input [B, S, 25, N, N] from maps [B, S, 20, N, N], the context residual
    [B, 3, N, N], the noisy target residuals [B, T, 3, N, N] and sigma [B]."""
    b, s, _, n, m = maps.shape
    x = torch.cat([ctx_residual[:, None], x_targets], 1)
    known = torch.zeros(b, s, 1, n, m, device=maps.device)
    known[:, 0] = 1.0
    sig = sigma.view(b, 1, 1, 1, 1).expand(b, s, 1, n, m).clone()
    sig[:, 0] = 0.0
    return torch.cat([maps, x, known, sig], 2)


def sample_residual(model, maps, ctx_residual, eps, steps, sigmas):
    """The runtime's sampler: DDIM-style x0 steps from sigma_max with the stream's fixed noise
    eps [3, N, N] (the same for every frame). Returns the x0 residual [B, T, 3, N, N]."""
    b, s = maps.shape[:2]
    t = s - 1
    x = (sigmas[0] * eps).expand(b, t, *eps.shape)
    x0 = None
    for k in range(steps):
        sigma = torch.full((b,), sigmas[k], device=maps.device)
        x0 = model(assemble(maps, ctx_residual, x, sigma))[:, 1:]
        if k + 1 < steps:
            x = x0 + sigmas[k + 1] * eps
    return x0


@torch.no_grad()
def run_clip(model, sr, sample, frames_per_window, steps, sigmas, eps, max_frames=None, device="cpu", collect=None):
    """Runs a whole clip like the runtime: windows of `frames_per_window`, context = the last
    output of the previous window (cold at the start and when the crop changes).
    Returns per-frame squared errors (base composite, base generated, SR composite, SR
    generated), each the mean over the crop, and the base residuals."""
    n_frames = sample.frames if max_frames is None else min(max_frames, sample.frames)
    n = sample.maps.shape[-1]
    rows = []
    prev = None  # (frame index, residual)
    t0 = 0
    while t0 < n_frames:
        # Windows never straddle a crop change.
        t1 = t0 + 1
        while t1 < min(n_frames, t0 + frames_per_window) and sample.segment[t1] == sample.segment[t0]:
            t1 += 1
        maps_t = torch.from_numpy(maps_to_float(sample.maps[t0:t1]))[None]
        if prev is not None and prev[0] == t0 - 1 and sample.segment[t0 - 1] == sample.segment[t0]:
            ctx_maps = torch.from_numpy(maps_to_float(sample.maps[t0 - 1 : t0]))[None]
            ctx = prev[1][None]
        else:
            ctx_maps = maps_t[:, :1]
            ctx = torch.zeros(1, 3, n, n)
        maps = torch.cat([ctx_maps, maps_t], 1)
        res = sample_residual(model, maps.to(device), ctx.to(device), eps.to(device), steps, sigmas)[0].cpu()
        comp = maps_t[0, :, 0:3]
        out = (comp + res).clamp(-1, 1)
        tgt = torch.from_numpy(rgb_to_float(sample.target[t0:t1]))
        g = torch.from_numpy(sample.sr_guide[t0:t1].astype(np.float32) / 255.0)
        g[:, :3] = g[:, :3] * 2 - 1
        srt = torch.from_numpy(rgb_to_float(sample.sr_target[t0:t1]))
        sr_res = sr(g[:, :3].to(device), g[:, 3:4].to(device), res.to(device)).cpu()
        if collect is not None:
            # (predicted, true) SR residuals, for the output-scale calibration at export.
            collect.append((sr_res.numpy().astype(np.float32), (srt - g[:, :3]).numpy().astype(np.float32)))
        sr_out = (g[:, :3] + sr_res).clamp(-1, 1)
        for k in range(t1 - t0):
            rows.append(
                [
                    float(((comp[k] - tgt[k]) ** 2).mean()),
                    float(((out[k] - tgt[k]) ** 2).mean()),
                    float(((g[k, :3] - srt[k]) ** 2).mean()),
                    float(((sr_out[k] - srt[k]) ** 2).mean()),
                ]
            )
        prev = (t1 - 1, res[-1])
        t0 = t1
    return np.array(rows)


def psnr_of_mse(mse_unit):
    """PSNR in dB of a mean squared error measured on [-1, 1] images."""
    mse = np.asarray(mse_unit) * (127.5**2)
    return 10 * np.log10(255.0**2 / np.maximum(mse, 1e-12))
