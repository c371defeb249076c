#!/usr/bin/env bash
# A local Neo4j 5.26 LTS community DBMS for the tests and for development, built from Maven
# Central artifacts (scripts/neo4j/pom.xml and one launcher class; no Docker, no other download).
#
#   eval "$(bash scripts/neo4j.sh start)"   # start (or find running) and export NEO4J_URI/USER/PASSWORD
#   bash scripts/neo4j.sh status            # "running ..." (exit 0) or "stopped" (exit 3)
#   bash scripts/neo4j.sh stop              # stop it; nothing is left running
#
# Bolt listens on 127.0.0.1 only, authentication is on, APOC core is registered. Everything lives
# in NEO4J_HOME_DIR (default relex-data/neo4j): the password generated on the first start
# (password, mode 600), the Bolt port (port; NEO4J_BOLT_PORT picks one, otherwise a free port is
# chosen once and kept), the database (data/), the logs (logs/) and the Maven build (build/).
# NEO4J_HEAP bounds the JVM heap (default 1g), NEO4J_PAGECACHE the page cache (256m; the store
# files it holds), NEO4J_START_TIMEOUT the wait for Bolt (180 s).
# Only the `export` lines go to stdout; messages go to stderr and the server's output to logs/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${NEO4J_HOME_DIR:-$root/relex-data/neo4j}
mkdir -p "$home/logs"
home=$(cd "$home" && pwd)
build=$home/build
logs=$home/logs
pid_file=$home/pid
heap=${NEO4J_HEAP:-1g}
page_cache=${NEO4J_PAGECACHE:-256m}
timeout=${NEO4J_START_TIMEOUT:-180}
main_class=relex.neo4j.Server

say() { echo "neo4j.sh: $*" >&2; }

running_pid() {
    # The server's PID when it is running from this home folder, else nothing.
    local pid
    [ -f "$pid_file" ] || return 1
    pid=$(cat "$pid_file")
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$main_class $home " || return 1
    echo "$pid"
}

build_launcher() {
    # Compile the launcher and resolve the classpath once per version of its sources.
    local key
    key=$(cat "$root/scripts/neo4j/pom.xml" "$root"/scripts/neo4j/src/main/java/relex/neo4j/*.java |
        sha256sum | cut -c1-16)
    [ -f "$build/built-$key" ] && return 0
    command -v java >/dev/null || { say "java is not installed (Java 17 or later is needed)"; exit 1; }
    command -v mvn >/dev/null || { say "mvn is not installed (Maven builds the server)"; exit 1; }
    say "building the server with Maven (the first time downloads about 160 MB into ~/.m2)"
    rm -rf "$build"
    if ! mvn -B -q -f "$root/scripts/neo4j/pom.xml" "-Dlauncher.build=$build" compile \
        >"$logs/build.log" 2>&1; then
        say "the Maven build failed; the end of $logs/build.log:"
        tail -n 30 "$logs/build.log" >&2
        exit 1
    fi
    touch "$build/built-$key"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_is_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is free
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

bolt_answers() {
    # A Bolt handshake: the magic preamble and four versions; a server answers with the version
    # it picked (non-zero).
    python3 - "$1" <<'EOF'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
        s.sendall(bytes.fromhex("6060b017" "00000405" "00000404" "00000004" "00000003"))
        answer = s.recv(4)
except OSError:
    sys.exit(1)
sys.exit(0 if len(answer) == 4 and answer != b"\0\0\0\0" else 1)
EOF
}

print_exports() {
    printf 'export NEO4J_URI=%q NEO4J_USER=neo4j NEO4J_PASSWORD=%q\n' \
        "bolt://127.0.0.1:$(cat "$home/port")" "$(cat "$home/password")"
}

start() {
    if running_pid >/dev/null; then
        print_exports
        return 0
    fi
    build_launcher
    if [ ! -s "$home/password" ]; then
        if [ -d "$home/data/databases/system" ]; then
            say "$home/data exists but its password file is missing; delete $home/data to start afresh"
            exit 1
        fi
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$home/password")
    fi
    local port=${NEO4J_BOLT_PORT:-}
    if [ -z "$port" ]; then
        port=$(cat "$home/port" 2>/dev/null || true)
        if [ -z "$port" ] || ! port_is_free "$port"; then
            port=$(free_port)
        fi
    elif ! port_is_free "$port"; then
        say "port $port (NEO4J_BOLT_PORT) is already in use on 127.0.0.1"
        exit 1
    fi
    echo "$port" >"$home/port"
    rm -f "$home/ready"
    [ -f "$logs/server.log" ] && mv "$logs/server.log" "$logs/server.log.1"
    local started=$SECONDS
    # The JVM options a Neo4j server installation uses that matter here.
    setsid java "-Xmx$heap" -Xms256m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        -XX:-OmitStackTraceInFastThrow -Djdk.nio.maxCachedBufferSize=1024 \
        -Dio.netty.tryReflectionSetAccessible=true -Dlog4j2.disable.jmx=true \
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED "-Drelex.neo4j.pagecache=$page_cache" \
        -cp "$build/classes:$(cat "$build/classpath.txt")" \
        "$main_class" "$home" "$port" "$home/password" "$build/plugins" \
        </dev/null >"$logs/server.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$pid_file"
    until [ -f "$home/ready" ] && bolt_answers "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$pid_file"
            say "the server exited while starting; the end of $logs/server.log:"
            tail -n 30 "$logs/server.log" >&2
            exit 1
        fi
        if [ $((SECONDS - started)) -ge "$timeout" ]; then
            say "Bolt did not answer on port $port within ${timeout} s; stopping it (see $logs/)"
            stop
            exit 1
        fi
        sleep 0.5
    done
    say "Neo4j is up on bolt://127.0.0.1:$port after $((SECONDS - started)) s (PID $pid)"
    print_exports
}

stop() {
    local pid
    if ! pid=$(running_pid); then
        rm -f "$pid_file" "$home/ready"
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 120); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "the server (PID $pid) did not stop within 60 s; killing it"
        kill -KILL "$pid"
    fi
    rm -f "$pid_file" "$home/ready"
}

status() {
    local pid
    if pid=$(running_pid); then
        echo "running: PID $pid, bolt://127.0.0.1:$(cat "$home/port"), home $home"
    else
        echo "stopped"
        return 3
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    say "usage: bash scripts/neo4j.sh start|stop|status"
    exit 2
    ;;
esac
