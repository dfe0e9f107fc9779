"""The Python runtime: onnxruntime sessions over verified model packages."""
