#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/browser/), from Debian's packages.
#
# Usage: scripts/browser.sh     install what is missing, then print Chromium's version
#
# Installs, only when missing (idempotent; a second run changes nothing):
#   chromium             the browser, at /usr/bin/chromium
#   fonts-wqy-microhei   a small CJK font (1.6 MB), only when no Chinese font is installed,
#                        so the pages' Chinese text is legible in screenshots
# Needs root or sudo to install. The tests drive this system binary with Playwright for
# Python; `playwright install` (which downloads browsers from the internet) is never used.
#
# Environment:
#   IRS_CHROMIUM   path of the browser binary (default /usr/bin/chromium)
set -euo pipefail

CHROMIUM="${IRS_CHROMIUM:-/usr/bin/chromium}"

log() { printf 'browser.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

has_cjk_font() {
    command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]]
}

missing=()
[[ -x "${CHROMIUM}" ]] || missing+=(chromium)
has_cjk_font || missing+=(fonts-wqy-microhei)

if ((${#missing[@]})); then
    sudo=()
    if [[ "${EUID}" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need ${missing[*]} but we are not root (no sudo)"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "no apt-get: install ${missing[*]} yourself (and set IRS_CHROMIUM)"
    log "installing Debian package(s) ${missing[*]} (apt-get)..."
    start=${SECONDS}
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
    [[ -x "${CHROMIUM}" ]] || die "chromium installed but ${CHROMIUM} is missing"
    log "installed in $((SECONDS - start))s"
fi

# Only the version goes to stdout.
"${CHROMIUM}" --version 2>/dev/null || die "${CHROMIUM} does not run"
