# Start a throw-away PostgreSQL server on 127.0.0.1 for tests and benchmarks; stop it on exit.
# Usage: source scripts/lib/postgres.sh; pg_start; … "$PG_URL" …; pg_stop

pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_start() {
    local bin port
    bin="$(pg_bin)"
    [ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
    PG_DIR="$(mktemp -d /tmp/accord-pg.XXXXXX)"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    local run=()
    if [ "$(id -u)" = 0 ]; then
        # The server refuses to run as root; use the postgres system account.
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$PG_DIR"
        chmod 700 "$PG_DIR"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U accord --auth=trust -E UTF8 >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o \
        "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    PG_RUN=("${run[@]}")
    PG_URL="postgres://accord@127.0.0.1:$port/accord"
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U accord accord
    export PG_URL PG_DIR
    trap pg_stop EXIT
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        "${PG_RUN[@]}" "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
    PG_DIR=""
}
