"""The tamper-evident audit log's pure core (issue 7): no database, no API.

* `records`    — `AuditRecord` and its canonical RFC 8785 bytes: the Merkle leaves.
* `merkle`     — RFC 9162 hashing, the append-only tree, proofs and their verification, and
                 the `NodeStore` port that a database implements.
* `checkpoint` — signed tree heads as C2SP tlog-checkpoint signed notes (Ed25519).
* `verify`     — the standalone verifier and `first_divergence` for `irs audit verify`.

How a SQL-backed store plugs in (the reason `NodeStore` looks the way it does):

* `audit_record(seq PK, leaf bytes, ...query columns)` holds each record's canonical bytes —
  the source of truth; the columns (time, kind, actor, resource, purpose, matter, decision,
  request/grant ids, holder blind index) are copies for filtering, checked against `leaf` on
  read. `audit_node(level, idx, hash, PK (level, idx))` holds complete subtrees: INSERT-only,
  since a full subtree's hash never changes (`put_nodes` = INSERT ... ON CONFLICT DO NOTHING and
  compare). `audit_checkpoint(size PK, note)` holds the signed notes. The app role has no
  UPDATE/DELETE/TRUNCATE on these tables; detection does not depend on that.
* Appending, on any replica: in one transaction, lock the head (`SELECT size FROM audit_head
  FOR UPDATE`; BEGIN IMMEDIATE on SQLite), take `seq = size`, open
  `MerkleTree(store, size=size)` (one O(log n) read of the right edge, cacheable per replica
  while the head is unchanged), append the record's leaf hash (`extend` for a group commit),
  INSERT the record and the completed nodes, advance the head, commit — then release the
  response. The lock makes seqs gap-free and unique across replicas; the single transaction
  means a crash leaves either the record with all its nodes or neither.
* Proofs read `range_nodes`/proof nodes with one `node_hashes` query
  (`WHERE (level, idx) IN (...)`); checkpoints sign `root_at(store, size=head)`.
"""
