"""``edgeward bench PACKAGE``: the same model in Python onnxruntime, onnxruntime-web and TF.js, one run."""
