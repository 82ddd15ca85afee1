#!/usr/bin/env bash
# Local Neo4j for IRS development and CI, without Docker or a Neo4j install.
#
# Runs a real Neo4j Community 5.26 (the org.neo4j:neo4j artifact from Maven
# Central) embedded in one JVM, with Bolt on 127.0.0.1 and authentication on,
# through the launcher in scripts/neo4j-launcher/. Drivers see a normal server.
#
# Usage: scripts/neo4j.sh build|start|stop|restart|status
#
#   build    mvn package of the launcher (skipped when the jar is newer than its sources)
#   start    build if needed, start in the background, wait until Bolt answers
#   stop     SIGTERM, wait for a clean shutdown
#   restart  stop then start
#   status   exit 0 when running, 3 when not
#
# Environment:
#   IRS_NEO4J_PORT           Bolt port on 127.0.0.1          (default 7687)
#   IRS_NEO4J_DATA           data folder, holds the store, logs/ and neo4j.pid
#                            (default .services/neo4j under the repository root)
#   IRS_NEO4J_PASSWORD       password of user neo4j, at least 8 characters
#                            (default irs-dev-password)
#   IRS_NEO4J_HEAP           JVM max heap                    (default 1g)
#   IRS_NEO4J_JAVA_OPTS      extra JVM options
#   IRS_NEO4J_START_TIMEOUT  seconds start waits for Bolt    (default 120)
#   IRS_NEO4J_STOP_TIMEOUT   seconds stop waits for exit     (default 60)
#   IRS_NEO4J_PYTHON         python used for the Bolt check  (default python3)
#   IRS_NEO4J_CDS            1 (default) or 0: class-data sharing archive, see below
#
# Class-data sharing: when target/neo4j-launcher.jsa is missing, or the JVM would
# not accept it (checked with -XX:+PrintSharedArchiveAndExit: jar rebuilt, JDK
# changed), start runs the JVM with -XX:ArchiveClassesAtExit instead; that JVM
# writes the archive as it exits (that one stop takes ~10 s longer) and stop moves
# it to target/. Later starts load it and reach READY about twice as fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER_DIR="$ROOT/scripts/neo4j-launcher"
JAR="$LAUNCHER_DIR/target/neo4j-launcher.jar"
CDS_ARCHIVE="$LAUNCHER_DIR/target/neo4j-launcher.jsa"

PORT="${IRS_NEO4J_PORT:-7687}"
DATA="${IRS_NEO4J_DATA:-$ROOT/.services/neo4j}"
PASSWORD="${IRS_NEO4J_PASSWORD:-irs-dev-password}"
HEAP="${IRS_NEO4J_HEAP:-1g}"
START_TIMEOUT="${IRS_NEO4J_START_TIMEOUT:-120}"
STOP_TIMEOUT="${IRS_NEO4J_STOP_TIMEOUT:-60}"
PYTHON="${IRS_NEO4J_PYTHON:-python3}"
HOST=127.0.0.1

case "$DATA" in /*) ;; *) DATA="$PWD/$DATA" ;; esac
PID_FILE="$DATA/neo4j.pid"
OUT_FILE="$DATA/logs/launcher.out"
CDS_DUMP="$DATA/launcher-classes.jsa"   # written by the JVM at exit, then moved to target/

log() { echo "neo4j.sh: $*" >&2; }
die() { log "$*"; exit 1; }

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        echo "$JAVA_HOME/bin/java"
    else
        command -v java || die "java not found (JDK 17+ needed)"
    fi
}

needs_build() {
    [[ -f "$JAR" && -d "$LAUNCHER_DIR/target/lib" ]] || return 0
    [[ -n "$(find "$LAUNCHER_DIR/pom.xml" "$LAUNCHER_DIR/src" -newer "$JAR" -print -quit)" ]]
}

cmd_build() {
    if [[ "${1:-}" != "--force" ]] && ! needs_build; then
        log "launcher up to date ($JAR)"
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found (Maven 3.8+ needed)"
    log "building the launcher (first build downloads Neo4j into ~/.m2) ..."
    local t0=$SECONDS
    # Output goes to a file (Maven 3.8 prints stray colour codes even with -q -B).
    mkdir -p "$LAUNCHER_DIR/target"
    local build_log="$LAUNCHER_DIR/target/build.log"
    if ! mvn -q -B -Dstyle.color=never -f "$LAUNCHER_DIR/pom.xml" package >"$build_log" 2>&1; then
        tail -n 60 "$build_log" >&2
        die "maven build failed (full output in $build_log)"
    fi
    [[ -f "$JAR" ]] || die "build produced no $JAR"
    touch "$JAR"   # the jar plugin may keep an unchanged jar; mark it as built now
    rm -f "$CDS_ARCHIVE"   # belongs to the previous jar; the next start makes a new one
    log "built in $((SECONDS - t0)) s"
}

# Pid of the running launcher for this data folder, or nothing.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' < "$PID_FILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against pid reuse: it must be our launcher.
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'neo4j-launcher.jar' || return 1
    echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

# Authenticated Bolt round trip with the Python driver when it is importable,
# else a plain TCP connect.
bolt_answers() {
    if "$PYTHON" -c 'import neo4j' 2>/dev/null; then
        IRS_NEO4J_PASSWORD="$PASSWORD" "$PYTHON" - "$HOST" "$PORT" <<'PY' >/dev/null 2>&1
import os, sys
from neo4j import GraphDatabase
with GraphDatabase.driver(f"bolt://{sys.argv[1]}:{sys.argv[2]}",
                          auth=("neo4j", os.environ["IRS_NEO4J_PASSWORD"]),
                          connection_timeout=5) as d:
    d.verify_connectivity()
PY
    else
        port_open
    fi
}

tail_logs() {
    local f
    for f in "$OUT_FILE" "$DATA/logs/neo4j.log"; do
        if [[ -f "$f" ]]; then
            echo "----- tail of $f" >&2
            tail -n 30 "$f" >&2
        fi
    done
}

wait_gone() {
    local pid=$1 timeout=$2 t0=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        (( SECONDS - t0 >= timeout )) && return 1
        sleep 0.2
    done
    return 0
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        log "already running (pid $pid, bolt://$HOST:$PORT, data $DATA)"
        return 0
    fi
    [[ "$PORT" =~ ^[0-9]+$ ]] || die "IRS_NEO4J_PORT is not a number: $PORT"
    (( ${#PASSWORD} >= 8 )) || die "IRS_NEO4J_PASSWORD must have at least 8 characters"
    cmd_build
    if port_open; then
        die "port $HOST:$PORT is already in use (set IRS_NEO4J_PORT)"
    fi

    mkdir -p "$DATA/logs"
    rm -f "$PID_FILE" "$CDS_DUMP"
    local java cds=()
    java="$(java_bin)"
    if [[ "${IRS_NEO4J_CDS:-1}" != 0 ]]; then
        if cds_valid "$java" "$CDS_ARCHIVE"; then
            cds=("-XX:SharedArchiveFile=$CDS_ARCHIVE")
        else
            rm -f "$CDS_ARCHIVE"
            cds=("-XX:ArchiveClassesAtExit=$CDS_DUMP")
        fi
    fi
    # shellcheck disable=SC2086  # IRS_NEO4J_JAVA_OPTS is a list of options
    IRS_NEO4J_PASSWORD="$PASSWORD" nohup setsid "$java" \
        -Xms256m "-Xmx$HEAP" \
        -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+ExitOnOutOfMemoryError \
        -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true \
        -Dlog4j2.disable.jmx=true -Dfile.encoding=UTF-8 \
        -Xlog:disable "-Xlog:all=warning:file=\"$DATA/logs/jvm.log\":time,level,tags" \
        "${cds[@]}" ${IRS_NEO4J_JAVA_OPTS:-} \
        -jar "$JAR" --home "$DATA" --port "$PORT" \
        >"$OUT_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$PID_FILE"
    log "starting (pid $pid, bolt://$HOST:$PORT, data $DATA) ..."

    local t0=$SECONDS
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            log "the launcher exited during start"
            tail_logs
            exit 1
        fi
        if grep -q '^NEO4J READY' "$OUT_FILE" 2>/dev/null && bolt_answers; then
            break
        fi
        if (( SECONDS - t0 >= START_TIMEOUT )); then
            log "Bolt did not answer within ${START_TIMEOUT}s; stopping it"
            tail_logs
            kill -TERM "$pid" 2>/dev/null || true
            wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
            rm -f "$PID_FILE"
            exit 1
        fi
        sleep 0.5
    done
    log "ready in $((SECONDS - t0)) s: bolt://$HOST:$PORT (user neo4j, pid $pid)"
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        log "not running (data $DATA)"
        return 0
    fi
    log "stopping pid $pid ..."
    kill -TERM "$pid"
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
        log "still running after ${STOP_TIMEOUT}s; killing it (the store will be recovered on next start)"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || true
        rm -f "$PID_FILE"
        exit 1
    fi
    rm -f "$PID_FILE"
    if grep -q '^NEO4J STOPPED' "$OUT_FILE" 2>/dev/null; then
        log "stopped cleanly"
        install_cds_archive
    else
        log "stopped, but the launcher did not report a clean shutdown"
        tail_logs
        exit 1
    fi
}

# True when the JVM accepts this archive for the current jar, classpath and JDK
# (a quarter of a second; the JVM checks jar sizes and times itself).
cds_valid() {
    local java=$1 archive=$2
    [[ -s "$archive" && "$archive" -nt "$JAR" ]] || return 1
    "$java" "-XX:SharedArchiveFile=$archive" -XX:+PrintSharedArchiveAndExit \
        -jar "$JAR" >/dev/null 2>&1
}

# Move a class-data sharing archive dumped at JVM exit next to the jar
# (copy + rename, so a concurrent start never reads a half-written file).
install_cds_archive() {
    [[ -s "$CDS_DUMP" ]] || return 0
    if cds_valid "$(java_bin)" "$CDS_DUMP"; then
        local tmp="$CDS_ARCHIVE.tmp.$$"
        if cp "$CDS_DUMP" "$tmp" 2>/dev/null && mv -f "$tmp" "$CDS_ARCHIVE"; then
            log "class-data sharing archive saved: later starts are faster"
        fi
        rm -f "$tmp"
    else
        log "class-data sharing archive not usable; discarded"
    fi
    rm -f "$CDS_DUMP"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        if port_open; then
            echo "running: pid $pid, bolt://$HOST:$PORT, data $DATA"
        else
            echo "starting or unhealthy: pid $pid, bolt://$HOST:$PORT not answering, data $DATA"
        fi
        return 0
    fi
    echo "not running (data $DATA)"
    return 3
}

case "${1:-}" in
    build) cmd_build "${2:-}" ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 build [--force] | start | stop | restart | status" >&2
        exit 2
        ;;
esac
