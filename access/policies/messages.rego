# METADATA
# title: Reason messages (理由文本)
# description: |
#   The bilingual text of every reason code the IRS policies emit. A template's "{}" is
#   replaced by the reason's detail (field names, a matter code, a time, a grade pair).
# scope: package
package irs.messages

templates := {
	"INPUT_INVALID": [
		"调用事实缺失或格式错误：{}",
		"the call facts are missing or malformed: {}",
	],
	"NOT_SHARED": [
		"该资源为不予共享，任何调用均不允许",
		"the resource is not shared (不予共享); it can never be called",
	],
	"NO_GRANT": [
		"调用方对该资源没有授权",
		"the caller holds no grant for this resource",
	],
	"GRANT_REVOKED": [
		"授权已被撤销",
		"the grant has been revoked",
	],
	"GRANT_NOT_YET_VALID": [
		"授权尚未生效（生效时间 {}）",
		"the grant is not valid yet (valid from {})",
	],
	"GRANT_EXPIRED": [
		"授权已过期（有效期至 {}）",
		"the grant has expired (valid until {})",
	],
	"PURPOSE_NOT_GRANTED": [
		"用证事由不在授权范围内",
		"the purpose is not covered by the grant",
	],
	"MATTER_NOT_GRANTED": [
		"事项 {} 不在授权范围内",
		"matter {} is not covered by the grant",
	],
	"FIELDS_NOT_GRANTED": [
		"未获授权的信息项：{}",
		"fields not granted: {}",
	],
	"QUOTA_EXCEEDED": [
		"今日调用次数已达授权上限",
		"the grant's call quota for today is used up",
	],
	"GRADE_NOT_CLEARED": [
		"资源分级高于授权允许的分级（{}）",
		"the resource grade is above what the grant is cleared for ({})",
	],
	"CONSENT_REQUIRED": [
		"个人资源须持证人授权，但没有授权",
		"the resource is personal and the holder has given no consent",
	],
	"CONSENT_INVALID": [
		"持证人授权无效：{}",
		"the holder's consent is not valid: {}",
	],
	"INPUT_INVALID_APPROVAL": [
		"审批请求缺失或格式错误：{}",
		"the approval facts are missing or malformed: {}",
	],
	"NOT_PERMITTED": [
		"角色 {} 无权执行该操作",
		"role {} may not do this",
	],
	"NOT_OWNER": [
		"只能处理本部门所有资源的申请或授权",
		"a department may act only on items whose resource it owns",
	],
	"NOT_SHARED_APPROVAL": [
		"不予共享的资源不能批准",
		"a resource that is not shared (不予共享) cannot be approved",
	],
}

# Why a holder's consent does not count, in the order they are reported.
consent_order := ["expired", "used", "revoked", "caller", "certificate_type", "purpose"]

consent_problems := {
	"expired": ["已过期", "expired"],
	"used": ["已使用", "already used"],
	"revoked": ["已撤回", "revoked"],
	"caller": ["授权给其他调用方", "given to another caller"],
	"certificate_type": ["针对其他证照类型", "for another certificate type"],
	"purpose": ["用证事由不符", "for another purpose"],
}

# One reason: its code and both messages, the details (strings) filled in.
reason(code, zh, en) := reason_as(code, code, zh, en)

# A reason whose text is another template's (the same code can read differently per policy).
reason_as(code, template, zh, en) := {
	"code": code,
	"message": replace(t[0], "{}", zh),
	"message_en": replace(t[1], "{}", en),
} if {
	# (bound first: regorus evaluates a two-level reference into a rule slowly)
	t := templates[template]
}
