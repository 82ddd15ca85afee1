#!/usr/bin/env bash
# Local PostgreSQL for IRS development and tests (Debian's `postgresql` package,
# private cluster, loopback only).
#
# Usage:
#   scripts/postgres.sh install       apt-get install postgresql if the server binaries are missing
#   scripts/postgres.sh start         initdb (once), start, ensure role/databases, print the URL
#   scripts/postgres.sh stop          pg_ctl stop -m fast
#   scripts/postgres.sh status        print state; exit 0 if accepting connections, 3 otherwise
#   scripts/postgres.sh url [DB]      print postgresql+psycopg://irs:...@127.0.0.1:PORT/DB (DB default: irs)
#
# Environment:
#   IRS_PG_DATA       cluster directory            (default: <repo>/.services/postgres)
#   IRS_PG_PORT       TCP port on 127.0.0.1        (default: 55432)
#   IRS_PG_PASSWORD   password of role "irs"       (default: irs-dev-password)
#   IRS_PG_BIN        server bin dir               (default: newest /usr/lib/postgresql/*/bin)
#   IRS_PG_DURABLE    1 = keep fsync on            (default: 0, fsync/synchronous_commit off for speed)
#
# The cluster has role "irs" (LOGIN, CREATEDB) owning databases "irs" and "irs_test".
# TCP (127.0.0.1 only) uses scram-sha-256; the unix socket (inside the data dir, or
# /tmp if that path is too long) uses peer auth for the cluster's OS owner.
# When run as root, the cluster is owned by and runs as the "postgres" OS user.
# Only the URL goes to stdout; progress and errors go to stderr.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd -P)"

PG_DATA="${IRS_PG_DATA:-${REPO_ROOT}/.services/postgres}"
PG_PORT="${IRS_PG_PORT:-55432}"
PG_PASSWORD="${IRS_PG_PASSWORD:-irs-dev-password}"
PG_HOST="127.0.0.1"
APP_ROLE="irs"
APP_DBS=(irs irs_test)
START_TIMEOUT=30

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

# Make PG_DATA absolute (relative values are taken relative to the caller's cwd).
case "${PG_DATA}" in
    /*) ;;
    *) PG_DATA="${PWD}/${PG_DATA}" ;;
esac
PG_DATA="${PG_DATA%/}"
LOG_FILE="${PG_DATA}/server.log"
LOCK_FILE="$(dirname -- "${PG_DATA}")/.$(basename -- "${PG_DATA}").lock"

is_root() { [[ "${EUID}" -eq 0 ]]; }

# OS user that owns/runs the cluster.
if is_root; then PG_OS_USER="postgres"; else PG_OS_USER="$(id -un)"; fi

# Run a command as the cluster owner, from a cwd it can read.
as_pg() {
    if is_root; then
        (cd / && runuser -u "${PG_OS_USER}" -- "$@")
    else
        (cd / && "$@")
    fi
}

find_pg_bin() {
    if [[ -n "${IRS_PG_BIN:-}" ]]; then
        [[ -x "${IRS_PG_BIN}/postgres" ]] || return 1
        printf '%s\n' "${IRS_PG_BIN}"
        return 0
    fi
    local d
    d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null \
        | sort -V | while read -r b; do [[ -x "${b}/postgres" && -x "${b}/initdb" ]] && echo "${b}"; done \
        | tail -n 1)"
    [[ -n "${d}" ]] || return 1
    printf '%s\n' "${d}"
}

with_lock() {
    mkdir -p -- "$(dirname -- "${LOCK_FILE}")"
    if command -v flock >/dev/null 2>&1; then
        (
            flock -w 300 9 || die "timed out waiting for lock ${LOCK_FILE}"
            # Run with fd 9 closed so daemons started here do not inherit (and hold) the lock.
            "$@" 9>&-
        ) 9>"${LOCK_FILE}"
    else
        "$@"
    fi
}

cmd_install() {
    if find_pg_bin >/dev/null; then
        return 0
    fi
    local -a sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 || die "PostgreSQL is not installed and we are not root (no sudo)"
        sudo=(sudo)
    fi
    log "installing Debian package 'postgresql' (apt-get)..."
    local start=${SECONDS}
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Use-Pty=0 postgresql >/dev/null
    find_pg_bin >/dev/null || die "postgresql installed but no server binaries under /usr/lib/postgresql/*/bin"
    log "installed in $((SECONDS - start))s ($(find_pg_bin))"
}

# Make sure the cluster owner can reach and own PG_DATA.
prepare_data_dir() {
    mkdir -p -- "${PG_DATA}"
    if is_root; then
        chown "${PG_OS_USER}:" -- "${PG_DATA}"
        # Every ancestor must be searchable (x) by the postgres user.
        local dir
        dir="$(dirname -- "${PG_DATA}")"
        while :; do
            if ! runuser -u "${PG_OS_USER}" -- test -x "${dir}"; then
                log "granting o+x on ${dir} so '${PG_OS_USER}' can reach ${PG_DATA}"
                chmod o+x -- "${dir}"
            fi
            [[ "${dir}" == "/" ]] && break
            dir="$(dirname -- "${dir}")"
        done
        as_pg test -w "${PG_DATA}" || die "${PG_OS_USER} cannot write ${PG_DATA}"
    fi
    chmod 700 -- "${PG_DATA}"
}

# Unix socket dir: inside the data dir unless the socket path would exceed
# the ~107 byte sun_path limit.
socket_dir() {
    local candidate="${PG_DATA}"
    if ((${#candidate} + 20 > 100)); then candidate="/tmp"; fi
    printf '%s\n' "${candidate}"
}

conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

write_config() {
    local sock
    sock="$(socket_dir)"
    # Regenerated on every start so IRS_PG_PORT changes take effect.
    as_pg tee "${PG_DATA}/irs.conf" >/dev/null <<EOF
# Managed by scripts/postgres.sh -- rewritten on every start.
listen_addresses = '${PG_HOST}'
port = ${PG_PORT}
unix_socket_directories = $(conf_quote "${sock}")
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
EOF
    if [[ "${IRS_PG_DURABLE:-0}" != "1" ]]; then
        # Throwaway dev/test cluster: trade crash-safety for speed.
        printf '%s\n' "fsync = off" "synchronous_commit = off" "full_page_writes = off" \
            | as_pg tee -a "${PG_DATA}/irs.conf" >/dev/null
    fi
    as_pg tee "${PG_DATA}/pg_hba.conf" >/dev/null <<EOF
# Managed by scripts/postgres.sh -- rewritten on every start.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
EOF
    if ! grep -q "^include_if_exists = 'irs.conf'" "${PG_DATA}/postgresql.conf"; then
        printf "\ninclude_if_exists = 'irs.conf'\n" | as_pg tee -a "${PG_DATA}/postgresql.conf" >/dev/null
    fi
}

# postmaster.pid line 4 = port, line 5 = socket dir.
pid_field() { sed -n "${1}p" "${PG_DATA}/postmaster.pid" 2>/dev/null; }

is_running() {
    local bin
    bin="$(find_pg_bin)" || return 1
    [[ -f "${PG_DATA}/PG_VERSION" ]] || return 1
    as_pg "${bin}/pg_ctl" status -D "${PG_DATA}" >/dev/null 2>&1
}

current_port() {
    local p=""
    if is_running; then p="$(pid_field 4)"; fi
    printf '%s\n' "${p:-${PG_PORT}}"
}

urlencode() {
    local LC_ALL=C
    local s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "${c}" in
            [a-zA-Z0-9.~_-]) out+="${c}" ;;
            *) out+="$(printf '%%%02X' "'${c}")" ;;
        esac
    done
    printf '%s' "${out}"
}

db_url() {
    printf 'postgresql+psycopg://%s:%s@%s:%s/%s\n' \
        "${APP_ROLE}" "$(urlencode "${PG_PASSWORD}")" "${PG_HOST}" "$(current_port)" "${1:-irs}"
}

admin_psql() {
    local bin="$1"
    shift
    as_pg "${bin}/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pid_field 5)" -p "$(pid_field 4)" \
        -U "${PG_OS_USER}" -d postgres "$@"
}

ensure_role_and_dbs() {
    local bin="$1" dbs
    dbs="$(IFS=,; printf '%s' "${APP_DBS[*]}")"
    admin_psql "${bin}" -v role="${APP_ROLE}" -v pw="${PG_PASSWORD}" -v dbs="${dbs}" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB NOSUPERUSER PASSWORD %L', :'role', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', d, :'role')
  FROM unnest(string_to_array(:'dbs', ',')) AS d
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', d, :'role')
  FROM unnest(string_to_array(:'dbs', ',')) AS d \gexec
SQL
}

do_start() {
    cmd_install
    local bin
    bin="$(find_pg_bin)" || die "PostgreSQL server binaries not found"

    if is_running; then
        log "already running (pid $(pid_field 1)) on ${PG_HOST}:$(pid_field 4), data ${PG_DATA}"
        if [[ "$(pid_field 4)" != "${PG_PORT}" ]]; then
            log "warning: running on port $(pid_field 4), not IRS_PG_PORT=${PG_PORT}; run stop/start to change it"
        fi
    else
        prepare_data_dir
        if [[ ! -f "${PG_DATA}/PG_VERSION" ]]; then
            log "initdb ${PG_DATA} ($(basename -- "$(dirname -- "${bin}")"))"
            as_pg "${bin}/initdb" -D "${PG_DATA}" -U "${PG_OS_USER}" -E UTF8 --locale=C.UTF-8 \
                --auth-local=peer --auth-host=scram-sha-256 --no-instructions >/dev/null \
                || die "initdb failed"
        fi
        write_config
        as_pg rm -f -- "${LOG_FILE}"
        log "starting on ${PG_HOST}:${PG_PORT}"
        if ! as_pg "${bin}/pg_ctl" start -D "${PG_DATA}" -l "${LOG_FILE}" -w -t "${START_TIMEOUT}" >/dev/null; then
            log "pg_ctl start failed; log tail (${LOG_FILE}):"
            tail -n 30 -- "${LOG_FILE}" >&2 || true
            exit 1
        fi
    fi

    local i
    for ((i = 0; i < START_TIMEOUT * 5; i++)); do
        if "${bin}/pg_isready" -q -h "${PG_HOST}" -p "$(pid_field 4)" -d postgres; then break; fi
        sleep 0.2
    done
    "${bin}/pg_isready" -q -h "${PG_HOST}" -p "$(pid_field 4)" -d postgres \
        || { tail -n 30 -- "${LOG_FILE}" >&2 || true; die "server not ready on ${PG_HOST}:$(pid_field 4)"; }

    ensure_role_and_dbs "${bin}"
    db_url irs
}

cmd_start() { with_lock do_start; }

do_stop() {
    local bin
    if ! bin="$(find_pg_bin)" || ! is_running; then
        log "not running"
        return 0
    fi
    as_pg "${bin}/pg_ctl" stop -D "${PG_DATA}" -m fast -w -t 60 >/dev/null
    log "stopped"
}

cmd_stop() { with_lock do_stop; }

cmd_status() {
    local bin
    if ! bin="$(find_pg_bin)"; then
        echo "not installed"
        return 3
    fi
    if [[ ! -f "${PG_DATA}/PG_VERSION" ]]; then
        echo "no cluster at ${PG_DATA}"
        return 3
    fi
    if ! is_running; then
        echo "stopped data=${PG_DATA}"
        return 3
    fi
    local port
    port="$(pid_field 4)"
    if "${bin}/pg_isready" -q -h "${PG_HOST}" -p "${port}" -d postgres; then
        echo "running pid=$(pid_field 1) addr=${PG_HOST}:${port} data=${PG_DATA} ready=yes"
        return 0
    fi
    echo "running pid=$(pid_field 1) addr=${PG_HOST}:${port} data=${PG_DATA} ready=no"
    return 3
}

main() {
    local cmd="${1:-}"
    (($# > 0)) && shift
    case "${cmd}" in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        url) db_url "${1:-irs}" ;;
        -h | --help | help) usage ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"
