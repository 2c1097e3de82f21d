#!/usr/bin/env bash
# Builds Examples/ — a package of its own that depends on this one by path, so only the public API is reachable —
# and runs each example against a local server on a free loopback port, checking what it prints:
#
#   https-get    an HTTPS GET with the async API (under 25 lines)     openssl s_server -www
#   fetch-many   four URLs fetched concurrently                        openssl s_server -www
#   starttls     SMTP STARTTLS on a socket the example connected       Scripts/smtp-starttls-server.py
#   engine-pump  TLSClientEngine pumped over a socket by a few lines   openssl s_server -www
#   client-cert  a client-certificate login, chain and key in memory  openssl s_server -Verify 1 -www
#   nio-http-client  an HTTP/1.1 GET with SwiftNIO (TLS13NIO)         openssl s_server -www -alpn http/1.1
#
#   Scripts/examples.sh
#
# Servers are stopped by PID on exit. Exits non-zero when a build, a run or a check fails. CI runs it (.ci/run).
source "$(dirname "$0")/lib.sh"
certs="$root/Certs"

(cd Examples && swift build 2>&1 | grep -E "error|warning:|Compiling|Build complete" | tail -5)
bin="$(cd Examples && swift build --show-bin-path)"
for example in https-get fetch-many starttls engine-pump client-cert nio-http-client; do
    [ -x "$bin/$example" ] || fail "Examples did not build $example"
done

# Starts a server whose output goes to $work/NAME.log, and sets `port` from the line announcing it.
start() {
    local name="$1"; shift
    "$@" >"$work/$name.log" 2>&1 </dev/null &
    pids+=("$!")
    port="$(wait_for_port "$work/$name.log" "$!")" || fail "$name did not start"
}

# Runs an example with a time limit; its output is in $work/NAME.out.
run() {
    local name="$1"; shift
    if ! timeout 60 "$bin/$name" "$@" >"$work/$name.out" 2>&1; then
        cat "$work/$name.out" >&2
        fail "$name failed"
    fi
}

expect() {
    local name="$1" text="$2"
    grep -qF -- "$text" "$work/$name.out" || { cat "$work/$name.out" >&2; fail "$name: no \"$text\" in its output"; }
}

server=(openssl s_server -accept 127.0.0.1:0 -tls1_3 -cert "$certs/leaf-ecdsa-p256.pem"
        -key "$certs/leaf-ecdsa-p256.key" -cert_chain "$certs/intermediate.pem")

start www "${server[@]}" -www
lines=$(wc -l < Examples/Sources/https-get/main.swift)
[ "$lines" -lt 25 ] || fail "https-get is $lines lines, not under 25"
run https-get localhost "$port" / "$certs/ca.pem"
expect https-get "HTTP/1.0 200 ok"
expect https-get "TLSv1.3"
echo "https-get: ok ($lines lines)"

urls=()
for i in 1 2 3 4; do urls+=("https://localhost:$port/page$i"); done
run fetch-many "$certs/ca.pem" "${urls[@]}"
[ "$(grep -c ': HTTP/1.0 200 ok, ' "$work/fetch-many.out")" -eq 4 ] || { cat "$work/fetch-many.out" >&2; fail "fetch-many: not 4 pages"; }
echo "fetch-many: ok (4 URLs)"

run engine-pump 127.0.0.1 "$port" "$certs/ca.pem"
expect engine-pump "handshake: TLS_AES_128_GCM_SHA256"
expect engine-pump "HTTP/1.0 200 ok"
echo "engine-pump: ok"

start smtp python3 "$root/Scripts/smtp-starttls-server.py" "$certs/leaf-ecdsa-p256-chain.pem" "$certs/leaf-ecdsa-p256.key"
run starttls 127.0.0.1 "$port" "$certs/ca.pem"
expect starttls "S: 220 2.0.0 Ready to start TLS"
expect starttls "certificate verified: true"
expect starttls "S (TLS): 250 localhost over TLSv1.3"
expect starttls "S (TLS): 221 2.0.0 Bye"
echo "starttls: ok"

start mtls "${server[@]}" -Verify 1 -CAfile "$certs/ca.pem" -www
run client-cert localhost "$port" "$certs/ca.pem" "$certs/client-ecdsa-p256-chain.pem" "$certs/client-ecdsa-p256.key"
expect client-cert "client certificate sent: true"
expect client-cert "HTTP/1.0 200 ok"
grep -q "verify return:1" "$work/mtls.log" || { cat "$work/mtls.log" >&2; fail "client-cert: the server did not verify the client certificate"; }
echo "client-cert: ok"

start nio "${server[@]}" -www -alpn http/1.1
run nio-http-client localhost "$port" / "$certs/ca.pem"
expect nio-http-client "HTTP/1.0 200"
expect nio-http-client "tls: TLS_AES_128_GCM_SHA256, ALPN http/1.1, certificate verified: true"
expect nio-http-client "TLSv1.3"
echo "nio-http-client: ok"
echo "examples.sh: all examples ran"
