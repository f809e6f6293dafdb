"""Build models/movenet: Google's MoveNet SinglePose Lightning (17 body keypoints) as ONNX.

The weights are the tfjs graph model that ships inside the @vladmandic/human npm package
(node_modules/@vladmandic/human/models/movenet-lightning.*); movenet_to_onnx.py converts it
(decoder included), this script writes manifest.json (sha256, I/O, upstream files and their
sha256, licence) and the Apache-2.0 licence. Deterministic: the same package gives the same
bytes. Afterwards run `node --import tsx scripts/face/check-conversion.ts --write` (tfjs vs
onnxruntime on seeded inputs) and `node --import tsx scripts/face/movenet-parity.ts --write`
(keypoints vs Human's on the committed frames); both record their figures in the manifest.

  python3 scripts/face/build_movenet_model.py [--human node_modules/@vladmandic/human]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import onnx

from build_landmark_models import sha256
from movenet_to_onnx import convert

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "movenet"
TYPES = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT32: "int32"}
MEANING = {
    "image": "RGB 192×192, NHWC, int32 0–255: the frame padded to a square (centred, black) and resized",
    "keypoints": "17 COCO keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles) × (y, x in [0, 1] of the input, score)",
}


def describe(values) -> list[dict]:
    out = []
    for v in values:
        t = v.type.tensor_type
        shape = [d.dim_value for d in t.shape.dim]
        out.append({"name": v.name, "type": TYPES[t.elem_type], "shape": shape, "meaning": MEANING[v.name]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--human", type=Path, default=ROOT / "node_modules" / "@vladmandic" / "human")
    args = ap.parse_args()
    package = json.loads((args.human / "package.json").read_text())
    source = args.human / "models" / "movenet-lightning.json"
    OUT.mkdir(parents=True, exist_ok=True)
    model = convert(source, {"input": "image", "Identity": "keypoints"})
    target = OUT / "movenet.onnx"
    onnx.save(model, str(target))
    shards = json.loads(source.read_text())["weightsManifest"][0]["paths"]
    manifest_path = OUT / "manifest.json"
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest = {
        "name": "facecast-movenet",
        "version": "1.0.0",
        "models": {
            "movenet": {
                "file": target.name,
                "sha256": sha256(target),
                "bytes": target.stat().st_size,
                "inputs": describe(model.graph.input),
                "outputs": describe(model.graph.output),
                "upstream": {
                    "files": ["models/movenet-lightning.json", *(f"models/{s}" for s in shards)],
                    "sha256": [sha256(source), *(sha256(source.parent / s) for s in shards)],
                },
            }
        },
        "source": {
            "package": f"@vladmandic/human@{package['version']} (npm, MIT), folder models/",
            "origin": "Google MoveNet SinglePose Lightning (TensorFlow Hub, v4), as converted to tfjs and published in @vladmandic/human",
            "licence": "Apache-2.0 (MoveNet, TensorFlow Hub model card; LICENSE-apache-2.0.txt, NOTICE)",
            "trainingData": "Google's own (COCO and Google's Active dataset, see the MoveNet model card); not trained here, no fixture or held-out material used",
        },
        "conversion": {
            "script": "scripts/face/build_movenet_model.py (converter: scripts/face/movenet_to_onnx.py)",
            "opset": 17,
            "layout": "NHWC int32 input and the keypoint output as in tfjs; NCHW inside; the decoder (centre, regression, heatmap argmax, offsets) is part of the graph",
            "parity": previous.get("conversion", {}).get("parity", {}),
        },
        "measured": previous.get("measured", {}),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    shutil.copyfile(ROOT / "models" / "face" / "LICENSE-mediapipe.txt", OUT / "LICENSE-apache-2.0.txt")
    print(f"wrote {OUT.relative_to(ROOT)}: movenet.onnx ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
