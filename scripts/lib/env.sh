# Shared by scripts/: find a Python >= 3.12 and prepare the project's virtual environment.
# Usage: source scripts/lib/env.sh; ensure_venv [extras]

find_python() {
    local candidate
    for candidate in "${ACCORD_PYTHON:-}" python3.13 python3.12 python3 \
        "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V | tail -1)"; do
        [ -n "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
            command -v "$candidate" || echo "$candidate"
            return 0
        fi
    done
    echo "Accord needs Python 3.12 or newer (Django 6 requires it); none was found." >&2
    echo "Install one (e.g. 'apt-get install python3.12' or pyenv) or set ACCORD_PYTHON." >&2
    return 1
}

ensure_venv() {
    local extras="${1:-}"
    local venv="${ACCORD_VENV:-.venv}"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
        rm -rf "$venv"
        "$(find_python)" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    # pip warns about every package index folder configured on this machine but absent; the
    # filter keeps those lines out of the log (pipefail keeps pip's exit status).
    local target=(.)
    if [ -n "$extras" ]; then target=(-e ".[$extras]"); fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${target[@]}" 2>&1 \
        | sed '/^WARNING: Location .* is ignored/d'
    local status="${PIPESTATUS[0]}"
    [ "$status" = 0 ] || return "$status"
    export PATH="$PWD/$venv/bin:$PATH"
}
