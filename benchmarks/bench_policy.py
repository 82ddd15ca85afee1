"""Policy benchmark: licensed-call decisions per second and p50/p99 latency for each engine
(in-process regorus, OPA server over loopback), with 10 and with 10,000 grants in the store.

The server hands the policy only the caller's grants for the resource (an index lookup), so
the facts must not grow with the store: their size is reported beside the timings, and so is
the cost of the naive alternative (every grant in the facts). The lower bound is measured in the
same run: a trivial policy (a constant decision) through the same adapter path.

`--candidates` also scores the in-process options on the decision table against the OPA server
(fidelity first, then speed): see access/policies/README.md.

    python -m benchmarks.bench_policy [--samples 3000] [--opa-url URL | --no-opa] [--candidates]
"""

from __future__ import annotations

import argparse
import calendar
import importlib
import importlib.metadata
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from access.policies import POLICY_DIR, policy_files
from access.policy import CALL_DECISION, CallDecision, CallFacts, CallResource, GrantFacts
from access.policy_inprocess import InProcessPolicyEngine
from access.policy_opa import OpaPolicyEngine
from tests import policy_cases as pc

ROOT = Path(__file__).resolve().parents[1]
STORES = (10, 10_000)
TRIVIAL = (
    '{"allow": true, "grant_id": "g", "reasons": [], "obligations": {"fields": [], "mask": []}}'
)

Evaluate = Callable[[str, dict[str, Any]], object]


class GrantStore:
    """`size` grants spread over callers and resources, indexed as the records store would be."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.by_key: dict[tuple[str, str], list[GrantFacts]] = {}
        self.resources: dict[str, CallResource] = {}
        pairs = max(1, size * 2 // 3)  # most pairs hold one grant, some two
        for n in range(size):
            caller, code = f"app-{n % pairs % 97:04d}", f"R-{n % pairs:06d}"
            res = self.resources.setdefault(
                code,
                pc.resource(code=code, grade=rng.choice(pc.GRADES), personal=rng.random() < 0.5),
            )
            broken = frozenset(c for c in pc.GRANT_CONDITIONS if rng.random() < 0.08)
            g = replace(pc.grant(res, f"g-{n:06d}", broken), caller=caller)
            self.by_key.setdefault((caller, code), []).append(g)

    def facts(self, rng: random.Random) -> CallFacts:
        """Facts for a call by a random holder of grants: only its grants for the resource."""
        caller, code = rng.choice(list(self.by_key))
        res = self.resources[code]
        base = pc.facts(frozenset(), res=res)
        consent = replace(base.consent, caller=caller) if base.consent else None
        caller_ = replace(base.caller, client_id=caller)
        return replace(
            base, caller=caller_, grants=tuple(self.by_key[(caller, code)]), consent=consent
        )

    def all_grants(self) -> tuple[GrantFacts, ...]:
        return tuple(g for gs in self.by_key.values() for g in gs)


def measure(
    evaluate: Evaluate, rule: str, inputs: list[dict[str, Any]], samples: int
) -> dict[str, float]:
    for doc in inputs[:50]:  # warm-up: engines per thread, connections, caches
        CallDecision.from_result(evaluate(rule, doc))
    times = []
    for i in range(samples):
        doc = inputs[i % len(inputs)]
        start = time.perf_counter()
        CallDecision.from_result(evaluate(rule, doc))
        times.append(time.perf_counter() - start)
    ordered = sorted(times)
    return {
        "decisions_per_s": round(len(times) / sum(times), 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 3),
        "samples": len(times),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def opa_binary() -> str:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts/opa.sh"), "path"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def start_opa(trivial_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Our own OPA server on a free loopback port: the policies (Rego only) and the trivial one."""
    port = free_port()
    files = [str(p) for p in policy_files(POLICY_DIR)] + [str(trivial_dir / "trivial.rego")]
    proc = subprocess.Popen(
        [
            opa_binary(),
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
            "--skip-version-check",
            *files,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return proc, url


# ---------------------------------------------------------------- in-process candidates

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)\Z"
)


def parse_rfc3339_ns(text: str) -> int:
    """time.parse_rfc3339_ns for the Wasm host (OPA's Wasm leaves this builtin to the SDK)."""
    m = _RFC3339.match(text)
    if not m:
        raise ValueError("not RFC 3339")
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    seconds = calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds * 1_000_000_000 + int(((m.group(7) or ".")[1:] + "000000000")[:9])


def first_error(text: str) -> str:
    """The gist of a candidate's compile error: its message and where."""
    message = re.search(r"errormsg \d+:([^)\n]*)|error: ([^\n]*)", text)
    where = re.search(r"-- (\w+):(\d+):\d+|--> ([^\s]+)", text)
    gist = next((g for g in message.groups() if g), "") if message else text.strip()[:120]
    at = next((g for g in where.groups() if g), "") if where else ""
    if where and where.group(1):
        at = f"{where.group(1)}.rego:{where.group(2)}"
    return f"{gist.strip()} ({at})" if at else gist.strip()


def _regorus() -> Evaluate:
    return InProcessPolicyEngine().evaluate_raw


def _opa_wasm(tmp: Path) -> Evaluate:
    wasm = importlib.import_module("opapywasm")
    bundle = tmp / "wasm.tar.gz"
    subprocess.run(
        [
            opa_binary(),
            "build",
            "-t",
            "wasm",
            "-e",
            "irs/call/decision",
            "-e",
            "irs/approval/decision",
            "-o",
            str(bundle),
            *(str(p) for p in policy_files(POLICY_DIR)),
        ],
        check=True,
        capture_output=True,
    )
    with tarfile.open(bundle) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("policy.wasm"))
        extracted = tar.extractfile(member)
        assert extracted is not None
        code = extracted.read()
    policy = wasm.OpaWasmPolicy.from_wasm_bytes(code, wasm.PolicyConfig(pool_size=1))
    policy.register_builtin("time.parse_rfc3339_ns", parse_rfc3339_ns)

    def evaluate(rule: str, doc: dict[str, Any]) -> object:
        result = policy.evaluate(doc, entrypoint=rule.removeprefix("data.").replace(".", "/"))
        return None if result is wasm.UNDEFINED else result

    return evaluate


def _regopy() -> Evaluate:
    regopy = importlib.import_module("regopy")
    interpreter = regopy.Interpreter()
    for path in policy_files(POLICY_DIR):
        interpreter.add_module(path.stem, path.read_text(encoding="utf-8"))

    def evaluate(rule: str, doc: dict[str, Any]) -> object:
        interpreter.set_input(doc)
        out = json.loads(str(interpreter.query(rule)))
        return (out.get("expressions") or [None])[0]

    evaluate(CALL_DECISION, {})
    return evaluate


def _lakera_regorus() -> Evaluate:
    lakera = importlib.import_module("lakera_regorus")
    engine = lakera.Engine()
    for path in policy_files(POLICY_DIR):
        engine.add_policy(path.name, path.read_text(encoding="utf-8"))

    def evaluate(rule: str, doc: dict[str, Any]) -> object:
        engine.set_input_json(json.dumps(doc))
        return json.loads(engine.eval_query_as_json(rule))["result"][0]["expressions"][0]["value"]

    return evaluate


CANDIDATES: dict[str, tuple[str, Callable[[Path], Evaluate]]] = {
    "regorus (gordon-to-regorus)": ("gordon-to-regorus", lambda _tmp: _regorus()),
    "OPA Wasm (opa-py-wasm on wasmtime)": ("opa-py-wasm", _opa_wasm),
    "regopy (rego-cpp)": ("regopy", lambda _tmp: _regopy()),
    "lakera-regorus": ("lakera-regorus", lambda _tmp: _lakera_regorus()),
}


def score_candidates(
    opa: OpaPolicyEngine, inputs: list[dict[str, Any]], samples: int, tmp: Path
) -> dict[str, Any]:
    """Each candidate on the whole decision table against OPA itself, then its speed. Native
    libraries that print (regopy prints its compile errors) write to stderr, not our JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        return _score_candidates(opa, inputs, samples, tmp)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _score_candidates(
    opa: OpaPolicyEngine, inputs: list[dict[str, Any]], samples: int, tmp: Path
) -> dict[str, Any]:
    table = [(CALL_DECISION, c.facts.to_input()) for c in pc.call_cases()]
    table += [("data.irs.approval.decision", c.facts.to_input()) for c in pc.approval_cases()]
    reference = [opa.evaluate_raw(rule, doc) for rule, doc in table]
    out: dict[str, Any] = {"table_rows": len(table), "reference": "OPA v1.22.3 server"}
    for name, (dist, load) in CANDIDATES.items():
        row: dict[str, Any] = {}
        try:
            row["version"] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[name] = {"status": "not installed"}
            continue
        try:
            evaluate = load(tmp)
        except Exception as exc:  # a candidate that cannot load the policy is disqualified
            row["status"] = "does not load the policy"
            row["error"] = first_error(str(exc))
            out[name] = row
            continue
        same = errors = 0
        for (rule, doc), want in zip(table, reference, strict=True):
            try:
                same += json.loads(json.dumps(evaluate(rule, doc))) == want
            except Exception:
                errors += 1
        row.update(
            {"identical_decisions": same, "errors": errors, "fidelity": round(same / len(table), 4)}
        )
        row["speed"] = measure(evaluate, CALL_DECISION, inputs, samples) if errors == 0 else None
        out[name] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--opa-url", default=os.environ.get("IRS_TEST_OPA_URL", ""))
    parser.add_argument("--no-opa", action="store_true")
    parser.add_argument("--candidates", action="store_true")
    args = parser.parse_args()
    rng = random.Random(pc.SEED)
    report: dict[str, Any] = {
        "benchmark": "policy",
        "machine": {"cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)},
        "note": "facts carry only the caller's grants for the resource; trivial = constant "
        "decision through the same adapter; p50/p99 in ms, one thread, sequential",
    }
    stores = {size: GrantStore(size, rng) for size in STORES}
    inputs: dict[int, list[dict[str, Any]]] = {
        size: [dict(s.facts(rng).to_input()) for _ in range(200)] for size, s in stores.items()
    }
    report["facts"] = {
        f"store_{size}": {
            "grants_in_store": sum(len(v) for v in stores[size].by_key.values()),
            "max_grants_in_facts": max(len(d["grants"]) for d in docs),
            "mean_facts_bytes": round(statistics.mean(len(json.dumps(d)) for d in docs)),
            "max_facts_bytes": max(len(json.dumps(d)) for d in docs),
        }
        for size, docs in inputs.items()
    }

    with tempfile.TemporaryDirectory() as tmp:
        trivial_local, trivial_opa = Path(tmp, "local"), Path(tmp, "opa")
        trivial_local.mkdir()
        trivial_opa.mkdir()
        (trivial_local / "call.rego").write_text(f"package irs.call\n\ndecision := {TRIVIAL}\n")
        (trivial_opa / "trivial.rego").write_text(
            f"package bench.trivial\n\ndecision := {TRIVIAL}\n"
        )
        engines: dict[str, dict[str, Any]] = {}

        local = InProcessPolicyEngine()
        trivial = InProcessPolicyEngine(policy_dir=trivial_local)
        engines["inprocess"] = {
            **{
                f"store_{n}": measure(local.evaluate_raw, CALL_DECISION, inputs[n], args.samples)
                for n in STORES
            },
            "trivial": measure(trivial.evaluate_raw, CALL_DECISION, inputs[10], args.samples),
        }
        naive = {}
        for n in STORES:  # the alternative the design rules out: every grant in the facts
            docs = [
                replace(stores[n].facts(rng), grants=stores[n].all_grants()).to_input()
                for _ in range(3)
            ]
            naive[f"store_{n}"] = measure(
                local.evaluate_raw, CALL_DECISION, docs, 5 if n > 100 else 200
            )
        report["contrast_all_grants_in_facts_inprocess"] = naive

        proc = None
        if not args.no_opa:
            url = args.opa_url
            if not url:
                proc, url = start_opa(trivial_opa)
            opa = OpaPolicyEngine(url=url, timeout=2.0)
            try:
                engines["opa"] = {
                    **{
                        f"store_{n}": measure(
                            opa.evaluate_raw, CALL_DECISION, inputs[n], args.samples
                        )
                        for n in STORES
                    },
                }
                if proc is not None:
                    engines["opa"]["trivial"] = measure(
                        opa.evaluate_raw, "data.bench.trivial.decision", inputs[10], args.samples
                    )
                if args.candidates:
                    report["candidates"] = score_candidates(
                        opa, inputs[10], min(args.samples, 1000), Path(tmp)
                    )
            finally:
                opa.close()
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
        report["engines"] = engines
        local.close()
        trivial.close()

    report["targets"] = {
        "inprocess_p99_ms_below": 1.0,
        "opa_p99_ms_below": 3.0,
        "inprocess_met": all(engines["inprocess"][f"store_{n}"]["p99_ms"] < 1.0 for n in STORES),
        "opa_met": None
        if "opa" not in engines
        else all(engines["opa"][f"store_{n}"]["p99_ms"] < 3.0 for n in STORES),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
