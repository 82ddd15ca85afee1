"""E-licenses (电子证照): issuance, holder consent, licensed calls, status lists, trust.

* `tables`   — the records tables (personal fields encrypted, holders by blind index).
* `issuance` — issuing, bulk issuing, revoking and rotating the encryption of e-licenses.
* `consent`  — 持证人授权 and the one-time codes a holder's app shows (亮证).
* `calls`    — the licensed call: facts → policy → durable audit → only allowed fields, signed.
* `status`   — Bitstring Status Lists for e-licenses and grants.
* `trust`    — other regions' issuers (跨域互认) and offline verification of responses.
"""
