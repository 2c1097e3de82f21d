# Sourced by the scripts in Scripts/ that start servers: what each of them would otherwise write again.
#
#   source "$(dirname "$0")/lib.sh"
#
# After it: the working directory and $root are the repository; $work is a scratch directory removed on exit;
# every PID added to `pids` is killed and waited for on exit (servers are always stopped by PID); commands added to
# `cleanup_hooks` run after that (e.g. removing a git worktree); `fail MESSAGE` prints "NAME: MESSAGE" and exits 1;
# `wait_for_port LOG PID` prints the port a server announced. NAME is the script's file name without `.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
script_name="$(basename "$0" .sh)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tls13-$script_name.XXXXXX")"
pids=()
cleanup_hooks=()

cleanup() {
    trap "" TERM INT
    local pid hook
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "$script_name: $*" >&2
    exit 1
}

# wait_for_port LOG PID: prints the port of the first line of LOG that names one — `ACCEPT HOST:PORT` (openssl
# s_server, Benchmarks/bench-server, start-nginx.sh) or `PORT N` (Scripts/smtp-starttls-server.py) — as soon as the
# server (process PID) writes it. Returns 1, after printing LOG (and LOG.err if there is one) to stderr, when PID
# exits first or nothing comes within 30 s.
wait_for_port() {
    local log="$1" pid="$2" port
    for _ in $(seq 300); do
        port="$(sed -n -e 's/^ACCEPT [^ ]*:\([0-9][0-9]*\).*/\1/p' -e 's/^PORT \([0-9][0-9]*\).*/\1/p' "$log" 2>/dev/null | head -1)"
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$script_name: the server writing $log did not start:" >&2
    cat "$log" >&2 2>/dev/null || true
    [ -f "$log.err" ] && cat "$log.err" >&2
    return 1
}
