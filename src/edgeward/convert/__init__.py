"""Converters from source formats to ONNX, each verified against its source."""
