#!/usr/bin/env bash
# Sets up everything Edgeward needs on a fresh Debian machine (Python 3.11, Node 20, npm):
# Debian's chromium, a venv with the package and its dev tools, the browser runtime's npm
# dependencies, and the PoseNet zoo package (fetched from npm, converted, verified).
set -euo pipefail
cd "$(dirname "$0")/.."

export EDGEWARD_HOME="${EDGEWARD_HOME:-$PWD/.edgeward}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Debian's chromium"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing the Python package"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# constraints/: exact versions for the machines we test on (the CPU build of torch), kept out of the extras.
.venv/bin/python -m pip install -q -c constraints/torch-cpu.txt -e '.[dev]'

echo "==> installing the browser runtime's npm dependencies"
(cd web && npm ci --no-audit --no-fund --loglevel=error)

echo "==> bundling the demo pages and workers into web/dist (edgeward serve uses them while they match the sources)"
(cd web && node tools/build.mjs >/dev/null)

echo "==> building the zoo packages (PoseNet, MoveNet Lightning + Thunder + MultiPose, CenterNet, EfficientNet-Lite0) into $EDGEWARD_HOME"
.venv/bin/edgeward zoo build posenet movenet-lightning movenet-thunder movenet-multipose centernet efficientnet-lite0

echo "==> PoseNet int8 (accuracy-gated; calibrated on real photos from @vladmandic/human) and fp16 variants"
.venv/bin/edgeward quantize posenet --to int8 --if-missing
.venv/bin/edgeward quantize posenet --to fp16 --if-missing
echo "==> PoseNet int8-wasm: int8 only where onnxruntime-web's WASM kernels run it faster (the browser runtime picks it on WASM)"
.venv/bin/edgeward quantize posenet --to int8 --target wasm --if-missing
echo "==> PoseNet int8-kernels: lowered for Edgeward's own WASM kernels (what the browser runtime runs unasked)"
.venv/bin/edgeward quantize posenet --to int8 --target kernels --if-missing
