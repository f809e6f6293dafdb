"""Converts MediaPipe's selfie segmentation (.tflite) to ONNX, NCHW, for src/segmentation.

The .tflite ships in the npm package @mediapipe/selfie_segmentation (Apache-2.0). The graph
is a small MobileNetV3-style encoder/decoder: float16 weights behind DEQUANTIZE ops, CONV_2D,
DEPTHWISE_CONV_2D, HARD_SWISH, RELU, AVERAGE_POOL_2D (squeeze-excite), LOGISTIC, MUL, ADD,
RESIZE_BILINEAR (half-pixel) and one MediaPipe custom op, Convolution2DTransposeBias. The
flatbuffer is read with tensorflow's own schema module; each op becomes one ONNX node (the
activations are NCHW, weights are transposed once here). Input `image` [n, 3, 256, 256]
RGB in [0, 1]; output `mask` [n, 1, 256, 256], the person probability.

  python3 scripts/segmentation/convert_selfie.py --tflite <package>/selfie_segmentation.tflite \
    --package-version 0.1.1675465747 --out models/segmentation \
    --fixture test/fixtures/segmentation/s42_256.png --expected test/fixtures/segmentation/s42_256.mask.npy

writes selfie.onnx and manifest.json, and the parity fixture: the tflite interpreter's mask on
the fixture frame (the TypeScript runtime must reproduce it within the manifest's tolerance).
"""

import argparse
import datetime
import hashlib
import json
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

BUILTIN = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
UNARY = {"HARD_SWISH": "HardSwish", "RELU": "Relu", "LOGISTIC": "Sigmoid"}
BINARY = {"ADD": "Add", "MUL": "Mul"}


class Converter:
    def __init__(self, model):
        self.model = model
        self.graph = model.subgraphs[0]
        self.consts = {}  # tensor index -> float32 array (NHWC / TF layout)
        self.nodes = []
        self.inits = []

    def name(self, index):
        return f"t{index}"

    def shape(self, index):
        return [int(d) for d in self.graph.tensors[index].shape]

    def buffer(self, index):
        t = self.graph.tensors[index]
        data = self.model.buffers[t.buffer].data
        if data is None:
            return None
        dtype = {schema.TensorType.FLOAT16: np.float16, schema.TensorType.FLOAT32: np.float32,
                 schema.TensorType.INT32: np.int32}[t.type]
        return np.frombuffer(bytes(data), dtype=dtype).reshape(self.shape(index))

    def const(self, index):
        if index not in self.consts:
            value = self.buffer(index)
            if value is None:
                raise ValueError(f"tensor {index} is not a constant")
            self.consts[index] = value.astype(np.float32) if value.dtype == np.float16 else value
        return self.consts[index]

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def same_pads(self, in_hw, out_hw, kernel, strides):
        pads = []
        for i, o, k, s in zip(in_hw, out_hw, kernel, strides):
            pads.append(max((o - 1) * s + k - i, 0))
        return [p // 2 for p in pads] + [p - p // 2 for p in pads]

    def conv(self, op, depthwise):
        opt = op.builtinOptions
        assert opt.fusedActivationFunction == 0 and opt.dilationHFactor == 1 == opt.dilationWFactor
        x, w, b = op.inputs
        kernel = self.const(w)
        if depthwise:  # [1, kh, kw, c] -> [c, 1, kh, kw]
            weight, group = kernel.transpose(3, 0, 1, 2), kernel.shape[3]
        else:  # [o, kh, kw, i] -> [o, i, kh, kw]
            weight, group = kernel.transpose(0, 3, 1, 2), 1
        strides = [opt.strideH, opt.strideW]
        in_hw, out_hw = self.shape(x)[1:3], self.shape(op.outputs[0])[1:3]
        pads = [0, 0, 0, 0] if opt.padding == schema.Padding.VALID else self.same_pads(
            in_hw, out_hw, weight.shape[2:], strides)
        out = self.name(op.outputs[0])
        self.nodes.append(helper.make_node(
            "Conv", [self.name(x), self.init(out + "_w", weight), self.init(out + "_b", self.const(b))], [out],
            kernel_shape=list(weight.shape[2:]), strides=strides, pads=pads, group=group))

    def transpose_conv_bias(self, op):
        padding, stride_w, stride_h = struct.unpack("<3i", bytes(op.customOptions[:12]))
        x, w, b = op.inputs
        kernel = self.const(w)  # [o, kh, kw, i] -> [i, o, kh, kw]
        weight = kernel.transpose(3, 0, 1, 2)
        in_hw, out_hw = self.shape(x)[1:3], self.shape(op.outputs[0])[1:3]
        k = weight.shape[2:]
        total = [(i - 1) * s + kk - o for i, o, kk, s in zip(in_hw, out_hw, k, (stride_h, stride_w))]
        assert padding in (1, 2) and min(total) >= 0
        pads = [t // 2 for t in total] + [t - t // 2 for t in total]
        out = self.name(op.outputs[0])
        self.nodes.append(helper.make_node(
            "ConvTranspose", [self.name(x), self.init(out + "_w", weight), self.init(out + "_b", self.const(b))],
            [out], kernel_shape=list(k), strides=[stride_h, stride_w], pads=pads))

    def pool(self, op):
        opt = op.builtinOptions
        assert opt.padding == schema.Padding.VALID and opt.fusedActivationFunction == 0
        self.nodes.append(helper.make_node(
            "AveragePool", [self.name(op.inputs[0])], [self.name(op.outputs[0])],
            kernel_shape=[opt.filterHeight, opt.filterWidth], strides=[opt.strideH, opt.strideW]))

    def resize(self, op):
        assert op.builtinOptions.halfPixelCenters and not op.builtinOptions.alignCorners
        in_hw, out_hw = self.shape(op.inputs[0])[1:3], self.shape(op.outputs[0])[1:3]
        out = self.name(op.outputs[0])
        scales = np.array([1, 1, out_hw[0] / in_hw[0], out_hw[1] / in_hw[1]], dtype=np.float32)
        self.nodes.append(helper.make_node(
            "Resize", [self.name(op.inputs[0]), "", self.init(out + "_scales", scales)], [out],
            mode="linear", coordinate_transformation_mode="half_pixel"))

    def operand(self, index):
        if self.buffer(index) is None:
            return self.name(index)
        value = self.const(index)  # an NHWC constant broadcast against NCHW activations
        value = value.transpose(0, 3, 1, 2) if value.ndim == 4 else value.reshape(-1, 1, 1)
        return self.init(self.name(index), value)

    def convert(self):
        for op in self.graph.operators:
            code = self.model.operatorCodes[op.opcodeIndex]
            kind = BUILTIN[max(code.builtinCode, code.deprecatedBuiltinCode)]
            if kind == "DEQUANTIZE":  # float16 weights: folded into float32 initializers
                self.consts[op.outputs[0]] = self.const(op.inputs[0])
            elif kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                self.conv(op, kind == "DEPTHWISE_CONV_2D")
            elif kind == "CUSTOM" and code.customCode == b"Convolution2DTransposeBias":
                self.transpose_conv_bias(op)
            elif kind == "AVERAGE_POOL_2D":
                self.pool(op)
            elif kind == "RESIZE_BILINEAR":
                self.resize(op)
            elif kind in UNARY:
                self.nodes.append(helper.make_node(UNARY[kind], [self.name(op.inputs[0])], [self.name(op.outputs[0])]))
            elif kind in BINARY:
                assert op.builtinOptions.fusedActivationFunction == 0
                self.nodes.append(helper.make_node(
                    BINARY[kind], [self.operand(i) for i in op.inputs], [self.name(op.outputs[0])]))
            else:
                raise ValueError(f"unsupported op {kind} {code.customCode}")
        return self.finish()

    def finish(self):
        (src,), (dst,) = self.graph.inputs, self.graph.outputs
        _, h, w, c = self.shape(src)
        self.nodes.insert(0, helper.make_node("Identity", ["image"], [self.name(src)]))
        self.nodes.append(helper.make_node("Identity", [self.name(dst)], ["mask"]))
        graph = helper.make_graph(
            self.nodes, "selfie_segmentation",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", c, h, w])],
            [helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["n", 1, h, w])], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                  producer_name="facecast-convert-selfie")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model


def tflite_mask(tflite_path, image):
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=tflite_path)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image.transpose(1, 2, 0)[None])
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0]


def parity(args, onnx_path):
    import cv2
    import onnxruntime

    image = cv2.cvtColor(cv2.imread(args.fixture), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    image = image.transpose(2, 0, 1)
    expected = tflite_mask(args.tflite, image)
    np.save(args.expected, expected.astype(np.float32))
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": image[None]})[0][0, 0]
    return float(np.abs(got - expected).max()), float(expected.mean())


def manifest(args, onnx_path, max_diff, mean):
    data = open(onnx_path, "rb").read()
    tensor = lambda name, shape, meaning: {"name": name, "type": "float32", "shape": shape, "meaning": meaning}
    return {
        "name": "mediapipe-selfie-segmentation",
        "version": f"1.0.0+mediapipe.{args.package_version}",
        "file": "selfie.onnx",
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "createdAt": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "inputs": [tensor("image", ["n", 3, 256, 256], "RGB in [0, 1], the whole frame resized to 256 x 256")],
        "outputs": [tensor("mask", ["n", 1, 256, 256], "person probability (hair and clothes included)")],
        "source": {
            "package": f"@mediapipe/selfie_segmentation@{args.package_version}",
            "file": "selfie_segmentation.tflite",
            "licence": "Apache-2.0 (LICENSE, NOTICE)",
            "converter": "scripts/segmentation/convert_selfie.py",
        },
        "training": {
            "data": "Google's own selfie/video-call images, described in the MediaPipe Selfie Segmentation model card; none of facecast's fixtures",
            "terms": "weights distributed by Google under Apache-2.0 in the npm package",
        },
        "parity": {
            "fixture": args.fixture,
            "expected": args.expected,
            "reference": "tflite interpreter (tensorflow " + __import__("tensorflow").__version__ + ")",
            "tolerance": 1e-4,
            "onnxVsTfliteMaxAbsDiff": max_diff,
            "expectedMean": mean,
        },
    }


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--tflite", "--package-version", "--out", "--fixture", "--expected"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    model = Converter(flatbuffer_utils.read_model(args.tflite)).convert()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "selfie.onnx")
    onnx.save(model, onnx_path)
    max_diff, mean = parity(args, onnx_path)
    assert max_diff < 1e-4, f"onnx differs from the tflite interpreter by {max_diff}"
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest(args, onnx_path, max_diff, mean), f, indent=2)
        f.write("\n")
    print(f"{len(model.graph.node)} nodes; onnx vs tflite max |diff| {max_diff:.2e} on {args.fixture}")


if __name__ == "__main__":
    main()
