"""Exports a trained motion checkpoint to ONNX (the streaming `step` graph), checks it with
onnxruntime against PyTorch, writes the manifest and the parity fixture.

  python3 scripts/train/export_motion.py --checkpoint data/motion/run/checkpoint.pt \
      --train-info data/motion/run/train.json --out-dir models/motion \
      --parity-mel <mel.npy of test/fixtures/speech/jfk.wav from `facecast features`> \
      --parity-out test/fixtures/motion/jfk_expected.npy --terms ../shared/fixtures/terms.tsv

The manifest's `training.sources` lists every real clip trained or validated on with its terms
(from the fixtures' terms.tsv), the synthetic voices, and the held-out sources kept out.

The manifest's `metrics` are filled afterwards by scripts/train/eval-motion.ts, which measures
the exported model through the TypeScript runtime.
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
from motion_model import CTX, DELAY, HOP, N_MEL, N_OUT, MotionNet, tokens_from_mel  # noqa: E402

PARITY_TOLERANCE = 1e-4


class Step(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens, k_cache, v_cache, valid):
        return self.model.step(tokens, k_cache, v_cache, valid)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--train-info", required=True, nargs="+", help="train.json of each training stage, in order")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--version", default="2.0.0")
    p.add_argument("--terms", required=True, help="the fixtures' terms.tsv (file, terms, repo, commit)")
    p.add_argument("--heldout", default="test/fixtures/heldout/heldout.json")
    p.add_argument("--parity-mel", required=True)
    p.add_argument("--parity-out", required=True)
    a = p.parse_args()

    ck = torch.load(a.checkpoint)
    model = MotionNet(**ck["config"])
    model.load_state_dict(ck["model"])
    model.eval()
    cfg = model.config
    os.makedirs(a.out_dir, exist_ok=True)
    path = os.path.join(a.out_dir, "motion.onnx")

    k, v, valid = model.empty_state()
    example = torch.randn(1, 5, CTX, N_MEL) * 3 - 10
    torch.onnx.export(
        Step(model).eval(),
        (example, k, v, valid),
        path,
        input_names=["tokens", "k_cache", "v_cache", "valid"],
        output_names=["controls", "k_cache_out", "v_cache_out", "valid_out"],
        dynamic_axes={"tokens": {1: "n"}, "controls": {1: "n"}},
        opset_version=17,
        dynamo=False,
    )
    model.eval()  # export restores the wrapper's mode recursively; make sure dropout is off
    m = onnx.load(path)
    m.doc_string = "facecast motion model: log-mel tokens -> ARKit-52 + head + gaze (see manifest.json)"
    onnx.checker.check_model(m)
    onnx.save(m, path)

    # onnxruntime vs PyTorch: chunked streaming through the ONNX graph == full-sequence forward.
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    mel = torch.from_numpy(np.load(a.parity_mel)).float()
    frames = (mel.shape[0] - 1) // HOP + 1  # every frame whose instant is within the audio (as the runtime)
    tokens = tokens_from_mel(mel, 0, frames + DELAY)
    with torch.no_grad():
        expected = model(tokens[None])[0][DELAY:].numpy()
    state = [x.numpy() for x in model.empty_state()]
    outs, pos = [], 0
    for n in [1, 3, 16, 64, 7] * 100:
        if pos >= tokens.shape[0]:
            break
        chunk = tokens[pos : pos + n][None].numpy()
        y, state[0], state[1], state[2] = sess.run(None, {"tokens": chunk, "k_cache": state[0], "v_cache": state[1], "valid": state[2]})
        outs.append(y[0])
        pos += chunk.shape[1]
    streamed = np.concatenate(outs)[DELAY:]
    diff = float(np.abs(streamed - expected).max())
    print(f"onnxruntime (chunked) vs PyTorch (full sequence): max |diff| = {diff:.2e}")
    assert diff < PARITY_TOLERANCE, diff
    os.makedirs(os.path.dirname(a.parity_out), exist_ok=True)
    np.save(a.parity_out, expected.astype(np.float32))

    stages = []
    for info_path in a.train_info:
        with open(info_path) as f:
            stages.append(json.load(f))
    info = stages[-1]
    data = open(path, "rb").read()
    dh = cfg["d"] // cfg["heads"]
    cache = [cfg["layers"], cfg["heads"], cfg["window"], dh]
    manifest_path = os.path.join(a.out_dir, "manifest.json")
    old = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
    manifest = {
        "name": "facecast-motion",
        "version": a.version,
        "file": "motion.onnx",
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "inputs": [
            {"name": "tokens", "type": "float32", "shape": [1, "n", CTX, N_MEL], "meaning": "raw log-mel (src/features), token k = mel frames 4k-7..4k"},
            {"name": "k_cache", "type": "float32", "shape": cache, "meaning": "keys of the last `window` tokens per layer/head, oldest first"},
            {"name": "v_cache", "type": "float32", "shape": cache, "meaning": "values, same layout"},
            {"name": "valid", "type": "float32", "shape": [cfg["window"]], "meaning": "1 where the cache slot holds a real token"},
        ],
        "outputs": [
            {"name": "controls", "type": "float32", "shape": [1, "n", N_OUT], "meaning": "per token k: the controls of video frame k - delayFrames (MOTION_OUTPUTS order)"},
            {"name": "k_cache_out", "type": "float32", "shape": cache},
            {"name": "v_cache_out", "type": "float32", "shape": cache},
            {"name": "valid_out", "type": "float32", "shape": [cfg["window"]]},
        ],
        "config": {
            "fps": 25,
            "melBands": N_MEL,
            "melHopMs": 10,
            "melFramesPerToken": CTX,
            "melFramesPerVideoFrame": HOP,
            "delayFrames": DELAY,
            "window": cfg["window"],
            "layers": cfg["layers"],
            "heads": cfg["heads"],
            "dModel": cfg["d"],
            "ffn": cfg["ffn"],
            "parameters": sum(p.numel() for p in model.parameters()),
            "outputs": N_OUT,
        },
        "training": {
            "data": sorted({d for st in stages for d in st["data"]}),
            "real": sorted({d for st in stages for d in st["real"]}),
            "syntheticHours": round(info["train_hours"], 3),
            "realMinutes": round(max(st["real_minutes"] for st in stages), 2),
            "wallMinutes": round(sum(st["minutes"] for st in stages), 1),
            "steps": sum(st["steps"] for st in stages),
            "stages": [
                {
                    "init": st.get("init"),
                    "realWeight": st["real_weight"],
                    "steps": st["steps"],
                    "epochs": round(st["epochs"], 2),
                    "wallMinutes": round(st["minutes"], 1),
                    "lr": st.get("lr"),
                    "lipApertureLoss": st.get("aperture_loss", True),
                    "closureBoost": st.get("closure_boost"),
                    "sealCrossEntropyWeight": st.get("seal_weight"),
                    "bestValLoss": round(st["best_val_loss"], 5),
                }
                for st in stages
            ],
            "threads": info["threads"],
            "batch": info["batch"],
            "tokensPerSequence": info["tokens"],
            "seed": info["seed"],
            "torch": info["torch"],
            "machine": "2-core CPU shared with other jobs (load average 8-30 during training), no GPU",
            "sources": training_sources(stages, a.terms, a.heldout),
        },
        "parity": {
            "fixture": "test/fixtures/speech/jfk.wav",
            "expected": os.path.relpath(a.parity_out),
            "tolerance": PARITY_TOLERANCE,
            "onnxVsTorchMaxAbsDiff": diff,
        },
        "metrics": old.get("metrics") if old.get("sha256") == hashlib.sha256(data).hexdigest() else None,
    }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {path} ({len(data) / 1e6:.2f} MB) and {manifest_path}")


def read_terms(path):
    """terms.tsv rows by file stem: {file, terms, repo, commit}."""
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 4:
                stem = os.path.splitext(os.path.basename(cols[0]))[0]
                rows[stem] = {"file": cols[0], "terms": cols[1], "repo": cols[2], "commit": cols[3]}
    return rows


def training_sources(stages, terms_path, heldout_path):
    """The real clips (with their terms), the synthetic voices, and what was held out."""
    terms = read_terms(terms_path)
    info = stages[-1]

    def clip(name, role):
        stem = os.path.splitext(name)[0]
        row = terms.get(stem, {"file": name, "terms": "see the fixtures' SOURCES.md", "repo": None, "commit": None})
        return {**row, "role": role}

    real = [clip(c, "train") for c in info.get("real_clips", [])]
    real += [clip(c, "validation (held-out speaker, model selection only)") for c in info.get("real_val_clips", [])]
    with open(heldout_path) as f:
        heldout = json.load(f)["sources"]
    return {
        "real": real,
        "synthetic": {
            "engines": [
                "espeak-ng (@echogarden/espeak-ng-emscripten, GPL-3.0): generated speech, ~15 languages, many timbre variants",
                "flite 2.2 (Debian package; CMU voices kal, kal16, awb, slt; rms held out): generated English speech",
            ],
            "terms": "generated here by the data scripts; no third-party recordings",
            "hours": round(info["train_hours"], 3),
        },
        "heldoutExcluded": heldout,
    }


if __name__ == "__main__":
    main()
