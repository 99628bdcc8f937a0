#!/usr/bin/python3
"""PyTorch side of prune4j's prefill benchmark (Debian python3-torch 1.13 on OpenBLAS, CPU).

Builds the same Llama as prune4j from config.json and model.safetensors (read with numpy; no transformers or
safetensors package needed): RMSNorm, rotate-half RoPE, grouped key/value heads, SiLU-gated MLP, optional q/k/v
bias, tied or untied head -- Hugging Face's eager LlamaForCausalLM. Times model(tokens) -> logits for every
position under torch.no_grad(), median of --runs after warm-up, and prints one JSON line.

  torch_forward.py --model DIR --batch B --seq-len L --threads T [--runs R]
  torch_forward.py --model DIR --check          # logits vs golden.safetensors (the tiny-* fixtures)
  torch_forward.py --make-synthetic DIR --hidden 2048 --layers 8 ...   # a random checkpoint both sides can load
"""
import argparse, json, math, os, struct, sys, time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[b:end]
        if e["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif e["dtype"] == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "I32":
            a = np.frombuffer(raw, dtype="<i4")
        elif e["dtype"] == "I64":
            a = np.frombuffer(raw, dtype="<i8")
        else:
            raise SystemExit(f"{path}: dtype {e['dtype']} of {name} not handled")
        out[name] = a.reshape(e["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, off = {}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for a in tensors.values():
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


class Llama:
    def __init__(self, cfg, w):
        self.cfg = cfg
        t = {k: torch.from_numpy(v) for k, v in w.items()}
        self.w = t
        self.c = cfg["hidden_size"]
        self.layers = cfg["num_hidden_layers"]
        self.h = cfg["num_attention_heads"]
        self.hkv = cfg.get("num_key_value_heads", self.h)
        self.d = cfg.get("head_dim") or self.c // self.h
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        theta = cfg.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.d, 2, dtype=torch.int64).float() / self.d))
        self.head = t["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else t["lm_head.weight"]

    def rms(self, x, wt):
        var = x.pow(2).mean(-1, keepdim=True)
        return wt * (x * torch.rsqrt(var + self.eps))

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    def forward(self, tokens, head_mask=None):
        """Logits [B, T, V]; head_mask [layers, H] (Michel et al.'s xi) multiplies each head's attention output."""
        b, t = tokens.shape
        w = self.w
        x = F.embedding(tokens, w["model.embed_tokens.weight"])
        pos = torch.arange(t, dtype=torch.float32)
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((t, t), float("-inf")).triu(1)
        g = self.h // self.hkv
        for i in range(self.layers):
            p = f"model.layers.{i}."
            hdn = self.rms(x, w[p + "input_layernorm.weight"])
            q = F.linear(hdn, w[p + "self_attn.q_proj.weight"], w.get(p + "self_attn.q_proj.bias"))
            k = F.linear(hdn, w[p + "self_attn.k_proj.weight"], w.get(p + "self_attn.k_proj.bias"))
            v = F.linear(hdn, w[p + "self_attn.v_proj.weight"], w.get(p + "self_attn.v_proj.bias"))
            q = q.view(b, t, self.h, self.d).transpose(1, 2)
            k = k.view(b, t, self.hkv, self.d).transpose(1, 2)
            v = v.view(b, t, self.hkv, self.d).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
            att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.d) + mask
            att = torch.softmax(att, dim=-1)
            o = torch.matmul(att, v)                                            # [B, H, T, D]
            if head_mask is not None:
                o = o * head_mask[i][None, :, None, None]
            o = o.transpose(1, 2).reshape(b, t, self.h * self.d)
            x = x + F.linear(o, w[p + "self_attn.o_proj.weight"], w.get(p + "self_attn.o_proj.bias"))
            hdn = self.rms(x, w[p + "post_attention_layernorm.weight"])
            up = F.silu(F.linear(hdn, w[p + "mlp.gate_proj.weight"])) * F.linear(hdn, w[p + "mlp.up_proj.weight"])
            x = x + F.linear(up, w[p + "mlp.down_proj.weight"])
        x = self.rms(x, w["model.norm.weight"])
        return F.linear(x, self.head)


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    return Llama(cfg, read_safetensors(os.path.join(model_dir, "model.safetensors")))


def make_synthetic(out, a):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1)
    c, inter, v, d = a.hidden, a.intermediate, a.vocab, a.hidden // a.heads
    t = {"model.embed_tokens.weight": rng.standard_normal((v, c), dtype=np.float32) * 0.02}
    for i in range(a.layers):
        p = f"model.layers.{i}."
        shapes = {"self_attn.q_proj": (a.heads * d, c), "self_attn.k_proj": (a.kv_heads * d, c), "self_attn.v_proj": (a.kv_heads * d, c),
                  "self_attn.o_proj": (c, a.heads * d), "mlp.gate_proj": (inter, c), "mlp.up_proj": (inter, c), "mlp.down_proj": (c, inter)}
        t[p + "input_layernorm.weight"] = np.ones(c, dtype=np.float32)
        t[p + "post_attention_layernorm.weight"] = np.ones(c, dtype=np.float32)
        for n, s in shapes.items():
            t[p + n + ".weight"] = rng.standard_normal(s, dtype=np.float32) * 0.02
    t["model.norm.weight"] = np.ones(c, dtype=np.float32)
    t["lm_head.weight"] = rng.standard_normal((v, c), dtype=np.float32) * 0.02
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": c, "intermediate_size": inter,
           "num_hidden_layers": a.layers, "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads, "vocab_size": v,
           "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
           "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    write_safetensors(os.path.join(out, "model.safetensors"), t)
    print(json.dumps({"synthetic": out, "parameters": int(sum(x.size for x in t.values()))}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup-runs", type=int, default=2)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--make-synthetic")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--kv-heads", type=int, default=16)
    ap.add_argument("--intermediate", type=int, default=5632)
    ap.add_argument("--vocab", type=int, default=32000)
    a = ap.parse_args()
    if a.make_synthetic:
        make_synthetic(a.make_synthetic, a)
        return
    torch.set_num_threads(a.threads)
    m = load(a.model)
    if a.check:
        g = read_safetensors(os.path.join(a.model, "golden.safetensors"))
        with torch.no_grad():
            logits = m.forward(torch.from_numpy(g["tokens"].astype(np.int64))).numpy()
        err = float(np.abs(logits - g["logits"]).max() / np.abs(g["logits"]).max())
        print(json.dumps({"model": a.model, "max_logit_error_relative": err}))
        sys.exit(0 if err < 1e-4 else 1)
    tokens = torch.from_numpy(np.random.default_rng(1).integers(0, m.cfg["vocab_size"], (a.batch, a.seq_len)))
    times = []
    with torch.no_grad():
        for i in range(a.warmup_runs + a.runs):
            t0 = time.perf_counter()
            m.forward(tokens)
            if i >= a.warmup_runs:
                times.append(time.perf_counter() - t0)
    s = sorted(times)[len(times) // 2]
    print(json.dumps({"impl": f"torch {torch.__version__} ({a.threads} threads)", "batch": a.batch, "seq_len": a.seq_len,
                      "ms": round(s * 1e3, 3), "tokens_per_s": round(a.batch * a.seq_len / s, 3)}))


if __name__ == "__main__":
    main()
