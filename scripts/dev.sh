#!/usr/bin/env bash
# Set up and run thidua on Debian 12 (as root, or with sudo). Safe to re-run.
#
#   bash scripts/dev.sh run     install, migrate, load demo data, serve on http://127.0.0.1:${PORT:-5000}
#   bash scripts/dev.sh test    install (plus chromium), `ruff check .`, `python -m pytest [ARGS...]`
#
# Each step is skipped when already done: Debian packages are checked with dpkg-query, and the
# Python dependencies are reinstalled only when pyproject.toml (or the interpreter) changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMP="$VENV/.thidua-install-stamp"

# What WeasyPrint (Pango, HarfBuzz subsetting), the Vietnamese-capable fonts and PDF checks need.
RUNTIME_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 poppler-utils)
# Browser tests drive Debian's chromium (never `playwright install`); zbar-tools reads QR codes.
TEST_PACKAGES=(chromium zbar-tools)

log() { printf '\033[1m[dev.sh]\033[0m %s\n' "$*" >&2; }
die() { printf '[dev.sh] error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

missing_debs() {
    local pkg
    for pkg in "$@"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != "installed" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

ensure_debs() {
    local missing
    mapfile -t missing < <(missing_debs "$@")
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "installing Debian packages: ${missing[*]}"
    # stdout goes to stderr: find_python's caller reads this function's stdout.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# The interpreter the virtualenv is built from: python3 on PATH (pyenv here, Debian's elsewhere).
find_python() {
    local py
    py="$(command -v python3 || true)"
    if [[ -n "$py" ]] && "$py" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        printf '%s\n' "$py"
        return 0
    fi
    ensure_debs python3 python3-venv python3-pip
    py="$(command -v python3 || true)"
    [[ -n "$py" ]] || die "python3 not found after installing it"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "thidua needs Python >= 3.11 (found $("$py" -V))"
    printf '%s\n' "$py"
}

ensure_venv() {
    if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        return 0
    fi
    local py
    py="$(find_python)"
    log "creating $VENV with $("$py" -V 2>&1)"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
}

ensure_python_deps() {
    local want
    want="$( { sha256sum pyproject.toml; "$VENV/bin/python" -VV; } | sha256sum | cut -d' ' -f1)"
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
        return 0
    fi
    log "installing Python dependencies (pip install -e '.[dev]')"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    printf '%s\n' "$want" >"$STAMP"
}

install() {
    ensure_debs "${RUNTIME_PACKAGES[@]}" "$@"
    ensure_venv
    ensure_python_deps
    export PATH="$VENV/bin:$PATH"
    export VIRTUAL_ENV="$VENV"
}

cmd_run() {
    install
    log "migrating the database"
    flask --app wsgi db upgrade
    flask --app wsgi thidua seed-demo
    local port="${PORT:-5000}"
    log "serving on http://127.0.0.1:$port (Ctrl+C to stop)"
    exec flask --app wsgi run --host 127.0.0.1 --port "$port"
}

cmd_test() {
    install "${TEST_PACKAGES[@]}"
    if [[ ! -x /usr/bin/chromium ]]; then
        if [[ "${CI:-}" == "true" ]]; then
            die "/usr/bin/chromium is missing: the browser tests cannot run under CI"
        fi
        log "warning: /usr/bin/chromium is missing; browser tests will be skipped"
    fi
    log "ruff check ."
    ruff check .
    log "python -m pytest $*"
    exec python -m pytest "$@"
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    *)
        echo "usage: bash scripts/dev.sh run          # install, migrate, seed demo data, serve on :\${PORT:-5000}" >&2
        echo "       bash scripts/dev.sh test [ARGS]  # install, ruff check ., python -m pytest ARGS" >&2
        exit 2
        ;;
esac
