#!/usr/bin/python3
"""PyTorch reference for prune4j's gradient criteria: LLM-Pruner's Taylor importance and Michel et al.'s head importance,
computed with torch autograd on the Llama of torch_forward.py, from the formulas of the authors' code:

  taylor (LLM-Pruner hf_llama_pruner.TaylorImportance): salience = W * W.grad (first, vectorize), W * acc_grad * W (second),
    W * W.grad - 0.5 * W * acc_grad * W (mix), with W.grad the gradient of the mean loss over all windows and
    acc_grad = sum_j g_j^2 / n over per-window gradients; per matrix and channel: salience.abs().sum(dim) (param_*) or
    salience.sum(dim).abs() (vectorize); stacked over the unit's matrices and reduced (sum, mean, max, prod, first); summed
    over the head_dim consecutive channels of a head.
  michel (Michel et al. 2019, bertology's compute_heads_importance): sum over batches of |dL_batch/dxi|, then each layer
    divided by its L2 norm.

  torch_taylor.py --model DIR --windows ids.json --seq-len L --samples N --batch B [--taylor first] [--group-agg sum] --out scores.json
  torch_taylor.py --random-ids ids.json --vocab V --count N      # a random token stream for a synthetic model

ids.json is the token stream (prune4j tokenize); windows are its first N non-overlapping windows of L tokens.
Prints one JSON line: seconds and tokens of each pass (taylor: gradients and unit scores; michel: head-mask gradients).
"""
import argparse, json, os, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import load  # noqa: E402


def loss_of(m, toks, head_mask=None):
    logits = m.forward(toks, head_mask)
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), toks[:, 1:].reshape(-1))


def gradients(m, windows, batch, fisher):
    """(grad, acc_grad or None): grad of the mean loss over all windows; acc_grad = sum_j g_j^2 / n (per-window g_j)."""
    params = {n: t for n, t in m.w.items()}
    for t in params.values():
        t.requires_grad_(True)
        t.grad = None
    n = windows.shape[0]
    acc = None
    if fisher:
        acc = {k: torch.zeros_like(v) for k, v in params.items()}
        grad = {k: torch.zeros_like(v) for k, v in params.items()}
        for j in range(n):
            loss_of(m, windows[j:j + 1]).backward()
            for k, v in params.items():
                if v.grad is not None:
                    acc[k] += v.grad * v.grad / n
                    grad[k] += v.grad / n
                    v.grad = None
    else:
        for s in range(0, n, batch):
            b = windows[s:s + batch]
            (loss_of(m, b) * (b.shape[0] / n)).backward()
        grad = {k: (v.grad if v.grad is not None else torch.zeros_like(v)) for k, v in params.items()}
    for t in params.values():
        t.requires_grad_(False)
        t.grad = None
    return grad, acc


def taylor_scores(m, grad, acc, variant, agg):
    w = m.w

    def sal(name):
        s = w[name] * grad[name]
        if variant == "second":
            s = w[name] * acc[name] * w[name]
        elif variant == "mix":
            s = s - 0.5 * w[name] * acc[name] * w[name]
        return s

    def local(name, dim):  # dim 1: per row (out channel), 0: per column (in channel); None: a vector
        s = sal(name)
        if s.dim() == 1:
            return s.abs()
        return s.sum(dim).abs() if variant == "vectorize" else s.abs().sum(dim)

    def reduce(stack):
        g = torch.stack(stack, 0)
        return {"sum": lambda: g.sum(0), "mean": lambda: g.mean(0), "max": lambda: g.max(0)[0],
                "prod": lambda: torch.prod(g, 0), "first": lambda: g[0]}[agg]()

    L, H, Hkv, D = m.layers, m.h, m.hkv, m.d
    out = {"head": [], "kv_group": [], "neuron": []}
    for i in range(L):
        p = f"model.layers.{i}."
        q, k, v, o = (p + "self_attn." + x + "_proj.weight" for x in "qkvo")
        mats = [local(q, 1)] + ([local(k, 1), local(v, 1)] if H == Hkv else []) + [local(o, 0)]
        out["head"].append(reduce(mats).view(H, D).sum(1).tolist())
        per = H // Hkv
        qg = local(q, 1).view(Hkv, per, D).sum(1).reshape(-1)         # query head h -> group h // per
        og = local(o, 0).view(Hkv, per, D).sum(1).reshape(-1)
        out["kv_group"].append(reduce([local(k, 1), local(v, 1), qg, og]).view(Hkv, D).sum(1).tolist())
        out["neuron"].append(reduce([local(p + "mlp.gate_proj.weight", 1), local(p + "mlp.up_proj.weight", 1),
                                     local(p + "mlp.down_proj.weight", 0)]).tolist())
    ch = [local("model.embed_tokens.weight", 0)]
    for i in range(L):
        p = f"model.layers.{i}."
        ch.append(local(p + "input_layernorm.weight", None))
        ch += [local(p + "self_attn." + x + "_proj.weight", 0) for x in "qkv"]
        ch.append(local(p + "self_attn.o_proj.weight", 1))
        ch.append(local(p + "post_attention_layernorm.weight", None))
        ch += [local(p + "mlp." + x + "_proj.weight", 0) for x in ("gate", "up")]
        ch.append(local(p + "mlp.down_proj.weight", 1))
    ch.append(local("model.norm.weight", None))
    if "lm_head.weight" in w:
        ch.append(local("lm_head.weight", 0))
    out["channel"] = [reduce(ch).tolist()]
    return out


def michel_scores(m, windows, batch):
    xi = torch.ones(m.layers, m.h, requires_grad=True)
    imp = torch.zeros(m.layers, m.h)
    for s in range(0, windows.shape[0], batch):
        loss_of(m, windows[s:s + batch], xi).backward()
        imp += xi.grad.abs()
        xi.grad = None
    norm = imp.pow(2).sum(-1).sqrt()
    return {"head": (imp / norm[:, None]).tolist()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--windows")
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--taylor", default="first", choices=["first", "vectorize", "second", "mix"])
    ap.add_argument("--group-agg", default="sum", choices=["sum", "mean", "max", "prod", "first"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    ap.add_argument("--random-ids")
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--count", type=int)
    a = ap.parse_args()
    if a.random_ids:
        g = torch.Generator().manual_seed(1)
        with open(a.random_ids, "w") as f:
            json.dump(torch.randint(0, a.vocab, (a.count,), generator=g).tolist(), f)
        return
    if not a.model or not a.windows:
        ap.error("give --model DIR and --windows ids.json (or --random-ids FILE --vocab V --count N)")
    torch.set_num_threads(a.threads)
    with open(a.windows) as f:
        ids = json.load(f)
    need = a.samples * a.seq_len
    if len(ids) < need:
        raise SystemExit(f"{a.windows}: {len(ids)} tokens, fewer than {a.samples} windows of {a.seq_len}")
    windows = torch.tensor(ids[:need], dtype=torch.int64).view(a.samples, a.seq_len)
    m = load(a.model)
    t0 = time.perf_counter()
    grad, acc = gradients(m, windows, a.batch, a.taylor in ("second", "mix"))
    taylor = taylor_scores(m, grad, acc, a.taylor, a.group_agg)
    t_taylor = time.perf_counter() - t0
    t0 = time.perf_counter()
    michel = michel_scores(m, windows, a.batch)
    t_michel = time.perf_counter() - t0
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"taylor": taylor, "michel": michel}, f)
    print(json.dumps({"impl": f"torch {torch.__version__} ({a.threads} threads)", "tokens": need, "taylor_seconds": round(t_taylor, 4),
                      "michel_seconds": round(t_michel, 4), "taylor_us_per_token": round(1e6 * t_taylor / need, 3)}))


if __name__ == "__main__":
    main()
