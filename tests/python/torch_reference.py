#!/usr/bin/python3
"""Recomputes, with PyTorch, the forward pass, loss and gradients that dropperc computed for the
cases in an HDF5 file written by test_mlp (Mlp.AgreesWithPyTorch), using the very same dropout
masks, and compares them in float32.

Each group /case_<n> holds: attributes activation, bias (0/1), loss ("mse"/"cross_entropy");
x (B x W_in); labels (B) or targets (B x W_out); weights/<k> (W_{k+1} x W_k) and biases/<k> (W_{k+1} x 1);
unit_masks/<k> (B x W_k: the multiplier of the input of gap k, including inverted scaling);
edge_masks/<k> ((B W_{k+1}) x W_k: per-sample weight multipliers); attribute residual (S, 0 for
none) and skip_masks/<b> (B x width: the multipliers of the skips from layer b S to (b + 1) S,
which add the masked value of layer b S to the pre-activation of layer (b + 1) S); and
dropperc's results output (B x W_out), loss (scalar), grad_weights/<k>, grad_biases/<k>.

Agreement: every entry within 1e-5 times the largest magnitude of its tensor (float32
accumulation orders differ between the two). Exit status 0 agree, 1 disagree, 77 no torch.
"""
import sys

try:
    import h5py
    import numpy as np
    import torch
except ImportError as error:
    print(f"torch_reference: {error}", file=sys.stderr)
    sys.exit(77)

TOLERANCE = 1e-5


def forward(case, weights, biases):
    activation = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda z: z}[
        case.attrs["activation"]]
    h = torch.from_numpy(case["x"][:])
    gaps = len(weights)
    step = int(case.attrs["residual"])
    masked = []  # the value of every layer after its dropout
    for k in range(gaps):
        h = h * torch.from_numpy(case[f"unit_masks/{k}"][:])
        masked.append(h)
        edge = torch.from_numpy(case[f"edge_masks/{k}"][:]).reshape(h.shape[0], *weights[k].shape)
        z = torch.einsum("boi,bi->bo", weights[k].unsqueeze(0) * edge, h)
        if case.attrs["bias"]:
            z = z + biases[k]
        if step and (k + 1) % step == 0:
            skip = torch.from_numpy(case[f"skip_masks/{(k + 1) // step - 1}"][:])
            width = skip.shape[1]
            tail = masked[k + 1 - step][:, :width]
            z = torch.cat([z[:, :width] + skip * tail, z[:, width:]], dim=1)
        h = activation(z) if k + 1 < gaps else z
    return h


def compare(name, ours, theirs):
    theirs = np.asarray(theirs, dtype=np.float32)
    scale = max(float(np.abs(theirs).max()), 1e-30)
    error = float(np.abs(np.asarray(ours, dtype=np.float32) - theirs).max()) / scale
    if error > TOLERANCE:
        print(f"  {name}: relative difference {error:.3g} > {TOLERANCE}")
        return False
    return True


def check(name, case):
    gaps = len(case["weights"])
    weights = [torch.tensor(case[f"weights/{k}"][:], requires_grad=True) for k in range(gaps)]
    biases = [torch.tensor(case[f"biases/{k}"][:].reshape(-1), requires_grad=True)
              for k in range(gaps)]
    output = forward(case, weights, biases)
    if case.attrs["loss"] == "cross_entropy":
        loss = torch.nn.functional.cross_entropy(output, torch.from_numpy(case["labels"][:]))
    else:
        loss = torch.nn.functional.mse_loss(output, torch.from_numpy(case["targets"][:]))
    loss.backward()
    ok = compare("output", case["output"][:], output.detach().numpy())
    ok &= compare("loss", case["loss"][()], loss.item())
    for k in range(gaps):
        ok &= compare(f"grad weights {k}", case[f"grad_weights/{k}"][:], weights[k].grad.numpy())
        if case.attrs["bias"]:
            ok &= compare(f"grad biases {k}", case[f"grad_biases/{k}"][:].reshape(-1),
                          biases[k].grad.numpy())
    print(f"{name}: {'agrees' if ok else 'DIFFERS'}")
    return ok


def main():
    torch.set_num_threads(1)
    with h5py.File(sys.argv[1]) as f:
        results = [check(name, f[name]) for name in sorted(f)]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
