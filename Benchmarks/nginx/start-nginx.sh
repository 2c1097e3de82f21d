#!/usr/bin/env bash
# Starts nginx with TLS 1.3 on 127.0.0.1 (a free port, or $1) for `bench idle`, in the foreground, from a
# temporary prefix (pid file, logs, temp paths under /tmp). Installs nginx-light (Debian) when nginx is
# missing, without starting the system service.
#
# Usage: Benchmarks/nginx/start-nginx.sh [port]
# Prints "ACCEPT 127.0.0.1:PORT" once nginx accepts connections, then waits for nginx; stop it by the PID of
# this script (SIGTERM is passed on) or by the PID in the printed pid file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    echo "start-nginx: installing nginx-light" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    # RUNLEVEL=1: the package's postinst must not start the system-wide nginx service.
    RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

port="${1:-}"
if [ -z "$port" ]; then
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
prefix="$(mktemp -d /tmp/tls13-nginx.XXXXXX)"
sed -e "s|@PORT@|$port|g" -e "s|@PREFIX@|$prefix|g" -e "s|@CERTS@|$root/Certs|g" \
    "$here/nginx.conf.in" > "$prefix/nginx.conf"

# Thousands of connections need as many descriptors: the soft limit up to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$NGINX" -p "$prefix" -e "$prefix/error.log" -c "$prefix/nginx.conf" &
pid=$!
trap 'trap "" TERM INT; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$prefix"' EXIT
trap 'exit 143' TERM INT
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "ACCEPT 127.0.0.1:$port"
        echo "nginx pid $pid, prefix $prefix" >&2
        wait "$pid"
        exit $?
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$prefix/error.log" >&2; exit 1; }
    sleep 0.1
done
echo "start-nginx: nginx did not start listening on $port" >&2
cat "$prefix/error.log" >&2
exit 1
