"""WADNet: the WaveNet-style gated dilated encoder (paper Eq. 4, Fig. 2b) and the trajectory classifier.

Encoder W(x): a kernel-3 convolution gives x1; then `depth` gated layers, layer k:
    h_k = Conv1x1( tanh(Conv_f,k(x_k)) * sigmoid(Conv_g,k(x_k)) ),   dilation 2^(k-1), x_(k+1) = h_k
and the output is z = x1 + sum_k h_k. All convolutions have `filters` channels.
`causal=True` pads on the left only (the paper's text); `causal=False` pads both sides (the reference
code's "same" convolution: each point sees past and future). `shared_mix=True` shares one 1x1 conv
across the layers, as the reference code does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GatedDilatedEncoder(nn.Module):
    """WADNet encoder: (B, C_in, L) -> (B, filters, L); the length is kept."""

    def __init__(self, in_channels: int, filters: int, depth: int = 5, causal: bool = False, shared_mix: bool = False):
        super().__init__()
        self.causal = causal
        self.first = nn.Conv1d(in_channels, filters, 3)
        # filter and gate convolutions of a layer fused into one conv with 2 * filters outputs
        self.gated = nn.ModuleList(nn.Conv1d(filters, 2 * filters, 3, dilation=2**k) for k in range(depth))
        n_mix = 1 if shared_mix else depth
        self.mix = nn.ModuleList(nn.Conv1d(filters, filters, 1) for _ in range(n_mix))

    def _pad(self, x: torch.Tensor, dilation: int) -> torch.Tensor:
        span = 2 * dilation  # kernel 3: the receptive span beyond the point itself
        return F.pad(x, (span, 0) if self.causal else (dilation, dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = h = self.first(self._pad(x, 1))  # (B, f, L)
        for k, conv in enumerate(self.gated):
            filt, gate = conv(self._pad(h, conv.dilation[0])).chunk(2, dim=1)  # 2 x (B, f, L)
            h = self.mix[k % len(self.mix)](torch.tanh(filt) * torch.sigmoid(gate))
            z = z + h
        return z


class WADNetClassifier(nn.Module):
    """Trajectory-level WADNet (Li, Yao, Huang 2021): encoder -> 3-layer LSTM -> linear head.

    (B, C_in, L) -> (B, n_outputs): class logits for a whole trajectory, or one alpha (n_outputs = 1).
    """

    def __init__(self, in_channels: int = 2, filters: int = 32, hidden: int = 64, n_outputs: int = 5,
                 causal: bool = False):
        super().__init__()
        self.encoder = GatedDilatedEncoder(in_channels, filters, causal=causal)
        self.norm = nn.BatchNorm1d(filters)
        self.lstm = nn.LSTM(filters, hidden, num_layers=3, batch_first=True)
        self.head = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.norm(self.encoder(x)).transpose(1, 2)  # (B, L, f)
        out, _ = self.lstm(z)  # (B, L, hidden)
        return self.head(out[:, -1])  # (B, n_outputs)
