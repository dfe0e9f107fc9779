"""Task logic (pre/post-processing) — the oracle the browser runtime mirrors."""
