"""Optimize a model package: fp16 and accuracy-gated int8 variants (see :mod:`.quantize`)."""
