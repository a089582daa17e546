#!/usr/bin/python3
"""A Python client for Shardcast's socket protocol (docs/protocol.md).

It needs the msgpack module: on Debian, `apt-get install python3-msgpack` (for /usr/bin/python3); elsewhere
`pip install msgpack`. Being a MessagePack implementation nobody on this project wrote, it also checks the server
against the specification.

    from shardcast_client import ShardcastClient, float32_bin
    with ShardcastClient("127.0.0.1", 7411) as client:
        print(client.call("capabilities", {})["ops"])

`/usr/bin/python3 examples/python/shardcast_client.py --port 7411 selftest` drives every operation against a running
`shardcast serve` and checks the answers.
"""
import argparse
import array
import socket
import struct
import sys

try:
    import msgpack
except ModuleNotFoundError:
    sys.exit(f"{sys.executable} has no msgpack module: on Debian, apt-get install python3-msgpack and run "
             "/usr/bin/python3; elsewhere, pip install msgpack")

VERSION = 1


class ShardcastError(Exception):
    """An error answer: the server's stable code, its message, and the body where one came with it."""

    def __init__(self, code, message, body=None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.body = code, message, body


class ShardcastClient:
    """Length-prefixed MessagePack frames over TCP; `call` waits for one answer, `call_many` pipelines."""

    def __init__(self, host="127.0.0.1", port=7411, token=None, timeout=120):
        self._socket = socket.create_connection((host, port), timeout=timeout)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._token = token
        self._next_id = 0
        self._unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
        self._buffer = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._socket.close()

    def call(self, op, body=None):
        return self.call_many([(op, body or {})])[0]

    def call_many(self, calls, raise_errors=True):
        """Sends every (op, body) before reading any answer; returns bodies (or ShardcastErrors) in call order."""
        ids = []
        frames = []
        for op, body in calls:
            self._next_id += 1
            request = {"v": VERSION, "id": self._next_id, "op": op, "body": body}
            if self._token is not None:
                request["token"] = self._token
            frames.append(frame(request))
            ids.append(self._next_id)
        self._socket.sendall(b"".join(frames))
        answers = {}
        while len(answers) < len(ids):
            response = self._read_frame()
            answers[response.get("id")] = response
        results = []
        for i in ids:
            response = answers[i]
            if response["ok"]:
                results.append(response["body"])
            else:
                error = ShardcastError(response["error"]["code"], response["error"]["message"], response.get("body"))
                if raise_errors:
                    raise error
                results.append(error)
        return results

    def _read_exactly(self, count):
        while len(self._buffer) < count:
            chunk = self._socket.recv(max(65536, count - len(self._buffer)))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _read_frame(self):
        (length,) = struct.unpack(">I", self._read_exactly(4))
        return msgpack.unpackb(self._read_exactly(length), raw=False, strict_map_key=False)


def frame(value):
    payload = msgpack.packb(value, use_bin_type=True)
    return struct.pack(">I", len(payload)) + payload


def float32_bin(values):
    """Numbers as bin of little-endian float32, the protocol's compact array form (a NumPy array's .astype('<f4').tobytes() is the same)."""
    data = array.array("f", values)
    if sys.byteorder != "little":
        data.byteswap()
    return data.tobytes()


def from_float32_bin(data):
    values = array.array("f")
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return list(values)


def small_cluster():
    """Three nodes, six partitions, all on node a: a plan must move some of them."""
    return {
        "resources": ["cpu"],
        "horizon": {"steps": 2, "step_seconds": 300},
        "nodes": [{"id": n, "capacity": [10], "zone": z} for n, z in (("a", "z1"), ("b", "z2"), ("c", "z1"))],
        "partitions": [{"id": f"p{i}", "node": "a", "size_bytes": 1e6, "load": float32_bin([2 + i * 0.1, 2.5])} for i in range(6)],
        "search": {"time_ms": 200},
    }


def selftest(client):
    checks = []

    def check(name, condition):
        checks.append((name, bool(condition)))
        print(f"{'ok  ' if condition else 'FAIL'} {name}")

    caps = client.call("capabilities")
    check("capabilities lists every op", set(caps["ops"]) >= {"capabilities", "ingest", "forecast", "plan", "evaluate", "route"})
    check("capabilities names the LSTM's horizon", caps["models"]["lstm"]["horizon"] == 12)

    day = [50 + 20 * ((t % 24) / 24.0) for t in range(24 * 6)]
    ingest = client.call("ingest", {"series": [{"id": "py/cpu", "step_seconds": 3600, "end": 1700000000, "values": float32_bin(day)}]})
    check("ingest stores the series", ingest["series"][0]["length"] == len(day))

    by_id = client.call("forecast", {"series": [{"id": "py/cpu"}], "horizon": 4, "model": "snaive"})
    median = by_id["forecasts"][0]["values"][1]
    check("forecast by id continues the daily cycle", all(abs(m - day[-24 + h]) < 1e-3 for h, m in enumerate(median)))
    inline = client.call("forecast", {"series": [{"values": day, "step_seconds": 3600}], "horizon": 12, "quantiles": [0.1, 0.9], "binary": True})
    values = from_float32_bin(inline["forecasts"][0]["values"])
    check("forecast inline answers float32 bin, low below high", len(values) == 24 and all(values[h] <= values[12 + h] for h in range(12)))

    plan = client.call("plan", dict(small_cluster(), record_route=True))
    check("plan answers the plan file's fields", {"feasible", "moves", "cost_after", "nodes"} <= set(plan))
    check("plan moves partitions off the full node", plan["feasible"] and len(plan["moves"]) > 0)

    route = client.call("route", {"since": 0})
    check("route follows the applied plan", {e["partition"]: e["node"] for e in route["entries"]} == {p: n for p, n in route_after(plan)})

    assignment = {e["partition"]: e["node"] for e in route["entries"]}
    evaluation = client.call("evaluate", dict(small_cluster(), assignment=assignment))
    check("evaluate costs the plan as the plan did", abs(evaluation["cost"]["total"] - plan["cost_after"]["total"]) < 1e-6)

    errors = client.call_many([("teleport", {}), ("forecast", {"series": [{"values": day, "step_seconds": 3600}], "quantiles": [1.5]})], raise_errors=False)
    check("an unknown op gets unknown_op", isinstance(errors[0], ShardcastError) and errors[0].code == "unknown_op")
    check("a bad body gets bad_request naming the field", isinstance(errors[1], ShardcastError) and errors[1].code == "bad_request" and errors[1].message.startswith("body.quantiles[0]"))

    pipelined = client.call_many([("route", {}) if i % 2 else ("capabilities", {}) for i in range(20)])
    check("twenty pipelined calls are answered by id", len(pipelined) == 20 and all(("epoch" in b) == (i % 2 == 1) for i, b in enumerate(pipelined)))

    failed = [name for name, ok in checks if not ok]
    print(f"{len(checks) - len(failed)} of {len(checks)} checks passed")
    return 0 if not failed else 1


def route_after(plan):
    nodes = {f"p{i}": "a" for i in range(6)}
    for move in plan["moves"]:
        nodes[move["partition"]] = move["to"]
    return nodes.items()


def main():
    parser = argparse.ArgumentParser(
        description="A client of `shardcast serve` (docs/protocol.md): selftest drives every operation and checks "
                    "the answers; capabilities prints what the server offers. Needs the msgpack module "
                    "(Debian: apt-get install python3-msgpack; elsewhere: pip install msgpack).")
    parser.add_argument("--host", default="127.0.0.1", help="the server's address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7411, help="the server's port (default 7411)")
    parser.add_argument("--token", help="the shared secret, where the server requires one")
    parser.add_argument("command", choices=["selftest", "capabilities"])
    args = parser.parse_args()
    with ShardcastClient(args.host, args.port, args.token) as client:
        if args.command == "capabilities":
            print(client.call("capabilities"))
            return 0
        return selftest(client)


if __name__ == "__main__":
    sys.exit(main())
