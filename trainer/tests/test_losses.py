"""Expectile loss, TD target, soft update and both actor weightings against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from step_hrl_trainer.critics import Critics, actor_weights, expectile_loss, td_target


def test_expectile_weights_overestimates_by_the_weight() -> None:
    v = torch.tensor([1.0, 0.0, 2.0])
    q = torch.tensor([0.0, 1.0, 2.0])
    # V > Q (overestimate, diff -1): 0.95 * 1; V < Q (diff +1): 0.05 * 1; equal: 0. Mean over 3.
    assert expectile_loss(v, q, 0.95).item() == pytest.approx((0.95 + 0.05 + 0) / 3)
    v2, q2 = torch.tensor([3.0]), torch.tensor([1.0])  # overestimate by 2: 0.95 * 4
    assert expectile_loss(v2, q2, 0.95).item() == pytest.approx(3.8)
    assert expectile_loss(q2, v2, 0.95).item() == pytest.approx(0.2)  # underestimate by 2: 0.05 * 4


def test_td_target() -> None:
    r, d, vn = torch.tensor([1.0, 0.5]), torch.tensor([0.0, 1.0]), torch.tensor([2.0, 7.0])
    assert td_target(r, d, vn, 0.99).tolist() == pytest.approx([1.0 + 0.99 * 2.0, 0.5])


def test_linear_weight_is_the_advantage() -> None:
    adv = torch.tensor([-1.5, 0.0, 2.0])
    assert actor_weights(adv, "linear", 1.0, 20.0).tolist() == [-1.5, 0.0, 2.0]


def test_awr_weight_is_clipped_exponential() -> None:
    adv = torch.tensor([-1.0, 0.0, 1.0, 10.0])
    w = actor_weights(adv, "awr", 2.0, 20.0).tolist()
    assert w == pytest.approx([math.exp(-0.5), 1.0, math.exp(0.5), 20.0])  # exp(5) = 148 clipped to 20


def test_soft_update_moves_targets_by_tau() -> None:
    torch.manual_seed(0)
    c = Critics(["low"], 4, 8)
    t0 = c.target.low.q[0].weight.clone()
    with torch.no_grad():
        c.online.low.q[0].weight.add_(1.0)
    c.soft_update(0.2)
    assert torch.allclose(c.target.low.q[0].weight, t0 + 0.2)
    assert not any(p.requires_grad for p in c.target.parameters())
