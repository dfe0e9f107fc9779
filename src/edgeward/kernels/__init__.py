"""Edgeward's own WASM kernels for MobileNet-style convolution nets, and their Python oracle.

onnxruntime-web 1.30's WASM build has no int8 dot-product instruction to use (no relaxed SIMD), so its int8
convolutions gain little over fp32 and TF.js's XNNPACK stays ahead per thread. These kernels
(web/kernels/kernels.ts) run the 1×1 convolutions as int8 weights × 7-bit activations on WASM's relaxed
dot product: exact, the same on every CPU, and several times fp32's speed. A package carries them as the
``int8-kernels`` variant, a ``.ewk`` file (:mod:`.plan`) lowered from the fp32 ONNX graph (:mod:`.lower`);
:mod:`.oracle` computes its outputs in numpy bit for bit as the browser does.
"""
