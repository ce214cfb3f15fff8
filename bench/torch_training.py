#!/usr/bin/python3
"""PyTorch's training throughput on the task of bench_training (docs/performance.md,
"Training"): an MLP 64 -> 4 x W -> 10 without biases, relu, cross-entropy, SGD (lr 0.01), batch
64, float32, ONE thread, with

  site: nn.Dropout(p) after every hidden activation (a fresh mask per sample, PyTorch's own);
  bond: per-sample DropConnect as PyTorch users write it: a full Bernoulli weight mask per
        sample and layer (torch.bernoulli of a B x out x in tensor), scaled by 1/(1 - p), and a
        batched matrix-vector product (torch.bmm).

Run pinned to one core with the BLAS single-threaded, as docs/performance.md states:
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 taskset -c 1 bench/torch_training.py
Prints one CSV row per configuration: model, W, samples_per_second.
"""
import argparse
import time

import torch

INPUTS, CLASSES, DEPTH, BATCH, P = 64, 10, 4, 64, 0.5


class SiteMlp(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        sizes = [INPUTS] + [width] * DEPTH + [CLASSES]
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b, bias=False) for a, b in zip(sizes, sizes[1:]))
        self.dropout = torch.nn.Dropout(P)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.dropout(torch.relu(layer(x)))
        return self.layers[-1](x)


class DropConnectMlp(SiteMlp):
    def forward(self, x):
        for k, layer in enumerate(self.layers):
            w = layer.weight
            mask = torch.bernoulli(torch.full((x.shape[0], *w.shape), 1 - P))
            x = torch.bmm(w.unsqueeze(0) * mask / (1 - P), x.unsqueeze(2)).squeeze(2)
            if k + 1 < len(self.layers):
                x = torch.relu(x)
        return x


def throughput(model, seconds):
    torch.manual_seed(1)
    x = torch.randn(8192, INPUTS)
    y = torch.randint(0, CLASSES, (8192,))
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(i):
        rows = slice((i * BATCH) % 8192, (i * BATCH) % 8192 + BATCH)
        optimiser.zero_grad()
        loss_fn(model(x[rows]), y[rows]).backward()
        optimiser.step()

    for i in range(3):  # warm-up
        step(i)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or steps < 3:
        step(steps)
        steps += 1
    return steps * BATCH / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per configuration")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("model,W,samples_per_second")
    for name, cls in (("site", SiteMlp), ("bond", DropConnectMlp)):
        for width in (32, 128, 512):
            print(f"{name},{width},{throughput(cls(width), args.seconds):.1f}", flush=True)


if __name__ == "__main__":
    main()
