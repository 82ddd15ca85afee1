# METADATA
# title: Approvals (审批)
# description: |
#   Who may submit, approve, refuse or revoke a request item or grant. Admins may do
#   everything; a department acts only on items whose resource it owns; integrators submit;
#   auditors only read. A resource that is not shared (不予共享) is never approved, by anyone.
# scope: package
package irs.approval

import data.irs.messages

actions := {"approve", "refuse", "revoke", "submit"}

owner_actions := {"approve", "refuse", "revoke"}

sharing_types := {"UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED"}

reason_order := ["INPUT_INVALID", "NOT_PERMITTED", "NOT_OWNER", "NOT_SHARED"]

role := input.principal.role

# The role as a message shows it (always defined, so a reason is never lost).
role_text := r if {
	r := input.principal.role
	is_string(r)
} else := "?"

action := input.action

# (negations wrap rules only: see the portability note in call.rego)
action_ok if action in actions

sharing_type_ok if input.item.sharing_type in sharing_types

owner_action if action in owner_actions

input_problems contains "action" if not action_ok

input_problems contains "item.sharing_type" if not sharing_type_ok

permitted if role == "admin"

permitted if {
	role == "department"
	owner_action
}

permitted if {
	role == "integrator"
	action == "submit"
}

owns if {
	is_string(input.principal.department)
	input.principal.department != ""
	input.item.owner == input.principal.department
}

problems contains messages.reason_as("INPUT_INVALID", "INPUT_INVALID_APPROVAL", names, names) if {
	count(input_problems) > 0
	names := concat(", ", sort(input_problems))
}

problems contains messages.reason("NOT_PERMITTED", role_text, role_text) if {
	action_ok
	not permitted
}

problems contains messages.reason("NOT_OWNER", "", "") if {
	role == "department"
	owner_action
	not owns
}

problems contains messages.reason_as("NOT_SHARED", "NOT_SHARED_APPROVAL", "", "") if {
	action == "approve"
	input.item.sharing_type == "NOT_SHARED"
}

decision := {
	"allow": count(problems) == 0,
	"reasons": [r | some code in reason_order; some r in problems; r.code == code],
}
