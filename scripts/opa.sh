#!/usr/bin/env bash
# Local Open Policy Agent (OPA) for IRS development and tests.
#
# Usage:
#   scripts/opa.sh install        build OPA v1.22.3 with `go install` (cached), print binary path
#   scripts/opa.sh path           print the binary path (installs first if needed)
#   scripts/opa.sh start DIR...   run `opa run --server` on 127.0.0.1 with the policy/data DIR(s)
#   scripts/opa.sh stop           stop the server started by `start`
#   scripts/opa.sh status         print state; exit 0 if running and healthy, 3 otherwise
#   scripts/opa.sh url            print the server base URL (http://127.0.0.1:PORT)
#
# Environment:
#   IRS_TOOLS_DIR           tool cache root          (default: $HOME/.cache/irs/tools)
#   IRS_OPA_PORT            listen port              (default: 8181)
#   IRS_OPA_STATE           pid/log directory        (default: <repo>/.services/opa)
#   IRS_OPA_START_TIMEOUT   seconds to wait for /health (default: 30)
#   GO                      go binary                (default: `go` on PATH, else /usr/local/go/bin/go)
#
# Only the binary path / URL goes to stdout; progress and errors go to stderr.
set -euo pipefail

OPA_VERSION="1.22.3"
OPA_MODULE="github.com/open-policy-agent/opa"

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd -P)"

TOOLS_DIR="${IRS_TOOLS_DIR:-${HOME:-/root}/.cache/irs/tools}"
OPA_BIN_DIR="${TOOLS_DIR}/opa-v${OPA_VERSION}/bin"
OPA_BIN="${OPA_BIN_DIR}/opa"
OPA_PORT="${IRS_OPA_PORT:-8181}"
OPA_HOST="127.0.0.1"
STATE_DIR="${IRS_OPA_STATE:-${REPO_ROOT}/.services/opa}"
START_TIMEOUT="${IRS_OPA_START_TIMEOUT:-30}"

PID_FILE="${STATE_DIR}/opa.pid"
PORT_FILE="${STATE_DIR}/opa.port"
ARGS_FILE="${STATE_DIR}/opa.args"
LOG_FILE="${STATE_DIR}/opa.log"

log() { printf 'opa.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

# Serialise concurrent invocations (e.g. parallel test workers) on a lock file.
with_lock() {
    local lockfile="$1"
    shift
    mkdir -p -- "$(dirname -- "${lockfile}")"
    if command -v flock >/dev/null 2>&1; then
        (
            flock -w 1800 9 || die "timed out waiting for lock ${lockfile}"
            # Run with fd 9 closed so daemons started here do not inherit (and hold) the lock.
            "$@" 9>&-
        ) 9>"${lockfile}"
    else
        "$@"
    fi
}

find_go() {
    if [[ -n "${GO:-}" ]]; then
        printf '%s\n' "${GO}"
    elif command -v go >/dev/null 2>&1; then
        command -v go
    elif [[ -x /usr/local/go/bin/go ]]; then
        printf '%s\n' /usr/local/go/bin/go
    else
        die "go not found (set GO=/path/to/go)"
    fi
}

opa_is_current() {
    [[ -x "${OPA_BIN}" ]] || return 1
    local out
    out="$("${OPA_BIN}" version 2>/dev/null)" || return 1
    grep -Eq "^Version: v?${OPA_VERSION//./\\.}\$" <<<"${out}"
}

do_install() {
    if opa_is_current; then
        return 0
    fi
    local go
    go="$(find_go)"
    mkdir -p -- "${OPA_BIN_DIR}"
    log "building ${OPA_MODULE}@v${OPA_VERSION} with $("${go}" version) (this can take several minutes)..."
    local start=${SECONDS}
    # GOBIN selects the output directory; Go's default module and build caches
    # (GOMODCACHE / GOCACHE) are reused as configured in the environment.
    if ! GOBIN="${OPA_BIN_DIR}" "${go}" install "${OPA_MODULE}@v${OPA_VERSION}"; then
        log "go install failed; retrying with CGO_ENABLED=0"
        GOBIN="${OPA_BIN_DIR}" CGO_ENABLED=0 "${go}" install "${OPA_MODULE}@v${OPA_VERSION}" \
            || die "go install ${OPA_MODULE}@v${OPA_VERSION} failed"
    fi
    opa_is_current || die "built ${OPA_BIN} but 'opa version' does not report ${OPA_VERSION}"
    log "built OPA v${OPA_VERSION} in $((SECONDS - start))s"
}

cmd_install() {
    with_lock "${TOOLS_DIR}/.opa-v${OPA_VERSION}.lock" do_install
    printf '%s\n' "${OPA_BIN}"
}

# pid of our running OPA server, or failure.
running_pid() {
    [[ -f "${PID_FILE}" ]] || return 1
    local pid
    pid="$(<"${PID_FILE}")"
    [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
    kill -0 "${pid}" 2>/dev/null || return 1
    # Guard against pid reuse: the process must be an opa binary.
    local exe
    exe="$(readlink "/proc/${pid}/exe" 2>/dev/null || true)"
    if [[ -n "${exe}" ]]; then
        [[ "$(basename -- "${exe% (deleted)}")" == "opa" ]] || return 1
    fi
    printf '%s\n' "${pid}"
}

running_port() {
    if [[ -f "${PORT_FILE}" ]]; then cat -- "${PORT_FILE}"; else printf '%s\n' "${OPA_PORT}"; fi
}

healthy() {
    curl -fsS -o /dev/null --max-time 2 "http://${OPA_HOST}:$1/health" 2>/dev/null
}

do_start() {
    local -a dirs=()
    local d
    for d in "$@"; do
        [[ -e "${d}" ]] || die "policy path not found: ${d}"
        dirs+=("$(cd -- "$(dirname -- "${d}")" && pwd -P)/$(basename -- "${d}")")
    done
    local want
    want="$(printf '%s\n' "${OPA_PORT}" "${dirs[@]}")"

    local pid
    if pid="$(running_pid)"; then
        if [[ "$(cat -- "${ARGS_FILE}" 2>/dev/null || true)" == "${want}" ]] && healthy "$(running_port)"; then
            log "already running (pid ${pid}) on ${OPA_HOST}:$(running_port)"
            return 0
        fi
        die "an OPA server (pid ${pid}, port $(running_port)) is already running with different arguments; run '$0 stop' first"
    fi
    rm -f -- "${PID_FILE}" "${PORT_FILE}" "${ARGS_FILE}"

    if healthy "${OPA_PORT}"; then
        die "something else already answers on ${OPA_HOST}:${OPA_PORT}/health (set IRS_OPA_PORT)"
    fi

    do_install
    : >"${LOG_FILE}"
    # setsid: detach from the caller's session so the server outlives this shell.
    setsid "${OPA_BIN}" run --server \
        --addr "${OPA_HOST}:${OPA_PORT}" \
        --log-level error \
        --skip-version-check \
        "${dirs[@]}" \
        </dev/null >>"${LOG_FILE}" 2>&1 &
    pid=$!
    printf '%s\n' "${pid}" >"${PID_FILE}"
    printf '%s\n' "${OPA_PORT}" >"${PORT_FILE}"
    printf '%s\n' "${want}" >"${ARGS_FILE}"

    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "${pid}" 2>/dev/null; then
            log "OPA exited during startup; log tail (${LOG_FILE}):"
            tail -n 30 -- "${LOG_FILE}" >&2 || true
            rm -f -- "${PID_FILE}" "${PORT_FILE}" "${ARGS_FILE}"
            exit 1
        fi
        if healthy "${OPA_PORT}"; then
            log "started (pid ${pid}) on http://${OPA_HOST}:${OPA_PORT} serving ${dirs[*]}"
            return 0
        fi
        sleep 0.2
    done
    log "OPA did not become healthy within ${START_TIMEOUT}s; log tail (${LOG_FILE}):"
    tail -n 30 -- "${LOG_FILE}" >&2 || true
    kill "${pid}" 2>/dev/null || true
    rm -f -- "${PID_FILE}" "${PORT_FILE}" "${ARGS_FILE}"
    exit 1
}

cmd_start() {
    (($# >= 1)) || die "usage: $0 start DIR [DIR...]"
    mkdir -p -- "${STATE_DIR}"
    with_lock "${STATE_DIR}/opa.lock" do_start "$@"
}

do_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f -- "${PID_FILE}" "${PORT_FILE}" "${ARGS_FILE}"
        log "not running"
        return 0
    fi
    kill -TERM "${pid}" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "${pid}" 2>/dev/null; then
        log "pid ${pid} did not exit after SIGTERM; sending SIGKILL"
        kill -KILL "${pid}" 2>/dev/null || true
    fi
    rm -f -- "${PID_FILE}" "${PORT_FILE}" "${ARGS_FILE}"
    log "stopped (pid ${pid})"
}

cmd_stop() {
    [[ -d "${STATE_DIR}" ]] || { log "not running"; return 0; }
    with_lock "${STATE_DIR}/opa.lock" do_stop
}

cmd_status() {
    local pid port
    if pid="$(running_pid)"; then
        port="$(running_port)"
        if healthy "${port}"; then
            echo "running pid=${pid} url=http://${OPA_HOST}:${port} healthy=yes"
            return 0
        fi
        echo "running pid=${pid} url=http://${OPA_HOST}:${port} healthy=no"
        return 3
    fi
    echo "stopped"
    return 3
}

cmd_url() {
    printf 'http://%s:%s\n' "${OPA_HOST}" "$(running_pid >/dev/null && running_port || printf '%s' "${OPA_PORT}")"
}

main() {
    local cmd="${1:-}"
    (($# > 0)) && shift
    case "${cmd}" in
        install) cmd_install ;;
        path)
            with_lock "${TOOLS_DIR}/.opa-v${OPA_VERSION}.lock" do_install
            printf '%s\n' "${OPA_BIN}"
            ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        url) cmd_url ;;
        -h | --help | help) usage ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"
