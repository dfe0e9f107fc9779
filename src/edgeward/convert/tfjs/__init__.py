"""TF.js graph model → ONNX, in pure Python (numpy + onnx; no TensorFlow)."""

from edgeward.convert.tfjs.converter import convert_tfjs

__all__ = ["convert_tfjs"]
