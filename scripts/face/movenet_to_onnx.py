"""Convert MoveNet SinglePose Lightning (tfjs graph model) to ONNX, decoding included.

MoveNet is a MobileNetV2 + FPN backbone with four heads (keypoint heatmaps, person centre,
keypoint regression, offsets) followed, inside the same graph, by its decoder: the person
centre's argmax, the regressed keypoints, each keypoint's heatmap argmax weighted by its
distance to the regressed point, and the offsets there. tfjs_to_onnx.py's Converter maps
the backbone's convolutions; this subclass adds the ops of the resize, the preprocessing and
the decoder (Cast, Unpack, ExpandDims, Squeeze, Sub, Mul, RealDiv, SquaredDifference, Sqrt,
ArgMax, FloorDiv, Pack, GatherNd, ConcatV2 with constants, ResizeBilinear with half-pixel
centres, Relu6, FusedDepthwiseConv2dNative). The ONNX model keeps the tfjs interface: input
int32 [1, 192, 192, 3] (RGB 0–255), output float32 [1, 1, 17, 3] (y, x in [0, 1] of the input,
score) in COCO keypoint order.

Usage: python3 scripts/face/movenet_to_onnx.py <movenet-lightning.json> <out.onnx>
(scripts/face/build_movenet_model.py builds models/movenet with its manifest.)
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from tfjs_to_onnx import NHWC_TO_NCHW, Converter
from tfjs_to_onnx import convert as convert_tfjs

DTYPES = {"DT_FLOAT": TensorProto.FLOAT, "DT_INT32": TensorProto.INT32}


def fused_ops(node: dict) -> list[str]:
    return [base64.b64decode(s).decode() for s in node["attr"]["fused_ops"]["list"]["s"]]


class MoveNetConverter(Converter):
    """Converter plus the ops of MoveNet's preprocessing and decoder (plain layout)."""

    def value(self, ref: str) -> tuple[str, int, str]:
        # outputs after the first (Unpack's "name:1") are recorded under their full reference
        if ref in self.values:
            return self.values[ref]
        return super().value(ref)

    def is_const(self, ref: str) -> bool:
        return ref.split(":")[0] in self.consts

    def operand(self, ref: str) -> tuple[str, int, str]:
        """A value, or a constant as an initializer (its own dtype; layout 'const')."""
        if self.is_const(ref):
            c = self.const(ref)
            return self.init(ref.split(":")[0].split("/")[-1], np.array(c)), c.ndim, "const"
        return self.value(ref)

    def operands(self, refs: list[str]) -> tuple[list[str], str]:
        """Inputs of an elementwise op in one layout: NCHW only when every non-scalar is NCHW."""
        parts = [self.operand(r) for r in refs]
        big = [p for r, p in zip(refs, parts) if not (p[2] == "const" and self.const(r).size == 1)]
        if big and all(p[2] == "nchw" for p in big):
            return [p[0] for p in parts], "nchw"
        names = [self.plain(r) if p[2] == "nchw" else p[0] for r, p in zip(refs, parts)]
        return names, "plain"

    def nchw(self, ref: str) -> str:
        """A 4-D tensor in NCHW (transposing a plain NHWC one, once)."""
        name, rank, layout = self.value(ref)
        if layout == "nchw":
            return name
        out = self.fresh(name + "_nchw")
        self.emit("Transpose", [name], [out], perm=NHWC_TO_NCHW)
        self.values[ref.split(":")[0]] = (out, 4, "nchw")
        return out

    def ints(self, base: str, values) -> str:
        return self.init(base, np.array(values, dtype=np.int64).reshape(-1))

    def put(self, node: dict, out: str, layout: str = "plain", rank: int = -1) -> None:
        self.values[node["name"]] = (out, rank, layout)

    # --- input, convolutions ---------------------------------------------------------------

    def op_Placeholder(self, node: dict):
        dims = [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]
        name = node["name"]
        self.values[name] = (name, 4, "plain")
        return helper.make_tensor_value_info(name, DTYPES[node["attr"]["dtype"]["type"]], dims)

    def op__FusedConv2D(self, node: dict):
        self.nchw(node["input"][0])
        super().op__FusedConv2D(node)

    def op_DepthwiseConv2dNative(self, node: dict):
        self.nchw(node["input"][0])
        super().op_DepthwiseConv2dNative(node)

    def op_FusedDepthwiseConv2dNative(self, node: dict):
        x = self.nchw(node["input"][0])
        fused = fused_ops(node)
        if fused[0] != "BiasAdd":
            raise SystemExit(f"{node['name']}: fused ops {fused} not supported")
        w = self.const(node["input"][1])  # kh, kw, cin, mult
        kh, kw, cin, mult = w.shape
        weight = np.transpose(w, (2, 3, 0, 1)).reshape(cin * mult, 1, kh, kw)
        wname = self.init(node["name"] + "_w", weight.astype(np.float32))
        bias = self.const(node["input"][2]).reshape(-1).astype(np.float32)
        conv = self.fresh(node["name"] + "_conv")
        attrs = self.conv_attrs(node, (kh, kw))
        self.emit("Conv", [x, wname, self.init(node["name"] + "_b", bias)], [conv], group=int(cin), **attrs)
        self.put(node, self.activation(node, conv, fused[1:]), "nchw", 4)

    def activation(self, node: dict, x: str, ops: list[str]) -> str:
        if ops != ["Relu6"]:
            return super().activation(node, x, ops)
        out = self.fresh(node["name"] + "_relu6")
        lo = self.init("zero", np.array(0, dtype=np.float32))
        hi = self.init("six", np.array(6, dtype=np.float32))
        self.emit("Clip", [x, lo, hi], [out])
        return out

    def op_ResizeBilinear(self, node: dict):
        if not node["attr"]["half_pixel_centers"].get("b") or node["attr"]["align_corners"].get("b"):
            raise SystemExit(f"{node['name']}: only half-pixel-centre resizing is supported")
        x = self.nchw(node["input"][0])
        hw = self.const(node["input"][1]).astype(np.int64).reshape(-1)
        shape, nc, sizes = (self.fresh(node["name"] + s) for s in ("_shape", "_nc", "_sizes"))
        self.emit("Shape", [x], [shape])
        self.emit("Slice", [shape, self.ints("zero_i", [0]), self.ints("two_i", [2])], [nc])
        self.emit("Concat", [nc, self.ints(node["name"] + "_hw", hw)], [sizes], axis=0)
        out = self.fresh(node["name"])
        self.emit(
            "Resize",
            [x, "", "", sizes],
            [out],
            mode="linear",
            coordinate_transformation_mode="half_pixel",
        )
        self.put(node, out, "nchw", 4)

    # --- elementwise -----------------------------------------------------------------------

    def elementwise(self, node: dict, op: str) -> str:
        names, layout = self.operands(node["input"][:2])
        out = self.fresh(node["name"])
        self.emit(op, names, [out])
        self.put(node, out, layout, 4 if layout == "nchw" else -1)
        return out

    def op_AddV2(self, node: dict):
        self.elementwise(node, "Add")

    def op_Sub(self, node: dict):
        self.elementwise(node, "Sub")

    def op_Mul(self, node: dict):
        self.elementwise(node, "Mul")

    def op_RealDiv(self, node: dict):
        self.elementwise(node, "Div")

    def op_FloorDiv(self, node: dict):
        out = self.elementwise(node, "Div")  # integer Div truncates: floor for these indices ≥ 0
        if node["attr"]["T"]["type"] != "DT_INT32":
            floored = self.fresh(node["name"] + "_floor")
            self.emit("Floor", [out], [floored])
            self.put(node, floored)

    def op_SquaredDifference(self, node: dict):
        diff = self.elementwise(node, "Sub")
        out = self.fresh(node["name"] + "_sq")
        self.emit("Mul", [diff, diff], [out])
        self.put(node, out)

    def op_Sqrt(self, node: dict):
        self.unary(node, "Sqrt")

    def op_Cast(self, node: dict):
        x, rank, layout = self.value(node["input"][0])
        out = self.fresh(node["name"])
        self.emit("Cast", [x], [out], to=DTYPES[node["attr"]["DstT"]["type"]])
        self.values[node["name"]] = (out, rank, layout)

    # --- shapes and indexing (plain layout) --------------------------------------------------

    def op_Reshape(self, node: dict):
        # MoveNet runs batch 1: its target shapes are used exactly
        shape = self.const(node["input"][1]).astype(np.int64).reshape(-1)
        out = self.fresh(node["name"])
        self.emit("Reshape", [self.plain(node["input"][0]), self.ints(node["name"] + "_shape", shape)], [out])
        self.put(node, out)

    def op_ExpandDims(self, node: dict):
        axis = int(self.const(node["input"][1]).reshape(-1)[0])
        out = self.fresh(node["name"])
        self.emit("Unsqueeze", [self.plain(node["input"][0]), self.ints(node["name"] + "_axes", [axis])], [out])
        self.put(node, out)

    def op_Squeeze(self, node: dict):
        axes = [int(a) for a in node["attr"]["squeeze_dims"]["list"]["i"]]
        out = self.fresh(node["name"])
        self.emit("Squeeze", [self.plain(node["input"][0]), self.ints(node["name"] + "_axes", axes)], [out])
        self.put(node, out)

    def op_Unpack(self, node: dict):
        axis = int(node["attr"]["axis"].get("i", 0))
        num = int(node["attr"]["num"]["i"])
        x = self.plain(node["input"][0])
        parts = [x]
        if num > 1:
            parts = [self.fresh(f"{node['name']}_part{i}") for i in range(num)]
            self.emit("Split", [x, self.ints(node["name"] + "_split", [1] * num)], parts, axis=axis)
        for i, part in enumerate(parts):
            out = self.fresh(f"{node['name']}_{i}")
            self.emit("Squeeze", [part, self.ints(f"{node['name']}_axes{i}", [axis])], [out])
            self.values[node["name"] if i == 0 else f"{node['name']}:{i}"] = (out, -1, "plain")

    def op_Pack(self, node: dict):
        axis = int(node["attr"]["axis"].get("i", 0))
        parts = []
        for ref in node["input"]:
            name, _, layout = self.operand(ref)
            src = self.plain(ref) if layout == "nchw" else name
            part = self.fresh(node["name"] + "_part")
            self.emit("Unsqueeze", [src, self.ints(node["name"] + "_axes", [axis])], [part])
            parts.append(part)
        out = self.fresh(node["name"])
        self.emit("Concat", parts, [out], axis=axis)
        self.put(node, out)

    def op_ConcatV2(self, node: dict):
        refs = node["input"][:-1]
        axis = int(self.const(node["input"][-1]).reshape(-1)[0])
        names = []
        for ref in refs:
            name, _, layout = self.operand(ref)
            names.append(self.plain(ref) if layout == "nchw" else name)
        out = self.fresh(node["name"])
        self.emit("Concat", names, [out], axis=axis)
        self.put(node, out)

    def op_ArgMax(self, node: dict):
        axis = int(self.const(node["input"][1]).reshape(-1)[0])
        idx = self.fresh(node["name"] + "_i64")
        self.emit("ArgMax", [self.plain(node["input"][0])], [idx], axis=axis, keepdims=0)
        out = self.fresh(node["name"])
        self.emit("Cast", [idx], [out], to=DTYPES[node["attr"]["output_type"]["type"]])
        self.put(node, out)

    def op_GatherNd(self, node: dict):
        params = self.plain(node["input"][0])
        indices, _, _ = self.operand(node["input"][1])
        idx = self.fresh(node["name"] + "_i64")
        self.emit("Cast", [indices], [idx], to=TensorProto.INT64)
        out = self.fresh(node["name"])
        self.emit("GatherND", [params, idx], [out])
        self.put(node, out)


def convert(model_json_path: Path, names: dict[str, str]) -> onnx.ModelProto:
    """MoveNet's tfjs graph model as a checked ONNX model."""
    return convert_tfjs(
        model_json_path, names, MoveNetConverter, "facecast scripts/face/movenet_to_onnx.py"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_json", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    model = convert(args.model_json, {"input": "image", "Identity": "keypoints"})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.out))
    print(f"{args.out}: {len(model.graph.node)} nodes", file=sys.stderr)


if __name__ == "__main__":
    main()
