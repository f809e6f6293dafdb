"""Exports a trained generator + SR checkpoint to ONNX with manifests, checks onnxruntime
against PyTorch, and writes the parity fixtures the TypeScript test replays.

  python3 scripts/train/export_generator.py --checkpoint data/generator/run/checkpoint.pt \
      --train-info data/generator/run/train.json --samples data/generator/samples \
      --parity-sample video_videoretalking_1@0 --out-generator models/generator --out-sr models/sr \
      --parity-dir test/fixtures/generator

The sampler's step count is the one that scored best on the held-out validation clips in
train.json (ties: fewer steps). `evaluation` in the generator manifest is left null: it is
filled by scripts/generator/eval-heldout.ts, which decides `auto`.
"""

import argparse
import datetime
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generator_data import SIGMA_MAX, Sample, assemble, maps_to_float, run_clip  # noqa: E402
from generator_model import IN_CHANNELS, GeneratorUNet, ResidualSR  # noqa: E402

TOLERANCE = 1e-4


class ScaledSR(torch.nn.Module):
    """The SR model with its output scaled by the calibrated shrinkage factor."""

    def __init__(self, sr, scale):
        super().__init__()
        self.sr = sr
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, composite, disocclusion, base):
        return self.sr(composite, disocclusion, base) * self.scale


def calibrate_scale(gen, sr, samples, steps, sigmas, frames_per_window):
    """Least-squares shrinkage of the SR residual on validation clips run like the runtime:
    alpha = <pred, true> / <pred, pred>, clipped to [0, 1]. A noisy prediction scaled by alpha
    has the smallest squared error of any scaling of it."""
    n = samples[0].maps.shape[-1]
    eps = torch.from_numpy(np.random.default_rng(1).standard_normal((3, n, n)).astype(np.float32))
    pairs = []
    for s in samples:
        run_clip(gen, sr, s, frames_per_window, steps, sigmas, eps, collect=pairs)
    num = sum(float((p * t).sum()) for p, t in pairs)
    den = sum(float((p * p).sum()) for p, t in pairs)
    return max(0.0, min(1.0, num / den)) if den > 0 else 0.0


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def write_npy(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--train-info", required=True)
    p.add_argument("--samples", required=True)
    p.add_argument("--parity-sample", required=True, help="sample folder (held out) the fixtures are cut from")
    p.add_argument("--parity-frame", type=int, default=40)
    p.add_argument("--out-generator", default="models/generator")
    p.add_argument("--out-sr", default="models/sr")
    p.add_argument("--parity-dir", default="test/fixtures/generator")
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--frames-per-window", type=int, default=4)
    p.add_argument("--no-calibration", action="store_true", help="ship the SR output unscaled")
    p.add_argument("--prior-steps", type=int, default=0, help="steps of the run the checkpoint continued from (train_generator.py --init)")
    p.add_argument("--prior-minutes", type=float, default=0.0, help="wall minutes of that run")
    a = p.parse_args()

    ck = torch.load(a.checkpoint)
    info = json.load(open(a.train_info))
    gen = GeneratorUNet(tuple(ck["widths"]))
    gen.load_state_dict(ck["generator"])
    gen.eval()
    sr = ResidualSR(ck["srWidth"], ck["srLayers"])
    sr.load_state_dict(ck["sr"])
    sr.eval()
    ck_step = int(ck.get("step", info["steps"]))
    ck_minutes = next((v["minutes"] for v in info.get("history", []) if v["step"] == ck_step), info["wallMinutes"])
    steps_scores_all = info["samplerSteps"]
    steps0 = min((int(k) for k in steps_scores_all), key=lambda k: (-round(steps_scores_all[str(k)]["gainSr"], 2), k))
    val_samples = [Sample(os.path.join(a.samples, name)) for name in info.get("validation", [])]
    scale = calibrate_scale(gen, sr, val_samples, steps0, [float(x) for x in info["sigmas"]], a.frames_per_window) if val_samples and not a.no_calibration else 1.0
    print(f"SR output scale (least squares on the validation clips {[s.name for s in val_samples]}): {scale:.3f}")
    sr = ScaledSR(sr, scale).eval()
    sample = Sample(os.path.join(a.samples, a.parity_sample))
    n = sample.maps.shape[-1]
    m = 2 * n
    steps_scores = info["samplerSteps"]
    steps = min((int(k) for k in steps_scores), key=lambda k: (-round(steps_scores[str(k)]["gainSr"], 2), k))
    sigmas = [float(s) for s in info["sigmas"]]

    os.makedirs(a.out_generator, exist_ok=True)
    os.makedirs(a.out_sr, exist_ok=True)
    os.makedirs(a.parity_dir, exist_ok=True)
    gen_path = os.path.join(a.out_generator, "generator.onnx")
    sr_path = os.path.join(a.out_sr, "sr.onnx")

    # Parity inputs: a context slot + 1 frame of a held-out clip at sigma_max, fixed noise.
    t = a.parity_frame
    maps = torch.from_numpy(maps_to_float(sample.maps[t - 1 : t + 1]))[None]
    ctx = torch.zeros(1, 3, n, n)
    eps = torch.from_numpy(np.random.default_rng(7).standard_normal((3, n, n)).astype(np.float32))
    x = (SIGMA_MAX * eps).expand(1, 1, 3, n, n)
    slots = assemble(maps, ctx, x, torch.full((1,), SIGMA_MAX))
    with torch.no_grad():
        x0 = gen(slots)
        g = torch.from_numpy(sample.sr_guide[t : t + 1].astype(np.float32) / 255.0)
        g[:, :3] = g[:, :3] * 2 - 1
        comp, dis = g[:, :3].contiguous(), g[:, 3:4].contiguous()
        base = x0[0, 1:].contiguous()
        residual = sr(comp, dis, base)

    torch.onnx.export(
        gen,
        (slots,),
        gen_path,
        input_names=["slots"],
        output_names=["x0"],
        dynamic_axes={"slots": {0: "batch", 1: "slots"}, "x0": {0: "batch", 1: "slots"}},
        opset_version=17,
        dynamo=False,
    )
    torch.onnx.export(
        sr,
        (comp, dis, base),
        sr_path,
        input_names=["composite", "disocclusion", "base"],
        output_names=["residual"],
        dynamic_axes={k: {0: "frames"} for k in ("composite", "disocclusion", "base", "residual")},
        opset_version=17,
        dynamo=False,
    )
    for path in (gen_path, sr_path):
        model = onnx.load(path)
        onnx.checker.check_model(model)

    # onnxruntime vs PyTorch, at the fixture and at other window lengths (dynamic slots).
    gs = ort.InferenceSession(gen_path, providers=["CPUExecutionProvider"])
    ss = ort.InferenceSession(sr_path, providers=["CPUExecutionProvider"])
    diff_gen = float(np.abs(gs.run(None, {"slots": slots.numpy()})[0] - x0.numpy()).max())
    diff_sr = float(np.abs(ss.run(None, {"composite": comp.numpy(), "disocclusion": dis.numpy(), "base": base.numpy()})[0] - residual.numpy()).max())
    for slots_n in (2, 5):
        mm = torch.from_numpy(maps_to_float(sample.maps[t : t + slots_n]))[None].repeat(2, 1, 1, 1, 1)
        xx = (SIGMA_MAX * eps).expand(2, slots_n - 1, 3, n, n)
        inp = assemble(mm, torch.zeros(2, 3, n, n), xx, torch.full((2,), SIGMA_MAX))
        with torch.no_grad():
            ref = gen(inp).numpy()
        d = float(np.abs(gs.run(None, {"slots": inp.numpy()})[0] - ref).max())
        print(f"dynamic shape check batch 2, {slots_n} slots: max |onnx - torch| {d:.2e}")
        diff_gen = max(diff_gen, d)
    print(f"parity: generator {diff_gen:.2e}, sr {diff_sr:.2e} (tolerance {TOLERANCE})")
    assert diff_gen < TOLERANCE and diff_sr < TOLERANCE

    write_npy(os.path.join(a.parity_dir, "gen_slots.npy"), slots.numpy())
    write_npy(os.path.join(a.parity_dir, "gen_x0.npy"), x0.numpy())
    write_npy(os.path.join(a.parity_dir, "sr_composite.npy"), comp.numpy())
    write_npy(os.path.join(a.parity_dir, "sr_disocclusion.npy"), dis.numpy())
    write_npy(os.path.join(a.parity_dir, "sr_base.npy"), base.numpy())
    write_npy(os.path.join(a.parity_dir, "sr_residual.npy"), residual.numpy())

    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    training = {
        "data": "self-reenactment samples from scripts/generator/prepare-data.ts (fixtures train-video, train-talk, video; held-out clips excluded)",
        "trainClips": info["trainClips"],
        "trainFrames": info["trainFrames"],
        "trainSampleFolders": info["trainSampleFolders"],
        "heldout": info["heldout"],
        # The exported checkpoint (the best validation, not necessarily the last step).
        "steps": ck_step + a.prior_steps,
        "wallMinutes": round(ck_minutes + a.prior_minutes, 1),
        "checkpoint": f"best validation: step {ck_step} of the last stage ({ck_minutes} min into it)",
        # What the whole run spent, the discarded steps after the checkpoint included.
        "computeSteps": info["steps"] + a.prior_steps,
        "computeWallMinutes": round(info["wallMinutes"] + a.prior_minutes, 1),
        "stages": (
            [{"steps": a.prior_steps, "wallMinutes": a.prior_minutes, "note": "first run, from scratch (sigma_max in half the windows)"}] if a.prior_steps else []
        )
        + [{"steps": info["steps"], "wallMinutes": info["wallMinutes"], "init": info.get("init"), "topFrac": info.get("topFrac", 0.5), "lr": info["lr"]}],
        "history": [{k: v[k] for k in ("step", "minutes", "gainBase", "gainSr", "clips")} for v in info.get("history", [])],
        "batch": info["batch"],
        "threads": info["threads"],
        "seed": info["seed"],
        "lr": info["lr"],
        "torch": info["torch"],
        "machine": info["machine"],
        "validation": {"samplerSteps": {k: {"gainBaseDb": v["gainBase"], "gainSrDb": v["gainSr"]} for k, v in steps_scores.items()}},
    }
    gen_manifest = {
        "name": "facecast-generator",
        "version": a.version,
        "file": "generator.onnx",
        "sha256": sha256(gen_path),
        "bytes": os.path.getsize(gen_path),
        "createdAt": now,
        "inputs": [
            {"name": "slots", "type": "float32", "shape": ["batch", "slots", IN_CHANNELS, n, n],
             "meaning": "slot 0 = context (previous output, known), slots 1.. = frames to generate; channels per src/generator/layout.ts"}
        ],
        "outputs": [{"name": "x0", "type": "float32", "shape": ["batch", "slots", 3, n, n], "meaning": "clean residual over the composite crop, [-1, 1] image units"}],
        "parameters": int(sum(q.numel() for q in gen.parameters())),
        "config": {
            "baseSize": n,
            "mapsVersion": 1,
            "slotChannels": IN_CHANNELS,
            "contextSlots": 1,
            "framesPerWindow": a.frames_per_window,
            "sampler": {"steps": steps, "sigmas": sigmas, "prediction": "x0-residual"},
            "crop": {"margin": 1.25, "recentre": 0.06, "resize": 0.1, "feather": 0.12},
            "widths": list(ck["widths"]),
        },
        "training": training,
        "parity": {"fixture": "test/fixtures/generator/gen_slots.npy", "expected": "test/fixtures/generator/gen_x0.npy", "tolerance": TOLERANCE, "onnxVsTorchMaxAbsDiff": diff_gen},
        "evaluation": None,
    }
    sr_manifest = {
        "name": "facecast-sr",
        "version": a.version,
        "file": "sr.onnx",
        "sha256": sha256(sr_path),
        "bytes": os.path.getsize(sr_path),
        "createdAt": now,
        "inputs": [
            {"name": "composite", "type": "float32", "shape": ["frames", 3, m, m], "meaning": "warp-only composite crop at 2x base, RGB in [-1, 1]"},
            {"name": "disocclusion", "type": "float32", "shape": ["frames", 1, m, m], "meaning": "disoccluded fraction at 2x base"},
            {"name": "base", "type": "float32", "shape": ["frames", 3, n, n], "meaning": "the generator's residual at base size"},
        ],
        "outputs": [{"name": "residual", "type": "float32", "shape": ["frames", 3, m, m], "meaning": "residual over the composite at 2x base"}],
        "parameters": int(sum(q.numel() for q in sr.parameters())),
        "config": {"factor": 2, "baseSize": n, "pairedWith": a.version, "width": ck["srWidth"], "layers": ck["srLayers"], "outputScale": round(scale, 4)},
        "training": {
            "jointlyWith": "facecast-generator " + a.version,
            "note": "trained alongside the generator on its detached sigma_max predictions; output scaled by outputScale, the least-squares shrinkage of its residual on the validation clips (run like the runtime)",
            "calibratedOn": [s.name for s in val_samples],
            **{k: training[k] for k in ("steps", "wallMinutes", "trainFrames")},
        },
        "parity": {"fixture": "test/fixtures/generator/sr_composite.npy", "expected": "test/fixtures/generator/sr_residual.npy", "tolerance": TOLERANCE, "onnxVsTorchMaxAbsDiff": diff_sr},
    }
    json.dump(gen_manifest, open(os.path.join(a.out_generator, "manifest.json"), "w"), indent=2)
    json.dump(sr_manifest, open(os.path.join(a.out_sr, "manifest.json"), "w"), indent=2)
    print(f"wrote {gen_path} ({os.path.getsize(gen_path)} B), {sr_path} ({os.path.getsize(sr_path)} B), steps {steps}")


if __name__ == "__main__":
    main()
