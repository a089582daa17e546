#!/usr/bin/python3
"""Writes the LSTM golden files the C# tests compare against (tests/Shardcast.Models.Tests/Golden/).

torch.nn.LSTM with fixed weights on a fixed input: the top layer's outputs, the final states, and the gradients of
loss = sum(outputs * R) for a fixed R with respect to every weight, bias and the input. Two shapes:
- lstm_golden.json: tiny (input 3, hidden 5, 2 stacked layers, 7 steps, batch 4), every number easy to print;
- lstm_golden_realistic.json: the served model's shape (input 8 features, hidden 64, 1 layer) over 48 steps of a
  batch of 3, where float32 error accumulates over a long recurrence as it does in training (values written to 10
  significant digits; the tests compare at 1e-4).
Run with Debian's python3-torch:  /usr/bin/python3 tools/lstm_golden.py
"""
import json
import pathlib
import torch

golden_dir = pathlib.Path(__file__).resolve().parent.parent / "tests/Shardcast.Models.Tests/Golden"


def write(name, seed, input_size, hidden, layers, steps, batch, weight_range, digits, indent):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_size, hidden, num_layers=layers).double()
    with torch.no_grad():
        for p in lstm.parameters():
            p.uniform_(-weight_range, weight_range)
    x = torch.randn(steps, batch, input_size, dtype=torch.float64, requires_grad=True)
    r = torch.randn(steps, batch, hidden, dtype=torch.float64)
    out, (h_n, c_n) = lstm(x)
    loss = (out * r).sum()
    loss.backward()

    def flat(t):
        values = t.detach().reshape(-1).tolist()
        return [float(v) if digits is None else float(f"{v:.{digits}g}") for v in values]

    golden = {
        "input_size": input_size, "hidden": hidden, "layers": layers, "steps": steps, "batch": batch,
        "note": "time-major [steps, batch, features]; torch gate order i, f, g, o; weights row-major [4*hidden, in]",
        "x": flat(x), "r": flat(r), "output": flat(out), "h_n": flat(h_n), "c_n": flat(c_n), "loss": float(loss),
        "grad_x": flat(x.grad),
        "parameters": {n: flat(p) for n, p in lstm.named_parameters()},
        "gradients": {n: flat(p.grad) for n, p in lstm.named_parameters()},
    }
    path = golden_dir / name
    path.write_text(json.dumps(golden, indent=indent) + "\n")
    print(f"wrote {path} (torch {torch.__version__}, loss {float(loss):.6f})")


write("lstm_golden.json", 20261121, 3, 5, 2, 7, 4, 0.6, None, 1)
# Weights in PyTorch's own initial range for hidden 64 (1/sqrt(64)), so the gates neither saturate nor vanish.
write("lstm_golden_realistic.json", 20261207, 8, 64, 1, 48, 3, 0.125, 10, None)
