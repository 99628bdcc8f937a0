#!/usr/bin/python3
"""PyTorch side of `./prune4j bench distill` (Debian python3-torch 1.13, CPU): the same synthetic shapes (bench train's
defaults: hidden 128, 4 layers, 8 heads / 2 KV heads, MLP 384, vocab 512 tied, 16 x 128 random tokens), random
weights N(0, 0.02) with unit norms, and the same step as prune4j's distill with its defaults:
  teacher forward under no_grad; student forward; KL(p_T || p_S) at T = 1 (kl_div(log_target=True,
  reduction='batchmean') on [B*T, V]) and the next-token CE, logged under no_grad; backward; clip_grad_norm_(1.0);
  torch.optim.AdamW(lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight decay 0).
The model is torch_forward.py's eager Llama (its own RMSNorm, RoPE, GQA attention, SwiGLU), the one the forward and
distill comparisons use. Times --warmup steps, then --runs steps; prints one JSON line with the medians of the wall
time and of the process CPU time (all threads) per step.

  bench_distill_torch.py [--hidden 128 --layers 4 --teacher-layers 4 --heads 8 --kv-heads 2 --intermediate 384
                          --vocab 512 --batch 16 --seq-len 128 --threads 2 --warmup 2 --runs 9]
"""
import argparse, json, os, statistics, sys, time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import Llama  # noqa: E402


def random_llama(a, layers, seed):
    rng = np.random.default_rng(seed)
    c, d = a.hidden, a.hidden // a.heads
    w = {"model.embed_tokens.weight": rng.standard_normal((a.vocab, c), dtype=np.float32) * 0.02}
    for i in range(layers):
        p = f"model.layers.{i}."
        shapes = {"self_attn.q_proj": (a.heads * d, c), "self_attn.k_proj": (a.kv_heads * d, c), "self_attn.v_proj": (a.kv_heads * d, c),
                  "self_attn.o_proj": (c, a.heads * d), "mlp.gate_proj": (a.intermediate, c), "mlp.up_proj": (a.intermediate, c),
                  "mlp.down_proj": (c, a.intermediate)}
        w[p + "input_layernorm.weight"] = np.ones(c, dtype=np.float32)
        w[p + "post_attention_layernorm.weight"] = np.ones(c, dtype=np.float32)
        for n, s in shapes.items():
            w[p + n + ".weight"] = rng.standard_normal(s, dtype=np.float32) * 0.02
    w["model.norm.weight"] = np.ones(c, dtype=np.float32)
    cfg = {"hidden_size": c, "intermediate_size": a.intermediate, "num_hidden_layers": layers, "num_attention_heads": a.heads,
           "num_key_value_heads": a.kv_heads, "vocab_size": a.vocab, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": True}
    return Llama(cfg, w)


def main():
    ap = argparse.ArgumentParser()
    for n, v in (("hidden", 128), ("layers", 4), ("teacher-layers", 0), ("heads", 8), ("kv-heads", 2), ("intermediate", 384),
                 ("vocab", 512), ("batch", 16), ("seq-len", 128), ("threads", 2), ("warmup", 2), ("runs", 9)):
        ap.add_argument("--" + n, type=int, default=v)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    teacher = random_llama(a, a.teacher_layers or a.layers, 2)
    student = random_llama(a, a.layers, 1)
    params = list(student.w.values())
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    x = torch.from_numpy(np.random.default_rng(1).integers(0, a.vocab, (a.batch, a.seq_len)))      # [B, T]
    labels = torch.cat([x[:, 1:], torch.full((a.batch, 1), -100)], dim=1).reshape(-1)

    def step():
        with torch.no_grad():
            t = teacher.forward(x).reshape(-1, a.vocab)                                             # [B*T, V]
        s = student.forward(x).reshape(-1, a.vocab)
        kd = F.kl_div(F.log_softmax(s, -1), F.log_softmax(t, -1), log_target=True, reduction="batchmean")
        with torch.no_grad():
            F.cross_entropy(s, labels, ignore_index=-100).item()                                    # logged, as distill does
        opt.zero_grad()
        kd.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return kd.item()

    for _ in range(a.warmup):
        step()
    times, cpu = [], []
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    s = statistics.median(times)
    print(json.dumps({"impl": f"torch {torch.__version__} ({a.threads} threads)", "batch": a.batch, "seq_len": a.seq_len,
                      "ms_per_step": round(s * 1e3, 3), "tokens_per_s": round(a.batch * a.seq_len / s, 3),
                      "cpu_s_per_step": round(statistics.median(cpu), 4)}))


if __name__ == "__main__":
    main()
