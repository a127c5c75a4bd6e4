#!/usr/bin/python3
"""PyTorch eager timings of the two training steps that qkv-bench times (train_step_ms).

A benchmark aid, not a dependency: no test runs it. It needs Debian's python3-torch
(apt-get install python3-torch) and runs on 2 threads, like qkv-bench on the 2-core machine:

    /usr/bin/python3 bench/torch_reference.py [--threads 2] [--steps 20] [--json FILE]

The models have the same sizes as qkv's (bench/train_steps.cpp): the same embeddings, layers,
heads and losses, built from torch.nn's standard blocks, trained with AdamW. Each figure is the
median wall time of one full step (zero_grad, forward, loss, backward, optimizer step) over
--steps steps after 3 warm-up steps.

Peak memory is measured as qkv-bench measures its own (train_peak_rss_mb): Linux's high-water
mark of resident memory (VmHWM in /proc/self/status), reset by writing 5 to
/proc/self/clear_refs just before the model is built (after a garbage collection and malloc_trim,
as qkv-bench hands back malloc's spare memory), read after its last step. The figure is
the whole process's, so it includes the interpreter and PyTorch's libraries (reported apart as
the resident memory before the model, `train_rss_before_mb`).
"""
import argparse
import ctypes
import gc
import json
import math
import os
import statistics
import sys
import time

# BLAS (OpenBLAS when it is Debian's libblas.so.3) starts its own threads; give it the same
# count as PyTorch's, or the two pools together ask for twice the cores there are.
for flag, value in zip(sys.argv, sys.argv[1:]):
    if flag == "--threads":
        os.environ.setdefault("OPENBLAS_NUM_THREADS", value)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import torch  # noqa: E402  (after the environment is set)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

VOCAB, D, HEADS, FFN, DROPOUT = 1000, 128, 4, 512, 0.1


class TinyBert(nn.Module):
    """BERT pre-training: token + position + segment embeddings, post-LN encoder layers with
    GELU, an MLM head (dense, GELU, LayerNorm, decoder tied to the token embedding) and an NSP
    head on the pooled [CLS] vector."""

    def __init__(self, layers=2, max_len=64):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.pos = nn.Embedding(max_len, D)
        self.seg = nn.Embedding(2, D)
        self.emb_norm = nn.LayerNorm(D, eps=1e-12)
        self.drop = nn.Dropout(DROPOUT)
        layer = nn.TransformerEncoderLayer(D, HEADS, FFN, DROPOUT, activation="gelu", batch_first=True,
                                           layer_norm_eps=1e-12)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.mlm_dense = nn.Linear(D, D)
        self.mlm_norm = nn.LayerNorm(D, eps=1e-12)
        self.mlm_bias = nn.Parameter(torch.zeros(VOCAB))
        self.pooler = nn.Linear(D, D)
        self.nsp = nn.Linear(D, 2)

    def forward(self, ids, segments, pad_mask):
        T = ids.shape[1]
        pos = torch.arange(T, device=ids.device)
        h = self.drop(self.emb_norm(self.tok(ids) + self.pos(pos) + self.seg(segments)))
        h = self.encoder(h, src_key_padding_mask=pad_mask)                 # (B, T, D)
        m = self.mlm_norm(F.gelu(self.mlm_dense(h)))
        mlm_logits = m @ self.tok.weight.t() + self.mlm_bias               # (B, T, V)
        nsp_logits = self.nsp(torch.tanh(self.pooler(h[:, 0])))            # (B, 2)
        return mlm_logits, nsp_logits


class Seq2Seq(nn.Module):
    """The encoder-decoder transformer: scaled embeddings plus sinusoidal positions, post-LN
    layers with ReLU, a causal target mask, and an output projection to the vocabulary."""

    def __init__(self, layers=2, max_len=64):
        super().__init__()
        self.src_emb = nn.Embedding(VOCAB, D)
        self.tgt_emb = nn.Embedding(VOCAB, D)
        pe = torch.zeros(max_len, D)
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, D, 2) * (-math.log(10000.0) / D))
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)
        self.register_buffer("pe", pe)
        self.drop = nn.Dropout(DROPOUT)
        self.core = nn.Transformer(D, HEADS, layers, layers, FFN, DROPOUT, batch_first=True)
        self.out = nn.Linear(D, VOCAB)

    def embed(self, emb, ids):
        return self.drop(emb(ids) * math.sqrt(D) + self.pe[: ids.shape[1]])

    def forward(self, src, tgt):
        T = tgt.shape[1]
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        h = self.core(self.embed(self.src_emb, src), self.embed(self.tgt_emb, tgt), tgt_mask=causal)
        return self.out(h)                                                  # (B, T, V)


def time_steps(step, steps):
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def bench_tiny_bert(steps):
    B, T = 32, 64
    model = TinyBert()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, VOCAB, (B, T))
    segments = (torch.arange(T) >= T // 2).long().expand(B, T)
    pad = torch.zeros(B, T, dtype=torch.bool)
    mlm_targets = torch.randint(0, VOCAB, (B, T))
    nsp_targets = torch.randint(0, 2, (B,))

    def step():
        opt.zero_grad()
        mlm, nsp = model(ids, segments, pad)
        loss = F.cross_entropy(mlm.reshape(-1, VOCAB), mlm_targets.reshape(-1)) + F.cross_entropy(nsp, nsp_targets)
        loss.backward()
        opt.step()

    return time_steps(step, steps)


def bench_transformer(steps):
    B, T = 64, 32
    model = Seq2Seq()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    src = torch.randint(0, VOCAB, (B, T))
    tgt_in = torch.randint(0, VOCAB, (B, T))
    tgt_out = torch.randint(0, VOCAB, (B, T))

    def step():
        opt.zero_grad()
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt_out.reshape(-1))
        loss.backward()
        opt.step()

    return time_steps(step, steps)


def proc_status_mb(key):
    """A /proc/self/status figure (kB there) in MB; 0 where there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def hand_back_spare_memory():
    """Asks glibc's malloc to return its free memory to the system (malloc_trim), as qkv-bench
    does before each measured part; nothing where there is no glibc."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_rss_of(bench, steps):
    """(median ms per step, peak resident MB while the model was built and trained, resident MB
    before)."""
    gc.collect()
    hand_back_spare_memory()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS
    except OSError:
        pass
    before = proc_status_mb("VmRSS:")
    ms = bench(steps)
    return ms, proc_status_mb("VmHWM:"), before


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    runs = {"tiny_bert": peak_rss_of(bench_tiny_bert, args.steps),
            "transformer": peak_rss_of(bench_transformer, args.steps)}
    result = {
        "torch_version": torch.__version__,
        "threads": args.threads,
        "train_step_ms": {name: run[0] for name, run in runs.items()},
        "train_peak_rss_mb": {name: run[1] for name, run in runs.items()},
        "train_rss_before_mb": {name: run[2] for name, run in runs.items()},
    }
    for name, (ms, peak, before) in runs.items():
        print(f"{name:12s} {ms:8.2f} ms/step  peak {peak:7.1f} MB resident ({before:.1f} MB before the model)"
              f"  (PyTorch {torch.__version__}, {args.threads} threads)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
