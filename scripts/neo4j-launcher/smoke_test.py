#!/usr/bin/env python3
"""Smoke test for the embedded Neo4j started by scripts/neo4j.sh.

Usage:
    python smoke_test.py write   # schema, CJK full-text index, write + read
    python smoke_test.py read    # after a restart: the data written is still there
    python smoke_test.py badauth # a wrong password is rejected

Connection from IRS_NEO4J_PORT (default 7687) and IRS_NEO4J_PASSWORD
(default irs-dev-password). Needs the `neo4j` Python driver. Exits non-zero on
the first failed check.
"""

import os
import sys
import time

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

URI = f"bolt://127.0.0.1:{os.environ.get('IRS_NEO4J_PORT', '7687')}"
PASSWORD = os.environ.get("IRS_NEO4J_PASSWORD", "irs-dev-password")
MARKER = "smoke-test-license"


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def wait_index(session, name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        rec = session.run(
            "SHOW INDEXES YIELD name, state WHERE name = $n RETURN state", n=name
        ).single()
        if rec and rec["state"] == "ONLINE":
            return
        time.sleep(0.2)
    raise SystemExit(f"FAIL: index {name} not ONLINE after {timeout}s")


def search(session, text):
    return [
        r["id"]
        for r in session.run(
            "CALL db.index.fulltext.queryNodes('smoke_license_text', $q) YIELD node, score "
            "RETURN node.id AS id ORDER BY score DESC",
            q=text,
        )
    ]


def do_write(driver):
    info = driver.get_server_info()
    print(
        f"server: {info.agent} protocol {info.protocol_version} (python driver {neo4j.__version__})"
    )
    with driver.session() as s:
        s.run(
            "CREATE CONSTRAINT smoke_license_id IF NOT EXISTS FOR (n:SmokeLicense) REQUIRE n.id IS UNIQUE"
        ).consume()
        # Twice: IF NOT EXISTS must be idempotent.
        s.run(
            "CREATE CONSTRAINT smoke_license_id IF NOT EXISTS FOR (n:SmokeLicense) REQUIRE n.id IS UNIQUE"
        ).consume()
        s.run(
            "CREATE FULLTEXT INDEX smoke_license_text IF NOT EXISTS FOR (n:SmokeLicense) ON EACH [n.title] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: false}}"
        ).consume()
        wait_index(s, "smoke_license_id")
        wait_index(s, "smoke_license_text")
        cfg = s.run(
            "SHOW FULLTEXT INDEXES YIELD name, options WHERE name = 'smoke_license_text' "
            "RETURN options.indexConfig['fulltext.analyzer'] AS a"
        ).single()["a"]
        check(cfg == "cjk", f"full-text index uses the cjk analyzer ({cfg})")

    def write(tx):
        tx.run(
            "MERGE (n:SmokeLicense {id: $id}) SET n.title = $title, n.marker = $marker",
            id="L-1",
            title="营业执照",
            marker=MARKER,
        ).consume()
        tx.run(
            "MERGE (n:SmokeLicense {id: $id}) SET n.title = $title, n.marker = $marker",
            id="L-2",
            title="税务登记证",
            marker=MARKER,
        ).consume()

    def read(tx):
        return tx.run(
            "MATCH (n:SmokeLicense {marker: $m}) RETURN n.id AS id, n.title AS title ORDER BY id",
            m=MARKER,
        ).data()

    with driver.session() as s:
        s.execute_write(write)
        rows = s.execute_read(read)
        check(
            rows == [{"id": "L-1", "title": "营业执照"}, {"id": "L-2", "title": "税务登记证"}],
            f"execute_write + execute_read round trip {rows}",
        )
        try:
            s.execute_write(lambda tx: tx.run("CREATE (:SmokeLicense {id: 'L-1'})").consume())
            check(False, "unique constraint rejects a duplicate id")
        except neo4j.exceptions.ConstraintError:
            check(True, "unique constraint rejects a duplicate id")
        check_search(s)


def check_search(s):
    hits = search(s, "执照")
    check(hits == ["L-1"], f"full-text search 执照 finds 营业执照 {hits}")
    hits = search(s, "登记")
    check(hits == ["L-2"], f"full-text search 登记 finds 税务登记证 {hits}")


def do_read(driver):
    with driver.session() as s:
        rows = s.execute_read(
            lambda tx: tx.run(
                "MATCH (n:SmokeLicense {marker: $m}) RETURN n.id AS id, n.title AS title ORDER BY id",
                m=MARKER,
            ).data()
        )
        check(
            rows == [{"id": "L-1", "title": "营业执照"}, {"id": "L-2", "title": "税务登记证"}],
            f"data persisted across restart {rows}",
        )
        names = {r["name"] for r in s.run("SHOW INDEXES YIELD name RETURN name")}
        check(
            {"smoke_license_id", "smoke_license_text"} <= names,
            "constraint and full-text index persisted",
        )
        wait_index(s, "smoke_license_text")
        check_search(s)


def do_badauth():
    d = GraphDatabase.driver(URI, auth=("neo4j", PASSWORD + "-wrong"))
    try:
        d.verify_connectivity()
        check(False, "wrong password is rejected")
    except AuthError as e:
        check(True, f"wrong password is rejected ({e.code})")
    finally:
        d.close()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "write"
    if mode == "badauth":
        do_badauth()
        return
    with GraphDatabase.driver(URI, auth=("neo4j", PASSWORD)) as driver:
        driver.verify_connectivity()
        if mode == "write":
            do_write(driver)
        elif mode == "read":
            do_read(driver)
        else:
            raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
