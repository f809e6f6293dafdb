"""Convert a tfjs graph model (model.json + weight shards) to ONNX, node by node.

Written for the MediaPipe face models that ship inside @vladmandic/human (BlazeFace,
FaceMesh, Iris): plain convolutional graphs made of _FusedConv2D (BiasAdd, Relu, Prelu),
DepthwiseConv2dNative, AddV2, Relu, Prelu, MaxPool, Pad, Sigmoid, Reshape, ConcatV2 and
Identity. tf2onnx is not installable here, so this maps exactly those ops and stops on
anything else.

Layout: the ONNX model keeps the tfjs interface (NHWC input, the same output shapes); inside,
4-D activations are NCHW (one Transpose after the input, one before each Reshape or 4-D
output), so every convolution runs in onnxruntime's native layout.

Usage: python3 scripts/face/tfjs_to_onnx.py <model.json> <out.onnx> [--rename OLD=NEW ...]
(scripts/face/build_landmark_models.py converts the three face models with their I/O names.)
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
NHWC_TO_NCHW = [0, 3, 1, 2]
NCHW_TO_NHWC = [0, 2, 3, 1]


def read_weights(model_json: dict, folder: Path) -> dict[str, np.ndarray]:
    """Every weight of the manifest, dequantised to its original dtype."""
    out: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        data = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q is None:
                dtype = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
                size = count * np.dtype(dtype).itemsize
                arr = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            elif q["dtype"] == "float16":
                size = count * 2
                arr = np.frombuffer(data, np.float16, count, offset).astype(np.float32)
            elif q["dtype"] in ("uint8", "uint16"):
                qt = np.uint8 if q["dtype"] == "uint8" else np.uint16
                size = count * np.dtype(qt).itemsize
                raw = np.frombuffer(data, qt, count, offset).astype(np.float32)
                arr = raw * np.float32(q["scale"]) + np.float32(q["min"])
                if w["dtype"] == "int32":
                    arr = np.round(arr).astype(np.int32)
            else:
                raise SystemExit(f"unsupported quantisation {q} for {w['name']}")
            out[w["name"]] = np.array(arr).reshape(shape)
            offset += size
    return out


def attr_s(node: dict, key: str) -> str:
    return base64.b64decode(node["attr"][key]["s"]).decode()


def attr_ints(node: dict, key: str) -> list[int]:
    return [int(i) for i in node["attr"][key]["list"].get("i", [])]


class Converter:
    def __init__(self, model_json: dict, weights: dict[str, np.ndarray]):
        self.nodes = [n for n in model_json["modelTopology"]["node"]]
        self.consts = dict(weights)
        self.onnx_nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, np.ndarray] = {}
        # tensor name -> (onnx name, rank, layout 'nchw' | 'plain')
        self.values: dict[str, tuple[str, int, str]] = {}
        self.counter = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}__{self.counter}"

    def init(self, base: str, value: np.ndarray) -> str:
        name = self.fresh(base)
        self.initializers[name] = value
        return name

    def const(self, ref: str) -> np.ndarray:
        name = ref.split(":")[0]
        if name not in self.consts:
            raise SystemExit(f"expected a constant input, got {ref}")
        return self.consts[name]

    def value(self, ref: str) -> tuple[str, int, str]:
        name = ref.split(":")[0]
        if name not in self.values:
            raise SystemExit(f"unknown tensor {ref}")
        return self.values[name]

    def plain(self, ref: str) -> str:
        """The tensor in tfjs's own layout (NHWC for 4-D)."""
        name, rank, layout = self.value(ref)
        if layout != "nchw":
            return name
        out = self.fresh(name + "_nhwc")
        self.emit("Transpose", [name], [out], perm=NCHW_TO_NHWC)
        return out

    def emit(self, op: str, inputs: list[str], outputs: list[str], **attrs) -> None:
        self.onnx_nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def convert(self) -> onnx.GraphProto:
        inputs, outputs = [], []
        for node in self.nodes:
            op = node["op"]
            if op == "Const":
                continue
            handler = getattr(self, f"op_{op}", None)
            if handler is None:
                raise SystemExit(f"unsupported op {op} ({node['name']})")
            if op == "Placeholder":
                inputs.append(handler(node))
            else:
                handler(node)
        consumed = {i.split(":")[0] for n in self.nodes for i in n.get("input", [])}
        for node in self.nodes:
            if node["op"] == "Identity" and node["name"] not in consumed:
                name = self.plain(node["name"])
                final = node["name"]
                self.emit("Identity", [name], [final])
                outputs.append(helper.make_tensor_value_info(final, TensorProto.FLOAT, None))
        inits = [numpy_helper.from_array(v, k) for k, v in self.initializers.items()]
        return helper.make_graph(self.onnx_nodes, "tfjs", inputs, outputs, inits)

    # --- ops -------------------------------------------------------------------------------

    def op_Placeholder(self, node: dict):
        dims = [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]
        shape = ["batch" if i == 0 else d for i, d in enumerate(dims)]
        name = node["name"]
        nchw = self.fresh(name + "_nchw")
        self.emit("Transpose", [name], [nchw], perm=NHWC_TO_NCHW)
        self.values[name] = (nchw, 4, "nchw")
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)

    def conv_attrs(self, node: dict, kernel_hw: tuple[int, int]) -> dict:
        if attr_s(node, "data_format") != "NHWC":
            raise SystemExit(f"{node['name']}: only NHWC graphs are supported")
        strides = attr_ints(node, "strides")[1:3]
        dil = attr_ints(node, "dilations")[1:3] if "dilations" in node["attr"] else [1, 1]
        padding = attr_s(node, "padding")
        attrs = {"strides": strides, "dilations": dil, "kernel_shape": list(kernel_hw)}
        if padding == "SAME":
            attrs["auto_pad"] = "SAME_UPPER"
        elif padding == "VALID":
            attrs["pads"] = [0, 0, 0, 0]
        else:
            raise SystemExit(f"{node['name']}: padding {padding} not supported")
        return attrs

    def op__FusedConv2D(self, node: dict):
        x, _, _ = self.value(node["input"][0])
        w = self.const(node["input"][1])  # kh, kw, cin, cout
        fused = [base64.b64decode(s).decode() for s in node["attr"]["fused_ops"]["list"]["s"]]
        if fused[0] != "BiasAdd":
            raise SystemExit(f"{node['name']}: fused ops {fused} not supported")
        bias = self.const(node["input"][2]).reshape(-1)
        wname = self.init(node["name"] + "_w", np.transpose(w, (3, 2, 0, 1)).astype(np.float32))
        bname = self.init(node["name"] + "_b", bias.astype(np.float32))
        conv = self.fresh(node["name"] + "_conv")
        self.emit("Conv", [x, wname, bname], [conv], **self.conv_attrs(node, w.shape[:2]))
        out = self.activation(node, conv, fused[1:])
        self.values[node["name"]] = (out, 4, "nchw")

    def activation(self, node: dict, x: str, ops: list[str]) -> str:
        if not ops:
            return x
        if len(ops) > 1:
            raise SystemExit(f"{node['name']}: fused ops {ops} not supported")
        out = self.fresh(node["name"] + "_act")
        if ops[0] == "Relu":
            self.emit("Relu", [x], [out])
        elif ops[0] == "Prelu":
            self.prelu(node, x, self.const(node["input"][3]), out)
        else:
            raise SystemExit(f"{node['name']}: activation {ops[0]} not supported")
        return out

    def op_DepthwiseConv2dNative(self, node: dict):
        x, _, _ = self.value(node["input"][0])
        w = self.const(node["input"][1])  # kh, kw, cin, mult
        kh, kw, cin, mult = w.shape
        weight = np.transpose(w, (2, 3, 0, 1)).reshape(cin * mult, 1, kh, kw)
        wname = self.init(node["name"] + "_w", weight.astype(np.float32))
        out = self.fresh(node["name"])
        attrs = self.conv_attrs(node, (kh, kw))
        self.emit("Conv", [x, wname], [out], group=int(cin), **attrs)
        self.values[node["name"]] = (out, 4, "nchw")

    def op_AddV2(self, node: dict):
        a, rank_a, layout_a = self.value(node["input"][0])
        b, rank_b, layout_b = self.value(node["input"][1])
        if (rank_a, layout_a) != (rank_b, layout_b):
            raise SystemExit(f"{node['name']}: mixed layouts")
        out = self.fresh(node["name"])
        self.emit("Add", [a, b], [out])
        self.values[node["name"]] = (out, rank_a, layout_a)

    def unary(self, node: dict, op: str):
        x, rank, layout = self.value(node["input"][0])
        out = self.fresh(node["name"])
        self.emit(op, [x], [out])
        self.values[node["name"]] = (out, rank, layout)

    def op_Relu(self, node: dict):
        self.unary(node, "Relu")

    def op_Sigmoid(self, node: dict):
        self.unary(node, "Sigmoid")

    def op_Identity(self, node: dict):
        self.unary(node, "Identity")

    def op_Prelu(self, node: dict):
        x, rank, layout = self.value(node["input"][0])
        out = self.fresh(node["name"])
        self.prelu(node, x, self.const(node["input"][1]), out)
        self.values[node["name"]] = (out, rank, layout)

    def prelu(self, node: dict, x: str, alpha: np.ndarray, out: str) -> None:
        """PReLU as Relu(x) + (−slope) · Relu(−x): the same values bit for bit, but onnxruntime
        fuses the first Relu into the convolution before it and runs the rest vectorised — its
        own PRelu with a per-channel slope took 60–75 % of the face mesh's and iris model's time."""
        base = node["name"]
        pos, negx, neg, scaled = (self.fresh(base + s) for s in ("_pos", "_negx", "_neg", "_scaled"))
        self.emit("Relu", [x], [pos])
        self.emit("Neg", [x], [negx])
        self.emit("Relu", [negx], [neg])
        self.emit("Mul", [neg, self.init(base + "_negslope", -prelu_slope(alpha))], [scaled])
        self.emit("Add", [pos, scaled], [out])

    def op_MaxPool(self, node: dict):
        x, _, _ = self.value(node["input"][0])
        k = attr_ints(node, "ksize")[1:3]
        attrs = self.conv_attrs(node, (k[0], k[1]))
        del attrs["dilations"]
        out = self.fresh(node["name"])
        self.emit("MaxPool", [x], [out], **attrs)
        self.values[node["name"]] = (out, 4, "nchw")

    def op_Pad(self, node: dict):
        x, rank, layout = self.value(node["input"][0])
        p = self.const(node["input"][1]).astype(np.int64)  # rank × 2, NHWC order
        if layout == "nchw":
            p = p[NHWC_TO_NCHW]
        pads = np.concatenate([p[:, 0], p[:, 1]]).astype(np.int64)
        out = self.fresh(node["name"])
        self.emit("Pad", [x, self.init(node["name"] + "_pads", pads)], [out], mode="constant")
        self.values[node["name"]] = (out, rank, layout)

    def op_Reshape(self, node: dict):
        x = self.plain(node["input"][0])
        shape = self.const(node["input"][1]).astype(np.int64).reshape(-1)
        if shape[0] > 0:
            shape = shape.copy()
            shape[0] = 0  # keep the batch dimension (tfjs exported batch 1)
        out = self.fresh(node["name"])
        self.emit("Reshape", [x, self.init(node["name"] + "_shape", shape)], [out])
        self.values[node["name"]] = (out, len(shape), "plain")

    def op_ConcatV2(self, node: dict):
        refs = node["input"][:-1]
        axis = int(self.const(node["input"][-1]).reshape(-1)[0])
        parts = [self.value(r) for r in refs]
        ranks = {p[1] for p in parts}
        layouts = {p[2] for p in parts}
        if len(ranks) != 1 or len(layouts) != 1:
            raise SystemExit(f"{node['name']}: mixed inputs")
        rank, layout = ranks.pop(), layouts.pop()
        if axis < 0:
            axis += rank
        if layout == "nchw":
            axis = NHWC_TO_NCHW.index(axis)
        out = self.fresh(node["name"])
        self.emit("Concat", [p[0] for p in parts], [out], axis=axis)
        self.values[node["name"]] = (out, rank, layout)


def prelu_slope(alpha: np.ndarray) -> np.ndarray:
    """tfjs alpha (…, C) broadcast over NHWC → ONNX slope (C, 1, 1) over NCHW."""
    return alpha.reshape(-1, 1, 1).astype(np.float32)


def with_output_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Output types and shapes from ONNX shape inference (the tfjs graph does not state them)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    known = {v.name: v for v in inferred.graph.value_info}
    producer = {n.output[0]: n for n in model.graph.node}
    for out in model.graph.output:
        # each output is an Identity of a tensor whose shape inference did record
        info = known.get(producer[out.name].input[0])
        if info is None:
            raise SystemExit(f"could not infer the shape of output {out.name}")
        out.type.CopyFrom(info.type)
    return model


def rename(graph: onnx.GraphProto, names: dict[str, str]) -> None:
    """Renames graph inputs/outputs (and every reference to them)."""
    for node in graph.node:
        node.input[:] = [names.get(n, n) for n in node.input]
        node.output[:] = [names.get(n, n) for n in node.output]
    for v in list(graph.input) + list(graph.output):
        v.name = names.get(v.name, v.name)


def convert(
    model_json_path: Path,
    names: dict[str, str],
    converter: type[Converter] | None = None,
    producer: str = "facecast scripts/face/tfjs_to_onnx.py",
) -> onnx.ModelProto:
    """The tfjs graph model at model_json_path as a checked ONNX model (with `converter`, a
    Converter subclass for graphs that need more ops)."""
    model_json = json.loads(model_json_path.read_text())
    weights = read_weights(model_json, model_json_path.parent)
    graph = (converter or Converter)(model_json, weights).convert()
    graph.name = model_json_path.stem
    rename(graph, names)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=producer,
    )
    model.ir_version = 8
    model = with_output_shapes(model)
    onnx.checker.check_model(model)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_json", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--rename", action="append", default=[], help="OLD=NEW input/output name")
    args = ap.parse_args()
    names = dict(r.split("=", 1) for r in args.rename)
    model = convert(args.model_json, names)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.out))
    print(f"{args.out}: {len(model.graph.node)} nodes", file=sys.stderr)


if __name__ == "__main__":
    main()
