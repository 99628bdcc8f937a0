#!/usr/bin/python3
"""Independent perplexity of a Llama-family model folder in plain PyTorch (no transformers, no safetensors package).

    /usr/bin/python3 bench/scripts/torch_ppl.py MODEL_DIR IDS.json --seq-len 128 [--windows 64]

Reads config.json (uniform shapes, head_dim explicit or hidden/heads; the prune4j_layers per-layer list if present)
and model.safetensors (header parsed by hand; F32, BF16, F16), runs the decoder as Hugging Face's LlamaForCausalLM
does (RMSNorm, rotate-half RoPE, grouped-query causal attention, SwiGLU MLP, tied or untied head, optional q/k/v and
MLP biases) in float64, and prints {"nll":..,"ppl":..,"tokens":..} over the first W non-overlapping windows of the
token ids (e.g. from `prune4j tokenize`), each predicting its next L-1 tokens.
"""
import argparse, json, math, os, struct, sys
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import read_safetensors  # noqa: E402


def load_safetensors(path):
    """Every tensor as float64 torch, through the benchmark's hand-written safetensors reader."""
    return {k: torch.from_numpy(v.astype(np.float64)) for k, v in read_safetensors(path).items()}


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def forward(cfg, t, ids):
    c, d, eps = cfg["hidden_size"], cfg["head_dim"], cfg["rms_norm_eps"]
    b, n = ids.shape
    x = t["model.embed_tokens.weight"][ids]                      # [B, T, C]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    ang = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], dim=-1)                          # [T, D]
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((n, n), float("-inf"), dtype=torch.float64).triu(1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        lin = lambda name, v: v @ t[p + name + ".weight"].T + (t[p + name + ".bias"] if p + name + ".bias" in t else 0)
        h_, kv = cfg["heads"][l], cfg["kv_heads"][l]
        hn = rms_norm(x, t[p + "input_layernorm.weight"], eps)
        q = lin("self_attn.q_proj", hn).view(b, n, h_, d).transpose(1, 2)     # [B, H, T, D]
        k = lin("self_attn.k_proj", hn).view(b, n, kv, d).transpose(1, 2)     # [B, Hkv, T, D]
        v = lin("self_attn.v_proj", hn).view(b, n, kv, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(h_ // kv, dim=1)
        v = v.repeat_interleave(h_ // kv, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + mask, dim=-1) @ v  # [B, H, T, D]
        x = x + lin("self_attn.o_proj", att.transpose(1, 2).reshape(b, n, h_ * d))
        m = rms_norm(x, t[p + "post_attention_layernorm.weight"], eps)
        x = x + lin("mlp.down_proj", torch.nn.functional.silu(lin("mlp.gate_proj", m)) * lin("mlp.up_proj", m))
    x = rms_norm(x, t["model.norm.weight"], eps)
    head = t.get("lm_head.weight", t["model.embed_tokens.weight"])
    return x @ head.T                                            # [B, T, V]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("ids")
    ap.add_argument("--seq-len", type=int, required=True)
    ap.add_argument("--windows", type=int, default=0)
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
    cfg.setdefault("rope_theta", 10000.0)
    L = cfg["num_hidden_layers"]
    per = cfg.get("prune4j_layers") or [{}] * L
    cfg["heads"] = [e.get("num_attention_heads", cfg["num_attention_heads"]) for e in per]
    cfg["kv_heads"] = [e.get("num_key_value_heads", cfg["num_key_value_heads"]) for e in per]
    t = load_safetensors(os.path.join(a.model, "model.safetensors"))
    ids = json.load(open(a.ids))
    n = len(ids) // a.seq_len
    if a.windows:
        n = min(n, a.windows)
    nll, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n, 8):
            rows = torch.tensor([ids[(i + j) * a.seq_len:(i + j + 1) * a.seq_len] for j in range(min(8, n - i))])
            lsm = torch.log_softmax(forward(cfg, t, rows), dim=-1)
            nll -= lsm[:, :-1].gather(-1, rows[:, 1:, None]).sum().item()
            count += rows.shape[0] * (a.seq_len - 1)
    print(json.dumps({"nll": nll / count, "ppl": math.exp(nll / count), "tokens": count}))


if __name__ == "__main__":
    main()
