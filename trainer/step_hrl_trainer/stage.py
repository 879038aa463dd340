"""One training stage (bc or rl) in memory: model + LoRA, critics, optimizers, data streams, and the step
functions. `run.py` builds it, restores it from a checkpoint, steps it, and saves it."""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Callable, Optional

import torch
from safetensors.torch import load_file

from .checkpoint import rng_state, seed_all, set_rng_state
from .critics import Critics, actor_weights, critic_losses
from .data import Encoder, Encoded, RoleStream, encode_rows, load_all, main_role, steps_per_epoch
from .model import load_base

STAGE_SEED = {"bc": 0, "rl": 1000}  # each stage draws its own LoRA init / dropout / order stream
HEARTBEAT_EVERY_S = 2.0


def configure_torch(cfg: dict) -> None:
    """Fixed threads and deterministic kernels: the same config gives bit-identical results on a CPU."""
    torch.set_num_threads(cfg["threads"])
    # CPU: every kernel deterministic (bit-identical resume). CUDA: best effort, warning on the few ops
    # without a deterministic kernel rather than failing.
    torch.use_deterministic_algorithms(True, warn_only=cfg["device"] != "cpu")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def total_steps(cfg: dict, stage: str, rows: dict[str, int]) -> int:
    """Optimizer steps of a stage: epochs x ceil(rows of the epoch-defining role / global batch), capped by max_steps."""
    s = cfg[stage]
    n = s["epochs"] * steps_per_epoch(rows[main_role(cfg["data"]["roles"])], s["global_batch"])
    return min(n, s["max_steps"]) if s["max_steps"] else n


class Stage:
    """The live state of one stage. Construction is deterministic given the config, so a checkpoint only has
    to overwrite what training changed."""

    def __init__(self, run_dir: str, cfg: dict, stage: str, heartbeat: Optional[Callable[[dict], Any]] = None):
        self.run_dir, self.cfg, self.stage, self.s = run_dir, cfg, stage, cfg[stage]
        self.roles: list[str] = cfg["data"]["roles"]
        self.heartbeat, self.last_beat, self.started = heartbeat, 0.0, time.monotonic()
        self.samples, self.phase, self.step, self.total, self.spe = 0, "loading data", 0, 0, 1
        self.beat(force=True)
        configure_torch(cfg)
        self.device = torch.device(cfg["device"])
        rows = load_all(cfg, os.path.join(run_dir, ".cache", "datasets"))  # before seeding: it may touch RNGs
        self.phase = "loading model"
        self.beat(force=True)
        seed_all(cfg["seed"] + STAGE_SEED[stage])
        model, self.tok = load_base(cfg["base"])
        self.model = self._with_lora(model)
        self.enc = Encoder(self.tok, cfg["data"]["profile"], cfg["data"]["max_seq_len"])
        rl = stage == "rl"
        self.train_rows = {r: encode_rows(self.enc, rows["train"][r], rl) for r in self.roles}
        self.dev_rows = {r: encode_rows(self.enc, rows["dev"][r], rl) for r in self.roles}
        self.streams = {r: RoleStream(len(self.train_rows[r]), cfg["seed"] + STAGE_SEED[stage], r) for r in self.roles}
        self.spe = steps_per_epoch(len(self.train_rows[main_role(self.roles)]), self.s["global_batch"])
        self.total = total_steps(cfg, stage, {r: len(v) for r, v in self.train_rows.items()})
        params = [p for p in self.model.parameters() if p.requires_grad]
        lr = self.s["lr"] if stage == "bc" else self.s["actor_lr"]
        self.opt = torch.optim.AdamW(params, lr=lr, weight_decay=self.s["weight_decay"])
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, self._schedule)
        self.critics = None
        if rl:
            width = self.model.config.hidden_size
            self.critics = Critics(self.roles, width, self.s["critic_hidden"] or width).to(self.device)
            self.critic_opt = torch.optim.AdamW(
                self.critics.online.parameters(), lr=self.s["critic_lr"], weight_decay=self.s["weight_decay"]
            )
            self.critic_sched = torch.optim.lr_scheduler.LambdaLR(self.critic_opt, self._schedule)
        self.step = 0
        self.phase = "training"

    # ---- construction -------------------------------------------------------------------------------
    def _with_lora(self, model: Any) -> Any:
        from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

        cfg = self.cfg
        if cfg["dtype"] == "bfloat16":
            model = model.to(torch.bfloat16)
        model = model.to(self.device)
        lcfg = cfg["lora"]
        peft_model = get_peft_model(
            model,
            LoraConfig(
                r=lcfg["r"],
                lora_alpha=lcfg["alpha"],
                lora_dropout=lcfg["dropout"],
                target_modules=list(lcfg["target_modules"]),
                modules_to_save=list(lcfg["modules_to_save"]) or None,
                task_type="CAUSAL_LM",
            ),
        )
        if self.stage == "rl" and self.s["init"] == "bc" and "bc" in cfg["stages"]:
            path = os.path.join(self.run_dir, "bc", "final", "adapter", "adapter_model.safetensors")
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{path!r} not found: the rl stage starts from the bc final; run finalize for bc first")
            set_peft_model_state_dict(peft_model, load_file(path))
        if cfg["gradient_checkpointing"]:
            peft_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            peft_model.enable_input_require_grads()
        return peft_model

    def _schedule(self, step: int) -> float:
        warm, kind = self.s["warmup_steps"], self.s["scheduler"]
        if warm and step < warm:
            return (step + 1) / warm
        if kind == "constant":
            return 1.0
        frac = min(1.0, (step - warm) / max(1, self.total - warm))
        return 1.0 - frac if kind == "linear" else 0.5 * (1 + math.cos(math.pi * frac))

    # ---- state ----------------------------------------------------------------------------------------
    def trainable(self) -> dict[str, torch.Tensor]:
        return {n: p.detach().clone() for n, p in self.model.named_parameters() if p.requires_grad}

    def state(self) -> dict:
        """Everything a resume needs: weights that train, optimizers, schedulers, streams, RNGs, step."""
        st = {
            "stage": self.stage,
            "step": self.step,
            "trainable": self.trainable(),
            "opt": self.opt.state_dict(),
            "sched": self.sched.state_dict(),
            "streams": {r: s.state() for r, s in self.streams.items()},
            "rng": rng_state(),
        }
        if self.critics is not None:
            st.update(critics=self.critics.state_dict(), critic_opt=self.critic_opt.state_dict(),
                      critic_sched=self.critic_sched.state_dict())
        return st

    def restore(self, st: dict) -> None:
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, value in st["trainable"].items():
                params[name].copy_(value)
        self.opt.load_state_dict(st["opt"])
        self.sched.load_state_dict(st["sched"])
        for r, s in st["streams"].items():
            self.streams[r].epoch, self.streams[r].cursor = s["epoch"], s["cursor"]
        if self.critics is not None:
            self.critics.load_state_dict(st["critics"])
            self.critic_opt.load_state_dict(st["critic_opt"])
            self.critic_sched.load_state_dict(st["critic_sched"])
        self.step = st["step"]
        set_rng_state(st["rng"])

    def adapter_state(self) -> dict[str, torch.Tensor]:
        from peft import get_peft_model_state_dict

        return {k: v.detach().clone().contiguous() for k, v in get_peft_model_state_dict(self.model).items()}

    def critics_state(self) -> dict[str, torch.Tensor] | None:
        if self.critics is None:
            return None
        return {k: v.detach().clone().contiguous() for k, v in self.critics.state_dict().items()}

    # ---- model passes -----------------------------------------------------------------------------------
    def _batch(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(s) for s in seqs)
        ids = torch.zeros(len(seqs), width, dtype=torch.long)
        mask = torch.zeros(len(seqs), width, dtype=torch.long)
        for i, s in enumerate(seqs):  # right padding: real positions never attend to padding (causal)
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        return ids.to(self.device), mask.to(self.device)

    def logprob_mean(self, rows: list[Encoded]) -> torch.Tensor:
        """Per row: mean log-probability of the target tokens given the prompt (grad flows to LoRA)."""
        ids, mask = self._batch([r.ids for r in rows])
        logits = self.model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        target = torch.zeros_like(mask[:, 1:], dtype=torch.bool)
        for i, r in enumerate(rows):
            target[i, r.n_prompt - 1 : len(r.ids) - 1] = True
        picked = logits[target].float().log_softmax(-1)
        lp = picked.gather(-1, ids[:, 1:][target].unsqueeze(-1)).squeeze(-1)
        # back to (row, position) and summed per row: deterministic on CUDA too (index_add is not)
        sums = torch.zeros(target.shape, device=self.device, dtype=lp.dtype).masked_scatter(target, lp).sum(1)
        return sums / target.sum(1).float()

    @torch.no_grad()
    def hidden(self, seqs: list[list[int]], at: list[list[int]]) -> list[torch.Tensor]:
        """Last-layer hidden states (no grad, eval mode) at the given positions of each sequence."""
        ids, mask = self._batch(seqs)
        h = self.model.get_base_model().get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        return [torch.stack([h[i, pos[k]] for i, pos in enumerate(at)]) for k in range(len(at[0]))]

    def micro(self, rows: list[Any]) -> list[list[Any]]:
        m = self.s["micro_batch"]
        return [rows[i : i + m] for i in range(0, len(rows), m)]

    # ---- steps ------------------------------------------------------------------------------------------
    def roles_at(self, step: int) -> list[str]:
        """Roles trained at a 0-based step: the high level only every `high_interval`-th step (0, 4, 8, ...)."""
        if self.roles == ["high"]:
            return self.roles
        return [r for r in self.roles if r != "high" or step % self.s["high_interval"] == 0]

    def _draw(self, role: str) -> list[Encoded]:
        return [self.train_rows[role][i] for i in self.streams[role].next_batch(self.s["global_batch"])]

    def _clip_step(self, params: Any, opt: Any, sched: Any) -> None:
        if self.s["max_grad_norm"] is not None:
            torch.nn.utils.clip_grad_norm_(list(params), self.s["max_grad_norm"])
        opt.step()
        sched.step()

    def bc_step(self) -> dict:
        self.model.train()
        self.opt.zero_grad(set_to_none=True)
        out: dict[str, float] = {}
        for role in self.roles_at(self.step):
            rows = self._draw(role)
            total = 0.0
            for chunk in self.micro(rows):
                loss = -self.logprob_mean(chunk).sum() / len(rows)
                loss.backward()
                total += loss.item()
                self.samples += len(chunk)
                self.beat()
            out[f"loss_{role}"] = total
        self._clip_step((p for p in self.model.parameters() if p.requires_grad), self.opt, self.sched)
        out["loss"] = sum(out.values())
        return out

    def _critic_inputs(self, rows: list[Encoded]) -> dict[str, torch.Tensor]:
        hs, hsa, hn = [], [], []
        self.model.eval()
        for chunk in self.micro(rows):
            a, b = self.hidden([r.ids for r in chunk], [[r.n_prompt - 1, len(r.ids) - 1] for r in chunk])
            (c,) = self.hidden([r.next_ids for r in chunk], [[len(r.next_ids) - 1] for r in chunk])
            hs.append(a), hsa.append(b), hn.append(c)
            self.beat()
        t = lambda xs: torch.tensor(xs, dtype=torch.float32, device=self.device)  # noqa: E731
        return {"s": torch.cat(hs), "sa": torch.cat(hsa), "next": torch.cat(hn),
                "reward": t([r.reward for r in rows]), "done": t([float(r.done) for r in rows])}

    def _critic_losses(self, role: str, x: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return critic_losses(self.critics, role, x, self.s["gamma"], self.s["expectile"])

    def _actor_loss(self, rows: list[Encoded], adv: torch.Tensor, backward: bool) -> float:
        w = actor_weights(adv, self.s["advantage"], self.s["awr_beta"], self.s["awr_max_weight"])
        total, start = 0.0, 0
        for chunk in self.micro(rows):
            lp = self.logprob_mean(chunk)
            loss = -(w[start : start + len(chunk)] * lp).sum() / len(rows)
            if backward:
                loss.backward()
            total += loss.item()
            start += len(chunk)
            self.samples += len(chunk)
            self.beat()
        return total

    def rl_step(self) -> dict:
        roles = self.roles_at(self.step)
        batches = {r: self._draw(r) for r in roles}
        inputs = {r: self._critic_inputs(batches[r]) for r in roles}
        self.critics.train()
        self.critic_opt.zero_grad(set_to_none=True)
        out: dict[str, float] = {}
        adv, critic_loss = {}, 0.0
        for role in roles:
            q_loss, v_loss, adv[role] = self._critic_losses(role, inputs[role])
            critic_loss = critic_loss + q_loss + v_loss
            out[f"q_loss_{role}"], out[f"v_loss_{role}"] = q_loss.item(), v_loss.item()
            out[f"adv_mean_{role}"] = adv[role].mean().item()
        critic_loss.backward()
        self._clip_step(self.critics.online.parameters(), self.critic_opt, self.critic_sched)
        self.critics.soft_update(self.s["tau"])
        out["critic_loss"] = critic_loss.item()
        if self.step >= self.s["critic_warmup_steps"]:  # critic-only warm-up first
            self.model.train()
            self.opt.zero_grad(set_to_none=True)
            actor = 0.0
            for role in roles:
                out[f"actor_loss_{role}"] = self._actor_loss(batches[role], adv[role], backward=True)
                actor += out[f"actor_loss_{role}"]
            self._clip_step((p for p in self.model.parameters() if p.requires_grad), self.opt, self.sched)
            out["actor_loss"] = actor
        return out

    @torch.no_grad()
    def evaluate(self) -> dict | None:
        """Dev-split metrics (every role, no every-4th rule): bc `loss` = mean of the roles' mean token NLL;
        rl adds `critic_loss` and `actor_loss` with the current critics. None when there are no dev rows."""
        roles = [r for r in self.roles if self.dev_rows[r]]
        if not roles:
            return None
        self.phase = "dev evaluation"
        self.model.eval()
        out: dict[str, float] = {}
        for role in roles:
            rows = self.dev_rows[role]
            total = 0.0
            for c in self.micro(rows):
                total += self.logprob_mean(c).sum().item()
                self.beat()
            out[f"nll_{role}"] = -total / len(rows)
        out["nll"] = sum(out[f"nll_{r}"] for r in roles) / len(roles)
        if self.stage == "bc":
            out["loss"] = out["nll"]
            self.phase = "training"
            return out
        critic, actor = 0.0, 0.0
        for role in roles:
            rows = self.dev_rows[role]
            q_loss, v_loss, adv = self._critic_losses(role, self._critic_inputs(rows))
            self.model.eval()
            a = self._actor_loss(rows, adv, backward=False)
            out[f"q_loss_{role}"], out[f"v_loss_{role}"], out[f"actor_loss_{role}"] = q_loss.item(), v_loss.item(), a
            critic += q_loss.item() + v_loss.item()
            actor += a
        out.update(critic_loss=critic, actor_loss=actor, loss=critic + actor)
        self.phase = "training"
        return out

    # ---- progress ----------------------------------------------------------------------------------------
    def epoch(self) -> int:
        return min(self.step // self.spe, self.s["epochs"])

    def progress(self) -> dict:
        elapsed = time.monotonic() - self.started
        return {"stage": self.stage, "phase": self.phase, "step": self.step, "total_steps": self.total,
                "epoch": self.epoch(),
                "samples": self.samples, "samples_per_s": self.samples / elapsed if elapsed > 0 else 0.0}

    def beat(self, force: bool = False) -> None:
        if self.heartbeat is None:
            return
        now = time.monotonic()
        if force or now - self.last_beat >= HEARTBEAT_EVERY_S:
            self.last_beat = now
            self.heartbeat(self.progress())


def dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, indent=2) + "\n"
