"""U-AnDi (paper Eqs. 5-9, Fig. 2c, Table I): a 1D U-Net whose blocks are WADNet encoders.

Down block m = 1..4:   u_m = BN(W_m(v_m)),  v_(m+1) = MaxPool2(u_m),  W_m with b * 2^(m-1) filters.
Up block n = 1..4:     p~_(n+1) = Conv1x1( Upsample2( BN(W'_n(p_n)) ) ),  W'_n with b * 2^(5-n) filters,
                       the 1x1 conv with half of them;  p_(n+1) = concat(p~_(n+1), u_(5-n)),  p_1 = v_5.
Last block:            p_f = Conv1x1( BN(W'_5(p_5)) ) with `n_outputs` channels (1: alpha, 5: model).
Odd lengths: max-pooling floors, so an upsampled tensor can be one point short of its skip; it is padded
at the end by repeating its last point. Any length >= 16 works (four halvings leave >= 1 point).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .wadnet import GatedDilatedEncoder


class UAnDi(nn.Module):
    """(B, C_in, L) -> (B, n_outputs, L)."""

    def __init__(self, in_channels: int = 2, width: int = 64, n_outputs: int = 1, causal: bool = False,
                 shared_mix: bool = False, dropout: float = 0.0, depth: int = 5):
        super().__init__()
        b = width

        def block(c_in: int, f: int) -> nn.Sequential:
            layers = [GatedDilatedEncoder(c_in, f, depth=depth, causal=causal, shared_mix=shared_mix), nn.BatchNorm1d(f)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            return nn.Sequential(*layers)

        down_f = [b * 2**m for m in range(4)]  # b, 2b, 4b, 8b
        self.down = nn.ModuleList(block(c, f) for c, f in zip([in_channels] + down_f[:-1], down_f))
        up_f = [b * 2 ** (4 - n) for n in range(5)]  # 16b, 8b, 4b, 2b, b
        up_in = [down_f[-1]] + [up_f[n] // 2 + down_f[3 - n] for n in range(4)]  # 8b, 16b, 8b, 4b, 2b
        self.up = nn.ModuleList(block(c, f) for c, f in zip(up_in, up_f))
        self.up_mix = nn.ModuleList(nn.Conv1d(up_f[n], up_f[n] // 2, 1) for n in range(4))
        self.head = nn.Conv1d(up_f[-1], n_outputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        v = x  # (B, C_in, L)
        for block in self.down:
            u = block(v)  # (B, f_m, L_m)
            skips.append(u)
            v = F.max_pool1d(u, 2)  # (B, f_m, L_m // 2)
        p = v  # p_1 = v_5: (B, 8b, L // 16)
        for n in range(4):
            skip = skips[3 - n]  # u_4, u_3, u_2, u_1
            q = F.interpolate(self.up[n](p), scale_factor=2, mode="nearest")  # (B, f_n, 2 L')
            q = self.up_mix[n](q)  # (B, f_n / 2, 2 L')
            short = skip.shape[-1] - q.shape[-1]
            if short > 0:
                q = F.pad(q, (0, short), mode="replicate")
            p = torch.cat([q, skip], dim=1)  # (B, f_n / 2 + f_skip, L_skip)
        return self.head(self.up[4](p))  # (B, n_outputs, L)
