"""Networks: the paper's Table I shapes, any length, parameter counts, causality, learning."""

import numpy as np
import pytest
import torch

from uandi.nn import PRESETS, build_model, count_parameters, preset
from uandi.nn.wadnet import GatedDilatedEncoder


def table_one_shapes(net, length):
    """Shapes ([length, channels], as in the paper) of the tensors Table I names, via hooks."""
    shapes = {}
    hooks = []
    for m_idx, block in enumerate(net.down, start=1):
        hooks.append(block.register_forward_hook(lambda mod, i, o, m=m_idx: shapes.__setitem__(f"u{m}", o.shape)))
        hooks.append(block.register_forward_pre_hook(lambda mod, i, m=m_idx: shapes.__setitem__(f"v{m}", i[0].shape)))
    hooks.append(net.up[0].register_forward_pre_hook(lambda mod, i: shapes.__setitem__("v5", i[0].shape)))
    for n, mix in enumerate(net.up_mix, start=2):
        hooks.append(mix.register_forward_hook(lambda mod, i, o, n=n: shapes.__setitem__(f"pt{n}", o.shape)))
    for n, block in enumerate(net.up[1:], start=2):
        hooks.append(block.register_forward_pre_hook(lambda mod, i, n=n: shapes.__setitem__(f"p{n}", i[0].shape)))
    out = net(torch.empty(1, 2, length, device="meta"))
    shapes["pf"] = out.shape
    for h in hooks:
        h.remove()
    return {k: [v[2], v[1]] for k, v in shapes.items()}


def test_table_one_shapes_for_L500_b128():
    with torch.device("meta"):  # shapes only: no memory for the 236 M parameters
        net = build_model(preset("paper-model"))
    got = table_one_shapes(net, 500)
    expected = {  # paper Table I, [length, channel]
        "v1": [500, 2], "v2": [250, 128], "v3": [125, 256], "v4": [62, 512], "v5": [31, 1024],
        "u1": [500, 128], "u2": [250, 256], "u3": [125, 512], "u4": [62, 1024],
        "pt2": [62, 1024], "p2": [62, 2048], "pt3": [124, 512], "p3": [125, 1024],
        "pt4": [250, 256], "p4": [250, 512], "pt5": [500, 128], "p5": [500, 256], "pf": [500, 5],
    }
    assert got == expected


def test_paper_parameter_counts_match_the_reference_code():
    # SCIENCE.md: 59.0 M (b = 64) and 235.9 M (b = 128) in the reference implementation.
    with torch.device("meta"):
        assert round(count_parameters(build_model(preset("paper-alpha"))) / 1e6, 1) == 59.0
        assert round(count_parameters(build_model(preset("paper-model"))) / 1e6, 1) == 235.9


@pytest.mark.parametrize("length", [16, 50, 201, 333])
@pytest.mark.parametrize("causal", [False, True])
def test_output_keeps_the_input_length(length, causal):
    net = build_model(preset("tiny-model", causal=causal)).eval()
    assert net(torch.randn(3, 2, length)).shape == (3, 5, length)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_and_runs(name):
    cfg = PRESETS[name]
    device = "meta" if cfg.width >= 64 and cfg.arch == "uandi" else "cpu"  # paper sizes: shapes only
    with torch.device(device):
        net = build_model(cfg).eval()
        out = net(torch.randn(2, cfg.in_channels, 40))
    assert out.shape == ((2, cfg.n_outputs) if cfg.trajectory_level else (2, cfg.n_outputs, 40))


def test_causal_encoder_never_sees_the_future():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 64)
    y = x.clone()
    y[:, :, 40:] += 5.0  # change only the future of point 39
    causal = GatedDilatedEncoder(2, 8, causal=True).eval()
    symmetric = GatedDilatedEncoder(2, 8, causal=False).eval()
    assert torch.allclose(causal(x)[:, :, :40], causal(y)[:, :, :40])
    assert not torch.allclose(causal(x)[:, :, 40:], causal(y)[:, :, 40:])
    assert not torch.allclose(symmetric(x)[:, :, :40], symmetric(y)[:, :, :40])


def test_shared_mix_has_fewer_parameters():
    a = count_parameters(GatedDilatedEncoder(2, 16, shared_mix=True))
    b = count_parameters(GatedDilatedEncoder(2, 16, shared_mix=False))
    assert b - a == 4 * (16 * 16 + 16)  # four extra 1x1 convolutions


def test_wadnet_classifier_gives_one_output_per_trajectory():
    net = build_model(preset("tiny-model", arch="wadnet", width=8)).eval()
    assert net(torch.randn(4, 2, 37)).shape == (4, 5)


def test_tiny_network_learns_a_fixed_batch():
    from uandi.data.stream import StreamConfig, simulate_batch

    torch.manual_seed(0)
    feats, target = simulate_batch(StreamConfig(task="alpha", batch_size=16, lengths=(64, 64)), np.random.default_rng(0))
    net = build_model(preset("tiny-alpha", width=8))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        loss = torch.nn.functional.mse_loss(net(feats)[:, 0], target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # the target variance of alpha ~ U[0.05, 1.99] is ~0.31: a net that learns nothing stays there
    assert np.mean(losses[-5:]) < 0.3 * np.mean(losses[:5])
