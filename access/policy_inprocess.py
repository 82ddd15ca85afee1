"""The policy evaluated in-process (the embedded default): the same Rego files, run by regorus.

The binding is `gordon-to-regorus` (import `regorus`), chosen on evidence over OPA-compiled Wasm
and other bindings: see access/policies/README.md. A `regorus.Engine` is *unsendable*: used or
even dropped on another thread it panics. So each thread builds its own engine on first use and
keeps it in a module-level thread-local, which is freed by that same thread when it ends.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from access.policies import POLICY_DIR, policy_sources
from access.policy import (
    APPROVAL_DECISION,
    CALL_DECISION,
    ApprovalDecision,
    ApprovalFacts,
    CallDecision,
    CallFacts,
    PolicyUnavailable,
)

# The binding ships no type information; everything it returns is checked by the decision parsers.
regorus: Any = importlib.import_module("regorus")

# One engine per (thread, policy text). Module-level on purpose: a thread-local owned by an
# adapter instance would drop other threads' engines on the wrong thread when collected.
_PER_THREAD = threading.local()


class InProcessPolicyEngine:
    """`PolicyEngine` adapter evaluating the Rego policies in this process (no server)."""

    def __init__(self, *, policy_dir: Path = POLICY_DIR) -> None:
        self._sources = policy_sources(policy_dir)
        if not self._sources:
            raise PolicyUnavailable(f"no policy files in {policy_dir}")
        digest = hashlib.sha256()
        for name, text in self._sources.items():
            digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        self._key = digest.hexdigest()
        self._closed = False
        self.ping()  # compile now: a broken policy fails at start-up, not on the first call

    def decide_call(self, *, facts: CallFacts) -> CallDecision:
        """Evaluate `data.irs.call.decision` for these facts."""
        return CallDecision.from_result(self._evaluate(CALL_DECISION, facts.to_input()))

    def decide_approval(self, *, facts: ApprovalFacts) -> ApprovalDecision:
        """Evaluate `data.irs.approval.decision` for these facts."""
        return ApprovalDecision.from_result(self._evaluate(APPROVAL_DECISION, facts.to_input()))

    def ping(self) -> None:
        """Compile the policy on this thread and check the call decision is defined."""
        CallDecision.from_result(self._evaluate(CALL_DECISION, {}))

    def close(self) -> None:
        """Refuse further decisions; this thread's engine is freed (others end with their
        threads, the only place an unsendable engine may be dropped)."""
        self._closed = True
        engines = getattr(_PER_THREAD, "engines", None)
        if engines is not None:
            engines.pop(self._key, None)

    def evaluate_raw(self, rule: str, input_doc: Mapping[str, object]) -> object:
        """The raw result of `rule` for `input_doc` (decision-table and benchmark tooling)."""
        return self._evaluate(rule, input_doc)

    def _evaluate(self, rule: str, input_doc: Mapping[str, object]) -> object:
        if self._closed:
            raise PolicyUnavailable("in-process policy engine is closed")
        engine = self._engine()
        try:
            engine.set_input_json(orjson.dumps(input_doc).decode())
            result: object = engine.eval_rule(rule)
        except Exception as exc:  # any engine error means no decision: fail closed
            raise PolicyUnavailable(f"in-process evaluation failed: {type(exc).__name__}") from exc
        if result is None:
            raise PolicyUnavailable(f"{rule} is undefined")
        return result

    def _engine(self) -> Any:
        engines: dict[str, Any] | None = getattr(_PER_THREAD, "engines", None)
        if engines is None:
            engines = _PER_THREAD.engines = {}
        engine = engines.get(self._key)
        if engine is None:
            engine = regorus.Engine()
            try:
                for name, text in self._sources.items():
                    engine.add_policy(name, text)
            except Exception as exc:
                raise PolicyUnavailable(f"policy does not compile: {exc}") from exc
            engines[self._key] = engine
        return engine
