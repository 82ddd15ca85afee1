package irs.approval_test

import data.irs.approval
import data.irs.messages

item := {"owner": "D-1", "sharing_type": "CONDITIONAL", "requester_department": "D-2"}

ask(role, department, action, it) := d if {
	d := approval.decision with input as {
		"principal": {"role": role, "department": department},
		"action": action,
		"item": it,
	}
}

codes(d) := [r.code | some r in d.reasons]

test_admin_may_do_everything if {
	every action in ["submit", "approve", "refuse", "revoke"] {
		d := ask("admin", null, action, item)
		d == {"allow": true, "reasons": []}
	}
}

test_owner_department_approves_refuses_revokes if {
	every action in ["approve", "refuse", "revoke"] {
		ask("department", "D-1", action, item).allow
	}
}

test_other_department_is_not_owner if {
	every action in ["approve", "refuse", "revoke"] {
		codes(ask("department", "D-9", action, item)) == ["NOT_OWNER"]
	}
	codes(ask("department", null, "approve", item)) == ["NOT_OWNER"]
	codes(ask("department", "", "approve", object.union(item, {"owner": ""}))) == ["NOT_OWNER"]
}

test_department_does_not_submit if {
	d := ask("department", "D-1", "submit", item)
	codes(d) == ["NOT_PERMITTED"]
	d.reasons[0].message == "角色 department 无权执行该操作"
}

test_integrator_submits_only if {
	ask("integrator", null, "submit", item).allow
	every action in ["approve", "refuse", "revoke"] {
		codes(ask("integrator", null, action, item)) == ["NOT_PERMITTED"]
	}
}

test_auditor_does_nothing if {
	every action in ["submit", "approve", "refuse", "revoke"] {
		codes(ask("auditor", null, action, item)) == ["NOT_PERMITTED"]
	}
}

test_not_shared_is_never_approved if {
	ns := object.union(item, {"sharing_type": "NOT_SHARED"})
	codes(ask("admin", null, "approve", ns)) == ["NOT_SHARED"]
	codes(ask("department", "D-1", "approve", ns)) == ["NOT_SHARED"]
	codes(ask("department", "D-9", "approve", ns)) == ["NOT_OWNER", "NOT_SHARED"]
	ask("department", "D-1", "refuse", ns).allow
	ask("integrator", null, "submit", ns).allow
}

test_unknown_action_or_sharing_type if {
	d := ask("admin", null, "delete", item)
	codes(d) == ["INPUT_INVALID"]
	d.reasons[0].message_en == "the approval facts are missing or malformed: action"
	codes(ask("admin", null, "approve", {"owner": "D-1"})) == ["INPUT_INVALID"]
}

test_unknown_role if {
	d := ask(7, null, "approve", item)
	d.reasons[0].message_en == "role ? may not do this"
}

test_message_texts_exist_for_every_code if {
	every code in data.irs.call.reason_order {
		messages.templates[code]
	}
	every code in approval.reason_order {
		messages.templates[code]
	}
}
