"""The paper's point-wise baselines (Sec. IV): LSTM, GRU (3 layers, hidden 64) and a Transformer
encoder (3 layers, model dim 128), each followed by a point-wise linear head.

Choice (the paper is silent): the RNNs are bidirectional, as U-AnDi's symmetric encoders also see
the future; `bidirectional=False` gives the causal variant. The Transformer adds a fixed
sinusoidal position encoding, so it runs on any length.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class RNNSegmenter(nn.Module):
    """(B, C_in, L) -> (B, n_outputs, L) with a stacked LSTM or GRU."""

    def __init__(self, kind: str = "lstm", in_channels: int = 2, hidden: int = 64, layers: int = 3,
                 n_outputs: int = 1, bidirectional: bool = True):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.rnn = rnn(in_channels, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x.transpose(1, 2))  # (B, L, H)
        return self.head(out).transpose(1, 2)  # (B, n_outputs, L)


def sinusoidal_encoding(length: int, dim: int, device=None) -> torch.Tensor:
    """(length, dim) fixed position encoding of 'Attention is all you need'."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    enc = torch.zeros(length, dim, device=device)
    enc[:, 0::2] = torch.sin(pos * freq)
    enc[:, 1::2] = torch.cos(pos * freq)
    return enc


class TransformerSegmenter(nn.Module):
    """(B, C_in, L) -> (B, n_outputs, L) with a Transformer encoder over the points."""

    def __init__(self, in_channels: int = 2, dim: int = 128, layers: int = 3, heads: int = 8,
                 n_outputs: int = 1, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Linear(in_channels, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(dim, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x.transpose(1, 2))  # (B, L, dim)
        h = h + sinusoidal_encoding(h.shape[1], h.shape[2], h.device)
        return self.head(self.encoder(h)).transpose(1, 2)  # (B, n_outputs, L)
