package irs.call_test

import data.irs.call

grant := {
	"id": "g-1",
	"caller": "app-1",
	"resource_code": "CT-1",
	"fields": ["address", "id_number", "name"],
	"purpose": "开办企业",
	"matters": ["M-1", "M-2"],
	"valid_from": "2025-01-01T00:00:00Z",
	"valid_until": "2026-01-01T00:00:00Z",
	"revoked": false,
	"quota_per_day": 100,
	"used_today": 5,
	"max_grade": "IMPORTANT",
	"unmasked_fields": [],
}

consent := {
	"caller": "app-1",
	"certificate_type": "CT-1",
	"purpose": "开办企业",
	"valid_until": "2025-07-01T00:00:00Z",
	"used": false,
	"revoked": false,
}

base := {
	"now": "2025-06-01T08:00:00Z",
	"caller": {"client_id": "app-1", "role": "integrator", "department": null},
	"resource": {
		"kind": "CERTIFICATE_TYPE",
		"code": "CT-1",
		"owner": "D-1",
		"sharing_type": "CONDITIONAL",
		"grade": "IMPORTANT",
		"personal": true,
		"sensitive_fields": ["id_number", "name"],
	},
	"purpose": "开办企业",
	"matter": "M-1",
	"fields": ["name", "address"],
	"grants": [grant],
	"consent": consent,
}

with_grant(patch) := object.union(base, {"grants": [object.union(grant, patch)]})

with_consent(patch) := object.union(base, {"consent": object.union(consent, patch)})

with_resource(patch) := object.union(base, {"resource": object.union(base.resource, patch)})

codes(d) := [r.code | some r in d.reasons]

refused_for(d, expected) if {
	d.allow == false
	d.grant_id == null
	codes(d) == expected
	d.obligations == {"fields": [], "mask": []}
}

test_allowed_with_obligations if {
	d := call.decision with input as base
	d.allow == true
	d.grant_id == "g-1"
	d.reasons == []
	d.obligations == {"fields": ["address", "name"], "mask": ["name"]}
}

test_no_fields_requested_means_all_grant_fields if {
	d := call.decision with input as object.union(base, {"fields": []})
	d.obligations == {"fields": ["address", "id_number", "name"], "mask": ["id_number", "name"]}
}

test_unmasked_fields_are_returned_in_clear if {
	d := call.decision with input as with_grant({"unmasked_fields": ["name"]})
	d.obligations.mask == []
}

test_not_shared if {
	d := call.decision with input as with_resource({"sharing_type": "NOT_SHARED"})
	refused_for(d, ["NOT_SHARED"])
}

test_unconditional_still_needs_a_grant if {
	d := call.decision with input as object.union(with_resource({"sharing_type": "UNCONDITIONAL"}), {"grants": []})
	refused_for(d, ["NO_GRANT"])
}

test_grants_of_others_do_not_count if {
	d := call.decision with input as with_grant({"caller": "app-2"})
	refused_for(d, ["NO_GRANT"])
	e := call.decision with input as with_grant({"resource_code": "CT-2"})
	refused_for(e, ["NO_GRANT"])
}

test_revoked if {
	d := call.decision with input as with_grant({"revoked": true})
	refused_for(d, ["GRANT_REVOKED"])
}

test_not_yet_valid_and_boundary if {
	d := call.decision with input as with_grant({"valid_from": "2025-06-01T08:00:01Z"})
	refused_for(d, ["GRANT_NOT_YET_VALID"])
	contains(d.reasons[0].message, "2025-06-01T08:00:01Z")
	e := call.decision with input as with_grant({"valid_from": "2025-06-01T08:00:00Z"})
	e.allow
}

test_expired_and_boundary if {
	d := call.decision with input as with_grant({"valid_until": "2025-06-01T08:00:00Z"})
	refused_for(d, ["GRANT_EXPIRED"])
	e := call.decision with input as with_grant({"valid_until": "2025-06-01T16:00:01+08:00"})
	e.allow
}

test_purpose if {
	d := call.decision with input as with_grant({"purpose": "其他事由"})
	refused_for(d, ["PURPOSE_NOT_GRANTED"])
}

test_matter if {
	d := call.decision with input as with_grant({"matters": ["M-9"]})
	refused_for(d, ["MATTER_NOT_GRANTED"])
	contains(d.reasons[0].message_en, "M-1")
}

test_fields_message_names_the_fields if {
	d := call.decision with input as object.union(base, {"fields": ["name", "phone", "email"]})
	refused_for(d, ["FIELDS_NOT_GRANTED"])
	d.reasons[0].message == "未获授权的信息项：email, phone"
	d.reasons[0].message_en == "fields not granted: email, phone"
}

test_quota_boundary if {
	d := call.decision with input as with_grant({"used_today": 100})
	refused_for(d, ["QUOTA_EXCEEDED"])
	e := call.decision with input as with_grant({"used_today": 99})
	e.allow
}

test_grade if {
	d := call.decision with input as with_resource({"grade": "CORE"})
	refused_for(d, ["GRADE_NOT_CLEARED"])
	d.reasons[0].message_en == "the resource grade is above what the grant is cleared for (CORE > IMPORTANT)"
	e := call.decision with input as with_resource({"grade": "GENERAL"})
	e.allow
}

test_consent_required if {
	d := call.decision with input as object.union(base, {"consent": null})
	refused_for(d, ["CONSENT_REQUIRED"])
}

test_consent_not_needed_when_not_personal if {
	d := call.decision with input as object.union(with_resource({"personal": false}), {"consent": null})
	d.allow
	e := call.decision with input as object.union(with_resource({"personal": false}), {"consent": object.union(consent, {"used": true})})
	e.allow
}

test_consent_invalid_says_which if {
	d := call.decision with input as with_consent({
		"valid_until": "2025-06-01T08:00:00Z",
		"used": true,
		"revoked": true,
		"caller": "app-2",
		"certificate_type": "CT-2",
		"purpose": "其他",
	})
	refused_for(d, ["CONSENT_INVALID"])
	d.reasons[0].message == "持证人授权无效：已过期、已使用、已撤回、授权给其他调用方、针对其他证照类型、用证事由不符"
	m := d.reasons[0].message_en
	m == "the holder's consent is not valid: expired, already used, revoked, given to another caller, for another certificate type, for another purpose"
}

test_consent_single_problem if {
	d := call.decision with input as with_consent({"purpose": "其他"})
	d.reasons[0].message_en == "the holder's consent is not valid: for another purpose"
}

test_every_failure_reported_in_order if {
	d := call.decision with input as object.union(with_resource({"sharing_type": "NOT_SHARED", "grade": "CORE"}), {
		"consent": null,
		"grants": [object.union(grant, {
			"revoked": true, "valid_until": "2025-02-01T00:00:00Z", "purpose": "x",
			"matters": [], "fields": [], "used_today": 100,
		})],
	})
	refused_for(d, [
		"NOT_SHARED", "GRANT_REVOKED", "GRANT_EXPIRED", "PURPOSE_NOT_GRANTED", "MATTER_NOT_GRANTED",
		"FIELDS_NOT_GRANTED", "QUOTA_EXCEEDED", "GRADE_NOT_CLEARED", "CONSENT_REQUIRED",
	])
}

test_some_passing_grant_allows if {
	bad := object.union(grant, {"id": "g-0", "revoked": true})
	good := object.union(grant, {"id": "g-9"})
	d := call.decision with input as object.union(base, {"grants": [bad, good]})
	d.allow
	d.grant_id == "g-9"
}

test_two_passing_grants_smallest_id if {
	a := object.union(grant, {"id": "g-b", "unmasked_fields": ["name"]})
	b := object.union(grant, {"id": "g-a"})
	d := call.decision with input as object.union(base, {"grants": [a, b]})
	d.grant_id == "g-a"
	d.obligations.mask == ["name"]
}

test_reasons_of_grant_with_fewest_failures if {
	two := object.union(grant, {"id": "g-a", "revoked": true, "purpose": "x"})
	one := object.union(grant, {"id": "g-b", "used_today": 100})
	d := call.decision with input as object.union(base, {"grants": [two, one]})
	refused_for(d, ["QUOTA_EXCEEDED"])
}

test_ties_go_to_smallest_id if {
	b := object.union(grant, {"id": "g-b", "revoked": true})
	a := object.union(grant, {"id": "g-a", "purpose": "x"})
	d := call.decision with input as object.union(base, {"grants": [b, a]})
	refused_for(d, ["PURPOSE_NOT_GRANTED"])
}

test_malformed_input_is_refused if {
	d := call.decision with input as object.union(base, {"now": 20250601})
	refused_for(d, ["INPUT_INVALID"])
	d.reasons[0].message_en == "the call facts are missing or malformed: now"
}

test_malformed_input_reports_only_that if {
	d := call.decision with input as with_resource({"grade": "SECRET", "sharing_type": "NOT_SHARED"})
	refused_for(d, ["INPUT_INVALID"])
	d.reasons[0].message == "调用事实缺失或格式错误：resource"
}

test_missing_grant_attributes_are_malformed if {
	every key in object.keys(grant) - {"unmasked_fields"} {
		d := call.decision with input as object.union(base, {"grants": [object.remove(grant, [key])]})
		d.allow == false
	}
	d := call.decision with input as object.union(base, {"grants": [object.remove(grant, ["valid_until"])]})
	d.reasons[0].message_en == "the call facts are missing or malformed: grants"
	e := call.decision with input as object.union(base, {"grants": [object.remove(grant, ["unmasked_fields"])]})
	e.obligations.mask == ["name"]
}

test_malformed_consent if {
	every key in object.keys(consent) {
		d := call.decision with input as object.union(object.remove(base, ["consent"]), {"consent": object.remove(consent, [key])})
		d.allow == false
	}
}

test_empty_input_is_refused if {
	d := call.decision with input as {}
	refused_for(d, ["INPUT_INVALID"])
	d.reasons[0].message_en == "the call facts are missing or malformed: caller, consent, fields or matter, grants, now, resource"
}

# ---- the fast path (see "How this package is written" in call.rego) ----

# The allowed decision as the full evaluation builds it (defined exactly when `allow` is).
full_allowed := {
	"allow": true,
	"grant_id": call.granted.id,
	"reasons": [],
	"obligations": {"fields": call.returned, "mask": call.masked},
} if {
	call.allow
}

# The inputs of the tests above, and a few more that could trip the fast path.
fast_path_inputs := array.concat(
	[
		base,
		object.union(base, {"fields": []}),
		with_grant({"unmasked_fields": ["name"]}),
		with_resource({"sharing_type": "NOT_SHARED"}),
		object.union(with_resource({"sharing_type": "UNCONDITIONAL"}), {"grants": []}),
		with_resource({"sharing_type": "UNCONDITIONAL"}),
		with_grant({"caller": "app-2"}),
		with_grant({"resource_code": "CT-2"}),
		with_grant({"revoked": true}),
		with_grant({"revoked": "false"}),
		with_grant({"valid_from": "2025-06-01T08:00:01Z"}),
		with_grant({"valid_from": "2025-06-01T08:00:00Z"}),
		with_grant({"valid_until": "2025-06-01T08:00:00Z"}),
		with_grant({"valid_until": "2025-06-01T16:00:01+08:00"}),
		with_grant({"purpose": "其他事由"}),
		with_grant({"matters": ["M-9"]}),
		with_grant({"matters": []}),
		object.union(base, {"fields": ["name", "phone", "email"]}),
		with_grant({"fields": ["address", "name"], "unmasked_fields": ["name"]}),
		with_grant({"used_today": 100}),
		with_grant({"used_today": 99}),
		with_grant({"used_today": "5"}),
		with_grant({"used_today": null}),
		with_grant({"quota_per_day": "100"}),
		with_grant({"id": 1}),
		with_resource({"grade": "CORE"}),
		with_resource({"grade": "GENERAL"}),
		with_grant({"max_grade": "CORE"}),
		object.union(base, {"consent": null}),
		object.union(with_resource({"personal": false}), {"consent": null}),
		object.union(with_resource({"personal": false}), {"consent": object.union(consent, {"used": true})}),
		object.union(with_resource({"personal": false}), {"consent": object.union(consent, {"valid_until": 1})}),
		object.union(with_resource({"personal": "no"}), {"consent": null}),
		with_consent({"valid_until": "2025-06-01T08:00:00Z"}),
		with_consent({"used": true}),
		with_consent({"revoked": true}),
		with_consent({"caller": "app-2"}),
		with_consent({"certificate_type": "CT-2"}),
		with_consent({"purpose": "其他"}),
		object.union(base, {"purpose": 1}),
		object.union(base, {"now": 20250601}),
		object.union(base, {"matter": ["M-1"]}),
		object.union(base, {"caller": {"client_id": null}}),
		object.union(with_grant({"caller": 7}), {"caller": {"client_id": 7}, "consent": object.union(consent, {"caller": 7})}),
		with_resource({"grade": "SECRET", "sharing_type": "NOT_SHARED"}),
		with_resource({"sensitive_fields": "name"}),
		{},
	],
	array.concat(
		[object.union(base, {"grants": [object.remove(grant, [key])]}) | some key in object.keys(grant)],
		[object.union(base, {"consent": object.remove(consent, [key])}) | some key in object.keys(consent)],
	),
)

# Several grants: the smallest passing id wins, then the first of equal ids.
several_grants := [
	[object.union(grant, {"id": "g-0", "revoked": true}), object.union(grant, {"id": "g-9"})],
	[object.union(grant, {"id": "g-b", "unmasked_fields": ["name"]}), object.union(grant, {"id": "g-a"})],
	[object.union(grant, {"id": "g-b"}), object.union(grant, {"id": "g-a", "fields": ["address", "name", "phone"]})],
	[object.union(grant, {"id": "g-a", "revoked": true}), object.union(grant, {"id": "g-a", "unmasked_fields": ["name"]})],
	[object.union(grant, {"id": "g-a", "unmasked_fields": ["name"]}), object.union(grant, {"id": "g-a"})],
	[object.union(grant, {"id": "g-a", "caller": "app-2"}), object.union(grant, {"id": "g-b"})],
	[object.union(grant, {"id": "g-a", "caller": "app-2", "valid_from": 1}), object.union(grant, {"id": "g-b"})],
	[object.union(grant, {"id": "g-a", "used_today": 100}), object.union(grant, {"id": "g-b", "purpose": "x"})],
]

test_fast_path_is_allow_and_the_full_decision if {
	several := [object.union(base, {"grants": gs, "fields": f}) | some gs in several_grants; some f in [base.fields, []]]
	every doc in array.concat(fast_path_inputs, several) {
		fast := {d | d := call.fast_decision with input as doc}
		full := {d | d := full_allowed with input as doc}
		fast == full
		every d in fast {
			d == call.decision with input as doc
		}
	}
}

test_fast_path_several_grants if {
	d := call.fast_decision with input as object.union(base, {"grants": several_grants[3]})
	d.grant_id == "g-a"
	d.obligations.mask == []
	e := call.fast_decision with input as object.union(base, {"grants": several_grants[4]})
	e.obligations.mask == []
}

# A grant of this caller whose matters or fields are not an array: the full path raises in
# regorus (and in OPA lets another grant allow), so the fast path leaves the call to it.
test_fast_path_leaves_odd_grants_to_the_full_path if {
	odd := object.union(grant, {"id": "g-a", "matters": "M-1"})
	doc := object.union(base, {"grants": [odd, object.union(grant, {"id": "g-b"})]})
	not call.fast_decision with input as doc
	d := call.decision with input as doc
	d.grant_id == "g-b"
}
