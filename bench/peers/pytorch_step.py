#!/usr/bin/env python3
"""The training step `likra bench` times, in PyTorch eager float32, for comparison (scripts/gpu-check runs it).

Same model as org.likra.model.Transformer for a preset in models/*.json (GPT-2 style: LayerNorm, GELU-tanh, learned
positions, biases, tied embeddings; Llama style: RMSNorm, SwiGLU, RoPE rotate-halves, grouped kv heads), same step:
random tokens and targets, forward, mean cross-entropy, backward, global-norm clipping at 1.0, AdamW (lr 1e-4,
betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices only). Prints ms/step (median of the timed steps after
warm-up) and tokens/s in the format of `likra bench`.

With --lora R it times `likra bench --lora R`'s step instead: the base model frozen (no gradients of its own),
rank-R adapters with alpha = R (scale 1) on the MLP projections (gate, up, down; PEFT's initialisation, A uniform in
+-1/sqrt(in), B zero), the adapters' gradients through the whole network, clipping and AdamW over the adapters only (betas 0.9/0.999,
no weight decay, as `likra bench --lora` sets it).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Norm(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.rms = cfg["norm"] == "rmsnorm"
        self.eps = cfg["norm_eps"]
        self.weight = nn.Parameter(torch.ones(cfg["dim"]))
        self.bias = None if self.rms else nn.Parameter(torch.zeros(cfg["dim"]))

    def forward(self, x):
        if self.rms:
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


def rope(x, theta):
    # x (B, T, H, D), rotate-halves layout
    b, t, h, d = x.shape
    half = d // 2
    freq = theta ** (-2.0 * torch.arange(half, device=x.device, dtype=torch.float64) / d)
    angle = torch.arange(t, device=x.device, dtype=torch.float64)[:, None] * freq[None, :]
    cos = torch.cos(angle).float()[None, :, None, :]
    sin = torch.sin(angle).float()[None, :, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class LoraLinear(nn.Module):
    """y = base(x) + scale * (x A^T) B^T, the base frozen."""

    def __init__(self, base, rank):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(rank, base.in_features).uniform_(-base.in_features ** -0.5,
                                                                            base.in_features ** -0.5))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = 1.0  # alpha = rank

    def forward(self, x):
        return self.base(x) + self.scale * ((x @ self.a.T) @ self.b.T)


def add_lora(model, rank):
    """Freezes the model and wraps every block's MLP projections (gate, up, down) in rank-`rank` adapters."""
    for p in model.parameters():
        p.requires_grad_(False)
    for blk in model.blocks:
        for name in ("gate", "up", "down"):
            if getattr(blk, name) is not None:
                setattr(blk, name, LoraLinear(getattr(blk, name), rank))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, hd = cfg["dim"], cfg["dim"] // cfg["heads"]
        bias = cfg["bias"]
        self.cfg, self.hd = cfg, hd
        self.norm1, self.norm2 = Norm(cfg), Norm(cfg)
        self.q = nn.Linear(c, cfg["heads"] * hd, bias=bias)
        self.k = nn.Linear(c, cfg["kv_heads"] * hd, bias=bias)
        self.v = nn.Linear(c, cfg["kv_heads"] * hd, bias=bias)
        self.o = nn.Linear(cfg["heads"] * hd, c, bias=bias)
        self.up = nn.Linear(c, cfg["hidden"], bias=bias)
        self.gate = nn.Linear(c, cfg["hidden"], bias=bias) if cfg["mlp"] == "swiglu" else None
        self.down = nn.Linear(cfg["hidden"], c, bias=bias)

    def forward(self, x):
        cfg = self.cfg
        b, t, _ = x.shape
        h = self.norm1(x)
        q = self.q(h).view(b, t, cfg["heads"], self.hd)
        k = self.k(h).view(b, t, cfg["kv_heads"], self.hd)
        v = self.v(h).view(b, t, cfg["kv_heads"], self.hd)
        if cfg["positions"] == "rope":
            q, k = rope(q, cfg["rope_theta"]), rope(k, cfg["rope_theta"])
        group = cfg["heads"] // cfg["kv_heads"]
        k = k.repeat_interleave(group, dim=2)
        v = v.repeat_interleave(group, dim=2)
        att = torch.matmul(q.transpose(1, 2), k.transpose(1, 2).transpose(-1, -2)) / math.sqrt(self.hd)
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = torch.matmul(att, v.transpose(1, 2)).transpose(1, 2).reshape(b, t, -1)
        x = x + self.o(y)
        h = self.norm2(x)
        if self.gate is not None:
            a = F.silu(self.gate(h)) * self.up(h)
        else:
            a = F.gelu(self.up(h), approximate="tanh")
        return x + self.down(a)


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.pos = nn.Embedding(cfg["context"], cfg["dim"]) if cfg["positions"] == "learned" else None
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg["layers"]))
        self.norm = Norm(cfg)
        self.head = None if cfg["tied_embeddings"] else nn.Linear(cfg["dim"], cfg["vocab"], bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, tokens, targets):
        x = self.embed(tokens)
        if self.pos is not None:
            x = x + self.pos.weight[: tokens.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        logits = x @ self.embed.weight.T if self.head is None else self.head(x)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="models/<preset>.json")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lora", type=int, default=0, help="0: train every parameter; R > 0: a rank-R LoRA step")
    args = ap.parse_args()
    cfg = json.load(open(args.model))
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(1)
    model = Model(cfg)
    if args.lora > 0:
        add_lora(model, args.lora)
    model = model.to(dev)
    trained = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trained if p.dim() == 2]
    rest = [p for p in trained if p.dim() != 2]
    if args.lora > 0:
        opt = torch.optim.AdamW(trained, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=True)
    else:
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                lr=1e-4, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    tokens = torch.randint(cfg["vocab"], (args.batch, args.seq), device=dev)
    targets = torch.randint(cfg["vocab"], (args.batch, args.seq), device=dev)
    times = []
    loss = None
    for s in range(args.warmup + args.steps):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        opt.step()
        lv = loss.item()  # the host reads the loss each step, as likra bench does
        t1 = time.perf_counter()
        if s >= args.warmup:
            times.append((t1 - t0) * 1e3)
    med = statistics.median(times)
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"
    print(f"device   {name}")
    print(f"ms/step  median {med:.1f}  (min {min(times):.1f}, max {max(times):.1f})")
    print(f"tokens/s {args.batch * args.seq / (med / 1e3):.0f}")
    print(f"loss     {lv:.4f}")


if __name__ == "__main__":
    main()
