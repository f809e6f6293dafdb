"""Build models/face-landmarks: MediaPipe's BlazeFace, FaceMesh and Iris as ONNX.

The weights are the tfjs graph models that ship inside the @vladmandic/human npm package
(node_modules/@vladmandic/human/models); tfjs_to_onnx.py converts each one, this script names
their inputs/outputs, writes manifest.json (sha256 of every file, upstream files and their
sha256, I/O, licence) and copies the Apache-2.0 licence. Deterministic: the same package
gives the same bytes. Afterwards run scripts/face/check-conversion.ts --write, which checks
the ONNX models against tfjs and records the differences in the manifest.

  python3 scripts/face/build_landmark_models.py [--human node_modules/@vladmandic/human]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import onnx

from tfjs_to_onnx import convert

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "face-landmarks"

MODELS = {
    "blazeface": {
        "names": {
            "input": "image",
            "Identity": "scores_16",
            "Identity_2": "regressors_16",
            "Identity_1": "scores_8",
            "Identity_3": "regressors_8",
        },
        "meaning": {
            "image": "RGB 256×256, NHWC, values (v / 127.5) − 1: the whole frame resized",
            "scores_16": "face logits of the 512 anchors on the 16×16 grid (2 per cell)",
            "regressors_16": "per anchor: box centre dx, dy, width, height, then 6 keypoints (x, y), px of the 256 input, relative to the anchor centre",
            "scores_8": "face logits of the 384 anchors on the 8×8 grid (6 per cell)",
            "regressors_8": "as regressors_16 for the 8×8 grid",
        },
    },
    "facemesh": {
        "names": {
            "input_1": "image",
            "Identity_2": "mesh",
            "Identity_1": "face_flag",
            "Identity": "contours",
        },
        "meaning": {
            "image": "RGB 192×192 face crop, NHWC, values v / 255",
            "mesh": "468 × (x, y, z), px of the 192 crop (z relative, same scale)",
            "face_flag": "probability that the crop holds a face",
            "contours": "133 × (x, y) contour points (unused)",
        },
    },
    "iris": {
        "names": {"input_1": "image", "Identity": "eye"},
        "meaning": {
            "image": "RGB 64×64 crop around one eye (the subject's right eye; flip the left), NHWC, values v / 255",
            "eye": "76 × (x, y, z), px of the 64 crop: 71 eye-contour and brow points, then the iris centre and 4 rim points",
        },
    },
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(values) -> list[dict]:
    out = []
    for v in values:
        dims = v.type.tensor_type.shape.dim
        shape = [d.dim_param if d.dim_param else d.dim_value for d in dims]
        shape = ["batch" if i == 0 else s for i, s in enumerate(shape)]
        out.append({"name": v.name, "type": "float32", "shape": shape})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--human", type=Path, default=ROOT / "node_modules" / "@vladmandic" / "human")
    args = ap.parse_args()
    package = json.loads((args.human / "package.json").read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name, spec in MODELS.items():
        source = args.human / "models" / f"{name}.json"
        model = convert(source, spec["names"])
        target = OUT / f"{name}.onnx"
        onnx.save(model, str(target))
        shards = json.loads(source.read_text())["weightsManifest"][0]["paths"]
        inputs, outputs = describe(model.graph.input), describe(model.graph.output)
        for v in inputs + outputs:
            v["meaning"] = spec["meaning"][v["name"]]
        entries[name] = {
            "file": target.name,
            "sha256": sha256(target),
            "bytes": target.stat().st_size,
            "inputs": inputs,
            "outputs": outputs,
            "upstream": {
                "files": [f"models/{name}.json", *(f"models/{s}" for s in shards)],
                "sha256": [sha256(source), *(sha256(source.parent / s) for s in shards)],
            },
        }
    manifest_path = OUT / "manifest.json"
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest = {
        "name": "facecast-face-landmarks",
        "version": "1.0.0",
        "models": entries,
        "source": {
            "package": f"@vladmandic/human@{package['version']} (npm), folder models/",
            "origin": "Google MediaPipe: BlazeFace (short range), Face Mesh (468 points), Iris landmark; as converted to tfjs and published in @vladmandic/human",
            "licence": "Apache-2.0 (MediaPipe models; LICENSE-mediapipe.txt, NOTICE)",
            "trainingData": "Google's own (see the MediaPipe model cards); not trained here, no fixture or held-out material used",
        },
        "conversion": {
            "script": "scripts/face/build_landmark_models.py (converter: scripts/face/tfjs_to_onnx.py)",
            "opset": 17,
            "layout": "NHWC input as in tfjs; NCHW inside",
            "parity": previous.get("conversion", {}).get("parity", {}),
        },
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.copyfile(ROOT / "models" / "face" / "LICENSE-mediapipe.txt", OUT / "LICENSE-mediapipe.txt")
    print(f"wrote {OUT.relative_to(ROOT)}: {', '.join(entries)}")


if __name__ == "__main__":
    main()
