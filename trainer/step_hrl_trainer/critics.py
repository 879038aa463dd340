"""Step-level offline RL pieces (research notes §4, stage 3): per-role V and Q heads with target copies,
the Q and expectile V losses, soft updates, and the two actor weightings."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def mlp(width: int, hidden: int) -> nn.Sequential:
    """Linear -> ReLU -> Linear -> ReLU -> Linear -> 1, the reference's head."""
    return nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))


class Critic(nn.Module):
    """One role's V(s) (on the state's last-token hidden state) and Q(s, a) (on the action's end)."""

    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.v = mlp(width, hidden)
        self.q = mlp(width, hidden)


class Critics(nn.Module):
    """Online and target critics per role; targets start as copies and never get gradients."""

    def __init__(self, roles: list[str], width: int, hidden: int):
        super().__init__()
        self.online = nn.ModuleDict({r: Critic(width, hidden) for r in roles})
        self.target = nn.ModuleDict({r: Critic(width, hidden) for r in roles})
        self.target.load_state_dict(self.online.state_dict())
        self.target.requires_grad_(False)

    @torch.no_grad()
    def soft_update(self, tau: float) -> None:
        """target <- (1 - tau) * target + tau * online."""
        for t, o in zip(self.target.parameters(), self.online.parameters()):
            t.mul_(1 - tau).add_(o, alpha=tau)


def expectile_loss(v: torch.Tensor, q_target: torch.Tensor, weight: float) -> torch.Tensor:
    """Asymmetric squared error of V toward Q_target: `weight` where V > Q_target (an overestimate), 1 - weight
    elsewhere, as the reference codes it (weight 0.95: a conservative V, a lower expectile)."""
    diff = q_target - v
    w = torch.where(diff < 0, torch.full_like(diff, weight), torch.full_like(diff, 1 - weight))
    return (w * diff.pow(2)).mean()


def td_target(reward: torch.Tensor, done: torch.Tensor, v_next: torch.Tensor, gamma: float) -> torch.Tensor:
    """r + gamma * (1 - d) * V_target(s')."""
    return reward + gamma * (1 - done) * v_next


def actor_weights(adv: torch.Tensor, kind: str, beta: float, max_weight: float) -> torch.Tensor:
    """The weight of each row's log-likelihood: `linear` is the advantage Q - V itself (the reference's loss);
    `awr` is min(exp(adv / beta), max_weight) (the weight the reference computes but never uses)."""
    if kind == "linear":
        return adv
    if kind == "awr":
        return torch.exp(adv / beta).clamp(max=max_weight)
    raise ValueError(f"rl.advantage must be linear or awr (got {kind!r})")


def critic_losses(
    critics: Critics, role: str, x: dict[str, torch.Tensor], gamma: float, expectile: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One role's (q_loss, v_loss, advantage Q - V detached) on a batch of features:
    x["s"] (state's last token), x["sa"] (action's end), x["next"] (s'), x["reward"], x["done"].
    Q regresses to r + gamma (1 - d) V_target(s'); V regresses to Q_target(s, a) by the expectile loss."""
    online, target = critics.online[role], critics.target[role]
    q = online.q(x["sa"]).squeeze(-1)
    v = online.v(x["s"]).squeeze(-1)
    with torch.no_grad():
        y = td_target(x["reward"], x["done"], target.v(x["next"]).squeeze(-1), gamma)
        q_t = target.q(x["sa"]).squeeze(-1)
    return F.mse_loss(q, y), expectile_loss(v, q_t, expectile), (q - v).detach()
