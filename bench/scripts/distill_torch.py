#!/usr/bin/python3
"""PyTorch reference for prune4j's `distill` recipe (Debian python3-torch 1.13, CPU): the same models (config.json +
model.safetensors read with numpy through torch_forward.py's eager Llama), the same token ids (a JSON array written by
`./prune4j tokenize`), the same batches and the same update rule, so the two loss curves can be compared step by step.

Recipe, as prune4j's distill defines it:
  batch b = windows [bB, (b+1)B) of seq-len tokens, in order, wrapping around (--data-sampling first);
  loss = alpha * KL(p_T || p_S) * T^2 (mean over every position: kl_div(..., reduction='batchmean') on [B*T, V])
         + (1 - alpha) * next-token CE (labels = input_ids, as Hugging Face);   --loss reverse-kl swaps p_S and p_T;
  torch.optim.AdamW(lr, betas, eps, weight_decay on matrices only), constant rate, clip_grad_norm_(clip).

  distill_torch.py --teacher DIR --student DIR --tokens ids.json --seq-len 128 --batch 8 --steps 50 --lr 1e-3 \
                   [--temperature 1 --alpha 1 --loss kl|reverse-kl|ce --clip 1.0 --weight-decay 0 --threads 2]
Prints one JSON line per step ({"step","loss","kd","ce","seconds"}) and a summary line with tokens/s.
"""
import argparse, json, os, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_forward import load  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--student", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--loss", default="kl", choices=["kl", "reverse-kl", "ce"])
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    teacher, student = load(a.teacher), load(a.student)
    with open(a.tokens) as f:
        ids = torch.tensor(json.load(f), dtype=torch.int64)
    windows = ids.numel() // a.seq_len
    params = []
    for name, p in student.w.items():
        p.requires_grad_(True)
        params.append((name, p))
    groups = [{"params": [p for _, p in params if p.dim() >= 2], "weight_decay": a.weight_decay},
              {"params": [p for _, p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    tau = a.temperature
    t0 = time.perf_counter()
    for step in range(a.steps):
        idx = [(step * a.batch + i) % windows for i in range(a.batch)]
        x = torch.stack([ids[j * a.seq_len:(j + 1) * a.seq_len] for j in idx])       # [B, T]
        v = student.cfg["vocab_size"]
        s = student.forward(x).reshape(-1, v)                                           # [B*T, V]
        labels = torch.cat([x[:, 1:], torch.full((x.shape[0], 1), -100)], dim=1).reshape(-1)
        ce = F.cross_entropy(s, labels, ignore_index=-100)
        out = {"step": step + 1}
        if a.loss == "ce":
            loss = ce
        else:
            with torch.no_grad():
                t = teacher.forward(x).reshape(-1, v)
            ls, lt = F.log_softmax(s / tau, -1), F.log_softmax(t / tau, -1)
            if a.loss == "kl":
                kd = F.kl_div(ls, lt, log_target=True, reduction="batchmean") * tau * tau
            else:
                kd = F.kl_div(lt, ls, log_target=True, reduction="batchmean") * tau * tau
            loss = a.alpha * kd + (1 - a.alpha) * ce if a.alpha < 1 else kd
            out["kd"] = kd.item()
        out["ce"] = ce.item()
        opt.zero_grad()
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_([p for _, p in params], a.clip)
        opt.step()
        out["loss"] = loss.item()
        out["seconds"] = time.perf_counter() - t0
        print(json.dumps(out), flush=True)
    secs = time.perf_counter() - t0
    print(json.dumps({"steps": a.steps, "tokens": a.steps * a.batch * a.seq_len, "seconds": secs,
                      "tokens_per_s": a.steps * a.batch * a.seq_len / secs}))


if __name__ == "__main__":
    main()
