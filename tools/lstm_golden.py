#!/usr/bin/python3
"""Writes the LSTM golden file the C# tests compare against (tests/Shardcast.Models.Tests/Golden/lstm_golden.json).

torch.nn.LSTM with fixed weights (2 stacked layers) on a small fixed input: the top layer's outputs, the final
states, and the gradients of loss = sum(outputs * R) for a fixed R with respect to every weight, bias and the
input. Run with Debian's python3-torch:  /usr/bin/python3 tools/lstm_golden.py
"""
import json
import pathlib
import torch

torch.manual_seed(20261121)
input_size, hidden, layers, steps, batch = 3, 5, 2, 7, 4
lstm = torch.nn.LSTM(input_size, hidden, num_layers=layers).double()
with torch.no_grad():
    for p in lstm.parameters():
        p.uniform_(-0.6, 0.6)
x = torch.randn(steps, batch, input_size, dtype=torch.float64, requires_grad=True)
r = torch.randn(steps, batch, hidden, dtype=torch.float64)
out, (h_n, c_n) = lstm(x)
loss = (out * r).sum()
loss.backward()

def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]

golden = {
    "input_size": input_size, "hidden": hidden, "layers": layers, "steps": steps, "batch": batch,
    "note": "time-major [steps, batch, features]; torch gate order i, f, g, o; weights row-major [4*hidden, in]",
    "x": flat(x), "r": flat(r), "output": flat(out), "h_n": flat(h_n), "c_n": flat(c_n), "loss": float(loss),
    "grad_x": flat(x.grad),
    "parameters": {name: flat(p) for name, p in lstm.named_parameters()},
    "gradients": {name: flat(p.grad) for name, p in lstm.named_parameters()},
}
path = pathlib.Path(__file__).resolve().parent.parent / "tests/Shardcast.Models.Tests/Golden/lstm_golden.json"
path.write_text(json.dumps(golden, indent=1) + "\n")
print(f"wrote {path} (torch {torch.__version__}, loss {float(loss):.6f})")
