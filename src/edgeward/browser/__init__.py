"""Headless Chromium driven by Playwright (tests, benchmarks, CLI parity runs)."""
