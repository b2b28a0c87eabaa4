"""Training: resumable exactly, DDP ranks agree, transfer learning, logs and curves written."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from uandi.predict import load
from uandi.train import TrainConfig, loss_fn, lr_factor, train, validation_metric
from uandi.weights import read_weights

TINY = dict(preset="tiny-alpha", batch_size=8, lengths=(40, 60), val_n=16, val_lengths=(50,), lr=3e-3)


def _weights(path):
    return torch.load(path, weights_only=True)["model"]


def test_run_folder_has_logs_curves_checkpoints_and_weights(tmp_path):
    train(TrainConfig(**TINY, steps=4, val_every=2), tmp_path)
    for name in ("config.json", "metrics.jsonl", "curves.png", "last.pt", "best.pt", "best.safetensors", "best.json"):
        assert (tmp_path / name).is_file(), name
    log = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4]
    assert [r["trajectories"] for r in log] == [16, 32]
    assert load(tmp_path).task == "alpha"


def test_resume_after_a_stop_gives_the_same_weights_as_one_run(tmp_path):
    torch.use_deterministic_algorithms(True)
    try:
        train(TrainConfig(**TINY, steps=6, val_every=3), tmp_path / "straight")
        train(TrainConfig(**TINY, steps=6, val_every=3, time_limit=0.0), tmp_path / "stopped")  # stops at step 1
        first = json.loads((tmp_path / "stopped" / "metrics.jsonl").read_text().splitlines()[0])
        assert first["step"] == 1
        train(TrainConfig(**TINY, steps=6, val_every=3), tmp_path / "stopped", resume=True)
    finally:
        torch.use_deterministic_algorithms(False)
    a, b = _weights(tmp_path / "straight" / "last.pt"), _weights(tmp_path / "stopped" / "last.pt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_transfer_learning_replaces_the_head(tmp_path):
    train(TrainConfig(preset="tiny-model", batch_size=8, lengths=(40, 40), val_n=16, val_lengths=(40,),
                      steps=2, val_every=2), tmp_path / "five")
    cfg = TrainConfig(preset="tiny-model", model_overrides={"n_outputs": 2, "classes": ("ctrw", "fbm")},
                      sim_options={"models": ("ctrw", "fbm")}, batch_size=8, lengths=(40, 40), val_n=16,
                      val_lengths=(40,), steps=1, val_every=1, lr=1e-12,
                      init_from=str(tmp_path / "five" / "best.safetensors"))
    train(cfg, tmp_path / "two")
    five, _ = read_weights(tmp_path / "five" / "best.safetensors")
    two, card = read_weights(tmp_path / "two" / "best.safetensors")
    assert card["config"]["classes"] == ["ctrw", "fbm"]
    assert two["head.weight"].shape[0] == 2 and five["head.weight"].shape[0] == 5
    body = "down.0.0.first.weight"
    assert torch.allclose(two[body], five[body], atol=1e-6)  # lr ~0: the body is the loaded one
    m = load(tmp_path / "two")
    assert m.predict_proba(torch.randn(1, 40, 2).cumsum(1).numpy()).shape == (1, 40, 2)


def test_validation_metric_clips_alpha_and_skips_ignored_classes():
    # alpha: predictions outside [0.05, 2] count as clipped, as every benchmark scores them
    pred = np.array([[-1.0, 0.5, 3.0]], dtype=np.float32)
    true = np.array([[0.05, 1.0, 1.5]])
    assert validation_metric("alpha", pred, true, 1) == pytest.approx((0 + 0.5 + 0.5) / 3, rel=1e-6)
    # model: per-trajectory accuracy over the points the loss scores (-100: a model outside the classes)
    pred = np.array([[0, 1, 1, 0], [1, 1, 1, 1]])
    target = np.array([[0, 1, -100, -100], [1, 0, 0, 0]])
    assert validation_metric("model", pred, target, 2) == pytest.approx((1.0 + 0.25) / 2)


def test_class_weights_scale_each_class_in_the_model_loss():
    logits = torch.tensor([[[2.0, -1.0], [0.0, 1.0], [0.5, 0.5]]])  # (1, C=3, L=2)
    target = torch.tensor([[0, 2]])  # (1, L)
    nll = -torch.log_softmax(logits, 1)[0]  # (C, L)
    plain = (nll[0, 0] + nll[2, 1]) / 2
    assert torch.allclose(loss_fn("model", logits, target), plain)
    w = torch.tensor([3.0, 1.0, 1.0])
    weighted = (3 * nll[0, 0] + nll[2, 1]) / 4  # a weighted mean: the class-0 point counts three times
    assert torch.allclose(loss_fn("model", logits, target, w), weighted)
    with pytest.raises(ValueError, match="class_weights"):
        train(TrainConfig(**TINY, class_weights=(2.0,)), "unused")  # an alpha network has no classes


def test_cosine_schedule_warms_up_and_decays():
    assert lr_factor("constant", 50, 100) == 1.0
    assert lr_factor("cosine", 0, 100) < lr_factor("cosine", 4, 100) <= 1.0
    assert lr_factor("cosine", 99, 100) < 0.05




def test_ddp_two_cpu_processes_end_with_identical_weights(tmp_path):
    script = tmp_path / "ddp_run.py"
    script.write_text(textwrap.dedent("""
        import sys, torch, torch.distributed as dist
        import uandi.train as T
        torch.set_num_threads(1)
        captured = {}
        real_build = T.build_model
        def build(cfg):
            net = real_build(cfg)
            captured["net"] = net
            return net
        T.build_model = build
        cfg = T.TrainConfig(preset="tiny-alpha", batch_size=4, lengths=(40, 40), val_n=8, val_lengths=(40,),
                            steps=3, val_every=3)
        T.train(cfg, sys.argv[1])
        torch.save(captured["net"].state_dict(), f"{sys.argv[1]}/rank{dist.get_rank()}.pt")
        dist.destroy_process_group()
    """))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script),
           str(tmp_path / "run")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    a = torch.load(tmp_path / "run" / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "run" / "rank1.pt", weights_only=True)
    start = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    for k in a:  # rank 0 saved what it ended with
        assert torch.equal(a[k], start[k]), k
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["world_size"] == 2


def test_bad_training_options_fail_before_work(tmp_path):
    with pytest.raises(ValueError, match="preset"):
        train(TrainConfig(preset="no-such-net"), tmp_path / "x")
    with pytest.raises(ValueError, match="representation"):
        train(TrainConfig(**TINY, model_overrides={"representation": "fft"}), tmp_path / "y")


def test_training_from_a_dataset_folder(tmp_path):
    from uandi.data import write_dataset
    from uandi.train import FixedBatches

    write_dataset(tmp_path / "ds", "model", 40, 60, seed=0)
    cfg = TrainConfig(preset="tiny-model", data=str(tmp_path / "ds"), steps=3, batch_size=8, val_n=8,
                      val_lengths=(60,), val_every=3)
    record = train(cfg, tmp_path / "run")
    assert record["step"] == 3 and record["trajectories"] == 24
    # two ranks split each step's trajectories, and one epoch visits each trajectory at most once
    mcfg = cfg.model_config()
    ranks = [FixedBatches(tmp_path / "ds", cfg, mcfg, r, 2) for r in (0, 1)]
    assert ranks[0].per_epoch == 2  # 40 trajectories, 2 ranks x 8 per batch
    seen = [ranks[r].batch(s)[0] for s in range(2) for r in (0, 1)]
    flat = torch.cat([b.reshape(b.shape[0], -1) for b in seen])
    assert torch.unique(flat, dim=0).shape[0] == 32
    with pytest.raises(ValueError, match="task"):
        FixedBatches(tmp_path / "ds", cfg, TrainConfig(preset="tiny-alpha").model_config(), 0, 1)
