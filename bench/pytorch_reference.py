#!/usr/bin/env python3
"""The PyTorch reference for bench/performance.sh's side-by-side pruning times (issue 23).

Wanda (Sun et al. 2023) and SparseGPT (Frantar & Alistarh 2023) at 50% unstructured sparsity on a llama2.c
checkpoint (stories15M), done the way the papers' reference code does it on a Llama (locuslab/wanda
lib/prune.py prune_wanda, IST-DASLab/sparsegpt llama.py llama_sequential), written here against the papers'
algorithms and the llama2.c file format, not copied:
  - the calibration windows go through the embedding, then block by block: every window through the dense block
    with forward hooks on its seven linear layers accumulating each input's statistics (Wanda: the running mean of
    ||X_j||^2 per input column; SparseGPT: H = (2/n) sum_t x_t x_t^T in float32), then each linear layer is
    pruned, then every window again through the pruned block, whose outputs are the next block's inputs;
  - Wanda: score |W_ij| * ||X_j||_2, the smallest half of each output row pruned;
  - SparseGPT: 1% dampening, H^-1's upper Cholesky factor, blocks of 128 columns, OBS updates (fasterprune).
One window at a time through a block, as both references do.

Seconds per stage, to set beside prune-report.json's secondsPerStage: calibration_forward (the block passes, hooks
excluded), statistics (the time inside the hooks), pruning_math; plus the whole prune and the process's wall time.
Writes one JSON object (--json) and prints it.

Runs on Debian's python3-torch (1.13, on the BLAS that Debian's alternatives select, OpenBLAS here):
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_reference.py --method wanda --threads 1 \
      --model ../shared/data/models/stories15M/stories15M.bin \
      --tokenizer ../shared/data/models/llama2-tokenizer-32k/tokenizer.bin \
      --calibration ../shared/data/text/tinystories/calibration.txt --samples 128 --window 256 --seed 0
The windows are drawn from the same text as the lab's, tokenized word by word with the llama2.c tokenizer's merges
(a story's words are merged within each word only, which leaves the token count and content realistic); they are
not the lab's windows token for token, so the masks are not compared, only the seconds.
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import time

PROCESS_START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402


def read_checkpoint(path):
    """A llama2.c checkpoint: its config header and float32 weights, as tensors [out, in] like nn.Linear's."""
    with open(path, "rb") as f:
        dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack("7i", f.read(28))
        data = np.frombuffer(f.read(), dtype=np.float32)
    shared = vocab > 0
    vocab = abs(vocab)
    head_size = dim // heads
    kv_dim = kv_heads * head_size
    at = 0

    def take(*shape):
        nonlocal at
        count = int(np.prod(shape))
        tensor = torch.from_numpy(data[at:at + count].copy()).reshape(shape)
        at += count
        return tensor

    weights = {"embedding": take(vocab, dim), "attention_norm": take(layers, dim), "wq": take(layers, dim, dim),
               "wk": take(layers, kv_dim, dim), "wv": take(layers, kv_dim, dim), "wo": take(layers, dim, dim),
               "ffn_norm": take(layers, dim), "w1": take(layers, hidden, dim), "w2": take(layers, dim, hidden),
               "w3": take(layers, hidden, dim)}
    config = {"dim": dim, "hidden": hidden, "layers": layers, "heads": heads, "kv_heads": kv_heads, "vocab": vocab,
              "shared": shared}
    return config, weights


class Block(torch.nn.Module):
    """One llama2.c decoder block: RMSNorm, attention with rotary positions on adjacent pairs, SwiGLU MLP."""

    def __init__(self, config, weights, layer):
        super().__init__()
        dim, hidden = config["dim"], config["hidden"]
        self.heads, self.kv_heads = config["heads"], config["kv_heads"]
        self.head_size = dim // self.heads

        def linear(name, out, inp):
            module = torch.nn.Linear(inp, out, bias=False)
            module.weight.data = weights[name][layer].clone()
            return module

        kv_dim = self.kv_heads * self.head_size
        self.wq, self.wk, self.wv = linear("wq", dim, dim), linear("wk", kv_dim, dim), linear("wv", kv_dim, dim)
        self.wo = linear("wo", dim, dim)
        self.w1, self.w2, self.w3 = linear("w1", hidden, dim), linear("w2", dim, hidden), linear("w3", hidden, dim)
        self.attention_norm = weights["attention_norm"][layer].clone()
        self.ffn_norm = weights["ffn_norm"][layer].clone()

    @staticmethod
    def rms(x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * weight

    def rotate(self, x, cos, sin):
        pairs = x.reshape(*x.shape[:-1], -1, 2)
        real, imaginary = pairs[..., 0], pairs[..., 1]
        return torch.stack((real * cos - imaginary * sin, real * sin + imaginary * cos), dim=-1).flatten(-2)

    def forward(self, x, cos, sin, mask):
        batch, tokens, _ = x.shape
        h = self.rms(x, self.attention_norm)
        q = self.wq(h).view(batch, tokens, self.heads, self.head_size)
        k = self.wk(h).view(batch, tokens, self.kv_heads, self.head_size)
        v = self.wv(h).view(batch, tokens, self.kv_heads, self.head_size)
        q, k = self.rotate(q, cos, sin), self.rotate(k, cos, sin)
        repeat = self.heads // self.kv_heads
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if repeat > 1:
            k, v = k.repeat_interleave(repeat, dim=1), v.repeat_interleave(repeat, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_size) + mask
        context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, tokens, -1)
        x = x + self.wo(context)
        h = self.rms(x, self.ffn_norm)
        return x + self.w2(torch.nn.functional.silu(self.w1(h)) * self.w3(h))


def read_vocabulary(path, size):
    with open(path, "rb") as f:
        f.read(4)  # the longest token's length
        pieces, scores = {}, {}
        for token in range(size):
            score, length = struct.unpack("fi", f.read(8))
            piece = f.read(length).decode("utf-8", errors="replace")
            pieces.setdefault(piece, token)
            scores[token] = score
    return pieces, scores


def encode_word(word, pieces, scores):
    """llama2.c's merges on one word: characters (or bytes + 3), then the best-scoring adjacent pair, repeatedly."""
    tokens = []
    for character in word:
        if character in pieces:
            tokens.append(pieces[character])
        else:
            tokens.extend(b + 3 for b in character.encode("utf-8"))
    while True:
        best, best_score = -1, -1e10
        for i in range(len(tokens) - 1):
            merged = piece_of(tokens[i], pieces) + piece_of(tokens[i + 1], pieces)
            token = pieces.get(merged)
            if token is not None and scores[token] > best_score:
                best, best_score = i, scores[token]
        if best < 0:
            return tokens
        merged = piece_of(tokens[best], pieces) + piece_of(tokens[best + 1], pieces)
        tokens[best:best + 2] = [pieces[merged]]


_INVERSE = {}


def piece_of(token, pieces):
    if not _INVERSE:
        _INVERSE.update({t: p for p, t in pieces.items()})
    return _INVERSE.get(token, "")


def calibration_windows(text_path, tokenizer_path, vocab, samples, window, seed):
    pieces, scores = read_vocabulary(tokenizer_path, vocab)
    cache = {}
    stream = []
    rng = random.Random(seed)
    with open(text_path, encoding="utf-8") as f:
        stories = [s.strip() for s in f.read().split("\n\n") if s.strip()]
    rng.shuffle(stories)
    for story in stories:
        stream.append(1)  # BOS
        for word in story.split():
            key = " " + word  # SentencePiece's dummy prefix: a word carries its leading space
            key = key.replace(" ", "\u2581") if "\u2581" in pieces and " " not in pieces else key
            if key not in cache:
                cache[key] = encode_word(key, pieces, scores)
            stream.extend(cache[key])
        if len(stream) > samples * window * 2:
            break
    starts = [rng.randrange(0, len(stream) - window) for _ in range(samples)]
    return torch.tensor([stream[s:s + window] for s in starts], dtype=torch.long)


class Timer:
    def __init__(self):
        self.seconds = {"calibration_forward": 0.0, "statistics": 0.0, "pruning_math": 0.0}


def prune_wanda(weight, norm_squared, sparsity):
    metric = weight.abs() * torch.sqrt(norm_squared.reshape(1, -1))
    _, indices = torch.sort(metric, dim=-1, stable=True)
    prune = indices[:, :int(weight.shape[1] * sparsity)]
    mask = torch.zeros_like(weight, dtype=torch.bool).scatter_(1, prune, True)
    weight[mask] = 0


def prune_sparsegpt(weight, hessian, sparsity, block_size=128, damp_fraction=0.01):
    W = weight.clone().float()
    H = hessian
    columns = W.shape[1]
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    damp = damp_fraction * torch.mean(torch.diag(H))
    H[range(columns), range(columns)] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    Hinv = torch.linalg.cholesky(H, upper=True)
    for i1 in range(0, columns, block_size):
        i2 = min(i1 + block_size, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        score = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
        threshold = torch.sort(score.flatten())[0][int(score.numel() * sparsity)]
        mask1 = score <= threshold
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            q = w.clone()
            q[mask1[:, i]] = 0
            Q1[:, i] = q
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        W[:, i1:i2] = Q1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    weight.copy_(W)


def blas_library():
    """The BLAS Debian's torch calls (BLAS_INFO=generic: libblas.so.3, chosen by update-alternatives)."""
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    return os.path.realpath(link) if os.path.exists(link) else "unknown"


LINEARS = ("wq", "wk", "wv", "wo", "w1", "w3", "w2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--method", choices=("wanda", "sparsegpt"), required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--calibration", required=True)
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads; 0 = torch's default")
    parser.add_argument("--json", help="write the result here as well")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    config, weights = read_checkpoint(args.model)
    windows = calibration_windows(args.calibration, args.tokenizer, config["vocab"], args.samples, args.window,
                                  args.seed)
    head_size = config["dim"] // config["heads"]
    frequencies = 1.0 / (10000.0 ** (torch.arange(0, head_size, 2).float() / head_size))
    angles = torch.outer(torch.arange(args.window).float(), frequencies)
    cos, sin = torch.cos(angles).view(1, args.window, 1, -1), torch.sin(angles).view(1, args.window, 1, -1)
    mask = torch.full((args.window, args.window), float("-inf")).triu(1)
    timer = Timer()

    start = time.perf_counter()
    with torch.no_grad():
        begin = time.perf_counter()
        inputs = [weights["embedding"][windows[j]].unsqueeze(0) for j in range(args.samples)]
        timer.seconds["calibration_forward"] += time.perf_counter() - begin
        zeros = total = 0
        for layer in range(config["layers"]):
            block = Block(config, weights, layer)
            statistics = {}

            def hook(name):
                def accumulate(module, inp, out):
                    begin = time.perf_counter()
                    x = inp[0].reshape(-1, inp[0].shape[-1]).float()
                    tokens = x.shape[0]
                    s = statistics.setdefault(name, {"n": 0})
                    if args.method == "wanda":
                        if "norm" not in s:
                            s["norm"] = torch.zeros(x.shape[1])
                        s["norm"] *= s["n"] / (s["n"] + tokens)
                        s["n"] += tokens
                        s["norm"] += torch.norm(x, p=2, dim=0) ** 2 / s["n"]
                    else:
                        if "H" not in s:
                            s["H"] = torch.zeros(x.shape[1], x.shape[1])
                        s["H"] *= s["n"] / (s["n"] + tokens)
                        s["n"] += tokens
                        x = math.sqrt(2 / s["n"]) * x
                        s["H"] += x.t().matmul(x)
                    timer.seconds["statistics"] += time.perf_counter() - begin
                return accumulate

            handles = [getattr(block, name).register_forward_hook(hook(name)) for name in LINEARS]
            begin = time.perf_counter()
            hook_before = timer.seconds["statistics"]
            for j in range(args.samples):
                block(inputs[j], cos, sin, mask)
            timer.seconds["calibration_forward"] += (time.perf_counter() - begin
                                                     - (timer.seconds["statistics"] - hook_before))
            for handle in handles:
                handle.remove()
            begin = time.perf_counter()
            for name in LINEARS:
                weight = getattr(block, name).weight.data
                if args.method == "wanda":
                    prune_wanda(weight, statistics[name]["norm"], args.sparsity)
                else:
                    prune_sparsegpt(weight, statistics[name]["H"], args.sparsity)
                zeros += int((weight == 0).sum())
                total += weight.numel()
            timer.seconds["pruning_math"] += time.perf_counter() - begin
            begin = time.perf_counter()
            inputs = [block(inputs[j], cos, sin, mask) for j in range(args.samples)]
            timer.seconds["calibration_forward"] += time.perf_counter() - begin
    prune_seconds = time.perf_counter() - start
    result = {"schema": "prunelab.pytorch-reference/1", "method": args.method, "sparsity": args.sparsity,
              "samples": args.samples, "window": args.window, "seed": args.seed, "threads": torch.get_num_threads(),
              "torch": torch.__version__, "secondsPerStage": {k: round(v, 3) for k, v in timer.seconds.items()},
              "pruneSeconds": round(prune_seconds, 3), "processSeconds": round(time.perf_counter() - PROCESS_START, 3),
              "achievedSparsity": zeros / total, "blas": blas_library(),
              "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS")}
    text = json.dumps(result)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
