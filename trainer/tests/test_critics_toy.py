"""The critic update (the function the RL stage runs) converges to the analytic V and Q of a toy MDP.

States A, B; every transition is in the data equally often:
  (A, go)   r 0 -> B        (A, stop) r 0, done
  (B, win)  r 1, done       (B, lose) r 0, done
With expectile weight w on overestimates, V of two equally likely action values hi >= lo is the minimiser of
(1-w)(hi-V)^2 + w(V-lo)^2: V = (1-w) hi + w lo. So V(B) = 1-w, Q(A, go) = gamma V(B), V(A) = (1-w) Q(A, go).
Tolerance: 0.01 absolute on every value (reached within 300 steps; 400 run)."""

from __future__ import annotations

import pytest
import torch

from step_hrl_trainer.critics import Critics, critic_losses

GAMMA = 0.99


def one_hot(i: int, n: int = 8) -> list[float]:
    return [1.0 if k == i else 0.0 for k in range(n)]


# features: states A=0, B=1, terminal=2; state-actions 3..6
A, B, T, A_GO, A_STOP, B_WIN, B_LOSE = range(7)
BATCH = {
    "s": torch.tensor([one_hot(A), one_hot(A), one_hot(B), one_hot(B)]),
    "sa": torch.tensor([one_hot(A_GO), one_hot(A_STOP), one_hot(B_WIN), one_hot(B_LOSE)]),
    "next": torch.tensor([one_hot(B), one_hot(T), one_hot(T), one_hot(T)]),
    "reward": torch.tensor([0.0, 0.0, 1.0, 0.0]),
    "done": torch.tensor([0.0, 1.0, 1.0, 1.0]),
}


@pytest.mark.parametrize("w", [0.95, 0.5])
def test_critics_reach_the_analytic_values(w: float) -> None:
    torch.manual_seed(0)
    critics = Critics(["low"], 8, 32)
    opt = torch.optim.Adam(critics.online.parameters(), lr=1e-2)
    for _ in range(400):  # the RL step's critic update: one Adam step, then the soft target update
        q_loss, v_loss, _ = critic_losses(critics, "low", BATCH, GAMMA, w)
        opt.zero_grad()
        (q_loss + v_loss).backward()
        opt.step()
        critics.soft_update(0.2)
    v_b = 1 - w
    q_a_go = GAMMA * v_b
    v_a = (1 - w) * q_a_go
    with torch.no_grad():
        q = critics.online.low.q(BATCH["sa"]).squeeze(-1).tolist()
        v = critics.online.low.v(BATCH["s"]).squeeze(-1).tolist()
    assert q == pytest.approx([q_a_go, 0.0, 1.0, 0.0], abs=0.01)
    assert v == pytest.approx([v_a, v_a, v_b, v_b], abs=0.01)
