# METADATA
# title: Licensed call (授权调用)
# description: |
#   Decides one licensed call from the facts the server gathered: the caller, the resource,
#   the purpose and matter, the requested fields, the caller's grants for this resource and,
#   for personal resources, the holder's consent. Every failed condition is a reason; the
#   obligations say which fields may be returned and which of them must be masked.
#   Input shape: call_input.schema.json beside this file (checked by `opa check -s`).
# scope: package
# schemas:
#   - input: schema["call_input.schema"]
package irs.call

import data.irs.messages

# Grades of GB/T 43697-2024, lowest first: a grant cleared for a grade covers the grades below.
grade_rank := {"GENERAL": 1, "IMPORTANT": 2, "CORE": 3}

sharing_types := {"UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED"}

# The order reasons are reported in (every code this package can emit).
reason_order := [
	"INPUT_INVALID",
	"NOT_SHARED",
	"NO_GRANT",
	"GRANT_REVOKED",
	"GRANT_NOT_YET_VALID",
	"GRANT_EXPIRED",
	"PURPOSE_NOT_GRANTED",
	"MATTER_NOT_GRANTED",
	"FIELDS_NOT_GRANTED",
	"QUOTA_EXCEEDED",
	"GRADE_NOT_CLEARED",
	"CONSENT_REQUIRED",
	"CONSENT_INVALID",
]

# How this package is written (both engines must agree to the letter, and fast):
# - A `not` wraps only an `==` or a rule. With `input.x` missing, OPA reads `not is_string(input.x)`,
#   `not input.x < 1`, `not input.x in s` or `not f(input.x)` as false (the reference is hoisted
#   out of the negation), regorus as true; `not input.x == y` and `not rule` agree.
# - What a condition could not refuse by itself when missing or mistyped is checked once
#   (`input_ok`) and malformed facts are refused with INPUT_INVALID alone; every other condition
#   fails when its fact is missing (`not a == b`, set differences, counts).
# - Few rules and no user functions on the allowed path: in regorus each rule or function
#   evaluation costs microseconds, a builtin call far less.
# - The fast path. The full evaluation states each failure once (the reasons need that) and costs
#   ~340 µs in regorus, the largest step of a licensed call; most calls are allowed. So `decision`
#   first tries `fast_decision`: one body stating positively that the input is well-formed, the
#   resource is shared, the consent is fine and some grant passes every grant condition, which
#   builds the allowed decision from the passing grant with the smallest id (then position), as
#   the full path does (~110 µs). When that body fails, `decision` is the full evaluation, so
#   every denial keeps its reasons. `allow` (from the failures) stays the definition of truth:
#   the fast path must imply it and give the same grant and obligations. It uses `==`, `<`, `<=`,
#   `in`, `every`, comprehensions and type checks, never `not`: a missing or mistyped fact makes
#   it fail in both engines, which is safe. It must also raise in regorus only where the full path
#   does: it parses no grant time before checking the grants in the order of `grants_ok`, and
#   it requires `matters` and `fields` to be arrays (the full path raises in regorus on any
#   other type). Guards: call_test.rego (`test_fast_path_*`, on every test input: defined
#   exactly when `allow` is, and then the same decision) and tests/unit/test_policy_fast_path.py
#   (the decision table and malformed inputs: the same result, errors included, as `decision`
#   without the fast path, in regorus and in OPA).

# ---- well-formed input (anything else is refused: fail closed) ----

now_ok if {
	is_string(input.now)
	time.parse_rfc3339_ns(input.now)
}

caller_ok if is_string(input.caller.client_id)

resource_ok if {
	input.resource.sharing_type in sharing_types
	grade_rank[input.resource.grade]
	is_array(input.resource.sensitive_fields)
}

request_ok if {
	is_array(input.fields)
	is_string(input.matter)
}

grants_ok if {
	is_array(input.grants)
	every g in input.grants {
		is_string(g.id)
		is_string(g.valid_from)
		is_string(g.valid_until)
		time.parse_rfc3339_ns(g.valid_from)
		time.parse_rfc3339_ns(g.valid_until)
		is_number(g.quota_per_day)
		is_number(g.used_today)
		grade_rank[g.max_grade]
	}
}

consent_ok if input.consent == null

consent_ok if {
	is_string(input.consent.valid_until)
	time.parse_rfc3339_ns(input.consent.valid_until)
}

input_ok if {
	now_ok
	caller_ok
	resource_ok
	request_ok
	grants_ok
	consent_ok
}

input_problems contains "now" if not now_ok

input_problems contains "caller" if not caller_ok

input_problems contains "resource" if not resource_ok

input_problems contains "fields or matter" if not request_ok

input_problems contains "grants" if not grants_ok

input_problems contains "consent" if not consent_ok

# ---- grants: only those of this caller for this resource count ----

now_ns := time.parse_rfc3339_ns(input.now)

grants := [g |
	some g in input.grants
	g.caller == input.caller.client_id
	g.resource_code == input.resource.code
]

requested := {f | some f in input.fields}

# A failed condition is [grant position, code, detail (zh), detail (en)]; messages are made
# only for the reasons finally reported.
grant_failure contains [i, "GRANT_REVOKED", "", ""] if {
	some i, g in grants
	not g.revoked == false
}

grant_failure contains [i, "GRANT_NOT_YET_VALID", g.valid_from, g.valid_from] if {
	some i, g in grants
	now_ns < time.parse_rfc3339_ns(g.valid_from)
}

grant_failure contains [i, "GRANT_EXPIRED", g.valid_until, g.valid_until] if {
	some i, g in grants
	now_ns >= time.parse_rfc3339_ns(g.valid_until)
}

grant_failure contains [i, "PURPOSE_NOT_GRANTED", "", ""] if {
	some i, g in grants
	not g.purpose == input.purpose
}

grant_failure contains [i, "MATTER_NOT_GRANTED", input.matter, input.matter] if {
	some i, g in grants
	count({m | some m in g.matters; m == input.matter}) == 0
}

grant_failure contains [i, "FIELDS_NOT_GRANTED", names, names] if {
	some i, g in grants
	missing := requested - {f | some f in g.fields}
	count(missing) > 0
	names := concat(", ", sort(missing))
}

grant_failure contains [i, "QUOTA_EXCEEDED", "", ""] if {
	some i, g in grants
	g.used_today >= g.quota_per_day
}

grant_failure contains [i, "GRADE_NOT_CLEARED", detail, detail] if {
	some i, g in grants
	grade_rank[input.resource.grade] > grade_rank[g.max_grade]
	detail := concat(" > ", [input.resource.grade, g.max_grade])
}

failures_by_grant := {i: {[code, zh, en] | some [j, code, zh, en] in grant_failure; j == i} |
	some i, _ in grants
}

fewest := min({count(f) | some f in failures_by_grant})

# The grant that decides: fewest failures, ties broken by the smallest id (then position).
best_id := min({g.id | some i, g in grants; count(failures_by_grant[i]) == fewest})

best := min({i | some i, g in grants; count(failures_by_grant[i]) == fewest; g.id == best_id})

# ---- resource and consent ----

resource_failure contains ["INPUT_INVALID", names, names] if {
	not input_ok
	names := concat(", ", sort(input_problems))
}

resource_failure contains ["NOT_SHARED", "", ""] if {
	input_ok
	input.resource.sharing_type == "NOT_SHARED"
}

resource_failure contains ["NO_GRANT", "", ""] if {
	input_ok
	count(grants) == 0
}

resource_failure contains ["CONSENT_REQUIRED", "", ""] if {
	input_ok
	not input.resource.personal == false
	input.consent == null
}

resource_failure contains ["CONSENT_INVALID", zh, en] if {
	input_ok
	not input.resource.personal == false
	is_object(input.consent)
	count(consent_problems) > 0
	words := [w |
		some p in messages.consent_order
		p in consent_problems
		w := messages.consent_problems[p]
	]
	zh := concat("、", [w[0] | some w in words])
	en := concat(", ", [w[1] | some w in words])
}

consent_problems contains "expired" if {
	now_ns >= time.parse_rfc3339_ns(input.consent.valid_until)
}

consent_problems contains "used" if not input.consent.used == false

consent_problems contains "revoked" if not input.consent.revoked == false

consent_problems contains "caller" if not input.consent.caller == input.caller.client_id

consent_problems contains "certificate_type" if {
	not input.consent.certificate_type == input.resource.code
}

consent_problems contains "purpose" if not input.consent.purpose == input.purpose

# ---- the decision ----

default allow := false

allow if {
	input_ok
	count(resource_failure) == 0
	fewest == 0
}

failures := resource_failure | failures_by_grant[best] if {
	input_ok
	is_number(best)
} else := resource_failure

reasons := [messages.reason(code, zh, en) |
	some code in reason_order
	some [c, zh, en] in failures
	c == code
]

granted := grants[best] if allow

returned := sort(requested) if count(requested) > 0

else := sort({f | some f in granted.fields})

masked := sort({f | some f in returned; f in input.resource.sensitive_fields} - {f | some f in granted.unmasked_fields})

# The decision. Always defined for any input; an engine that returns nothing has failed, and
# the server then refuses the call (fail closed). The fast path answers most allowed calls;
# anything it does not allow is decided by the full evaluation.
decision := d if {
	d := fast_decision
} else := {
	"allow": true,
	"grant_id": granted.id,
	"reasons": [],
	"obligations": {"fields": returned, "mask": masked},
} if {
	allow
}

else := {
	"allow": false,
	"grant_id": null,
	"reasons": reasons,
	"obligations": {"fields": [], "mask": []},
}

# ---- the fast path: the allowed decision, stated positively (see the header) ----

# The allowed decision when the input is well-formed, the resource is shared, the consent is fine
# and some grant passes every condition; undefined otherwise. The statements that refuse most
# denied calls cheaply come first (a failing fast path costs every denial its time).
fast_decision := {
	"allow": true,
	"grant_id": g.id,
	"reasons": [],
	"obligations": {"fields": fields, "mask": mask},
} if {
	# now_ok, caller_ok
	is_string(input.now)
	now := time.parse_rfc3339_ns(input.now)
	client := input.caller.client_id
	is_string(client)

	# not NOT_SHARED, and the parts of resource_ok the grant conditions use
	res := input.resource
	res.sharing_type in {"UNCONDITIONAL", "CONDITIONAL"}
	rank := grade_rank
	grade := rank[res.grade]
	is_array(input.grants)

	# The grants of this caller for this resource (so not NO_GRANT) that pass every grant
	# condition but the validity window, each condition the negation of a grant_failure. No time
	# of a grant is parsed before all grants are checked below, in the order of grants_ok: a
	# string that is not a time raises in regorus, and must do so exactly when it does today.
	candidates := {[h.id, j] |
		some j, h in input.grants
		h.caller == client
		h.resource_code == res.code
		h.revoked == false
		h.purpose == input.purpose
		input.matter in h.matters
		every f in input.fields { f in h.fields }
		h.used_today < h.quota_per_day
		grade <= rank[h.max_grade]
	}
	count(candidates) > 0

	# consent_ok, no CONSENT_REQUIRED, no CONSENT_INVALID
	fast_consent_ok

	# the rest of resource_ok, request_ok
	is_array(res.sensitive_fields)
	is_array(input.fields)
	is_string(input.matter)

	# grants_ok (same checks, same order), and arrays where the grant conditions iterate
	every g in input.grants {
		is_string(g.id)
		is_string(g.valid_from)
		is_string(g.valid_until)
		time.parse_rfc3339_ns(g.valid_from)
		time.parse_rfc3339_ns(g.valid_until)
		is_number(g.quota_per_day)
		is_number(g.used_today)
		rank[g.max_grade]
		is_array(g.matters)
		is_array(g.fields)
	}

	# The passing grants (within their validity window): `best` is the smallest id, then the
	# first position.
	[_, i] := min({[id, j] |
		some [id, j] in candidates
		time.parse_rfc3339_ns(input.grants[j].valid_from) <= now
		now < time.parse_rfc3339_ns(input.grants[j].valid_until)
	})

	# `returned` and `masked` for that grant
	g := input.grants[i]
	fields := sort({f | some f in input.fields} | {f | count(input.fields) == 0; some f in g.fields})
	mask := sort({f | some f in fields; f in res.sensitive_fields} - {f | some f in g.unmasked_fields})
}

# consent_ok and neither CONSENT_REQUIRED nor CONSENT_INVALID: a valid consent (whether or not the
# resource is personal), or a resource that is not personal with no consent or a well-formed one.
# The comparisons come before the time parse, which raises in regorus (as consent_ok does) on a
# string that is not a time.
fast_consent_ok if {
	c := input.consent
	c.used == false
	c.revoked == false
	c.caller == input.caller.client_id
	c.certificate_type == input.resource.code
	c.purpose == input.purpose
	is_string(c.valid_until)
	time.parse_rfc3339_ns(input.now) < time.parse_rfc3339_ns(c.valid_until)
} else if {
	input.resource.personal == false
	input.consent == null
} else if {
	input.resource.personal == false
	is_string(input.consent.valid_until)
	time.parse_rfc3339_ns(input.consent.valid_until)
}
