#!/usr/bin/env bash
# Measures the plugin's cost through the real gateway: throughput and
# latency of a keyless API (the gateway's own floor) against the demo API
# with RS256 and EdDSA tokens, with wrk on 127.0.0.1. Writes
# build/bench/results.md. `make bench` runs it after the Go benchmarks.
#
# Each run reuses one token, as a client does between refreshes, so the
# session is written to Redis once and then skipped, and the token is
# served from the verified-token cache (the no-cache runs turn it off).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-15s}
connections=${BENCH_CONNECTIONS:-32}
out=build/bench
mkdir -p "$out"
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

export GATEWAY_PORT=${GATEWAY_PORT:-18180} ISSUER_PORT=${ISSUER_PORT:-18181}
export UPSTREAM_PORT=${UPSTREAM_PORT:-18182} REDIS_PORT=${REDIS_PORT:-16480}
export APIDEF="$PWD/apidef.json,$PWD/bench/keyless.json,$PWD/bench/nocache.json"

go build -o build/devstack ./cmd/devstack
build/devstack > "$out/devstack.out" 2>&1 &
stack=$!
trap 'kill -INT $stack 2>/dev/null; wait $stack 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
	grep -q '^Ready' "$out/devstack.out" && break
	kill -0 $stack 2>/dev/null || { cat "$out/devstack.out" >&2; exit 1; }
	sleep 0.1
done
grep -q '^Ready' "$out/devstack.out" || { echo "bench: the stack did not start" >&2; exit 1; }

gateway=http://127.0.0.1:$GATEWAY_PORT
mint() {
	curl -sf -X POST "http://127.0.0.1:$ISSUER_PORT/realms/demo/token" \
		-d "{\"sub\":\"bench\",\"aud\":[\"demo-api\"],\"alg\":\"$1\",\"ttl\":\"1h\"}" |
		sed 's/.*"access_token":"\([^"]*\)".*/\1/'
}
rs256=$(mint RS256)
eddsa=$(mint EdDSA)

run() { # name, path, extra wrk arguments
	local name=$1 path=$2
	shift 2
	curl -sf -o /dev/null "$@" "$gateway$path" || { echo "bench: $name: warm-up request failed" >&2; exit 1; }
	wrk -t2 -c"$connections" -d"$duration" --latency "$@" "$gateway$path" > "$out/$name.txt"
	local rps p50 p99
	rps=$(awk '/^Requests\/sec/ {print $2}' "$out/$name.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$out/$name.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$out/$name.txt")
	printf '| %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" >> "$out/results.md"
}

{
	echo "wrk -t2 -c$connections -d$duration on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)), $(date -u +%F)"
	echo
	echo "| API | requests/s | p50 | p99 |"
	echo "|---|---|---|---|"
} > "$out/results.md"
run keyless /keyless/anything
run jwks-auth-RS256 /demo/anything -H "Authorization: Bearer $rs256"
run jwks-auth-EdDSA /demo/anything -H "Authorization: Bearer $eddsa"
run jwks-auth-RS256-no-cache /nocache/anything -H "Authorization: Bearer $rs256"
run jwks-auth-EdDSA-no-cache /nocache/anything -H "Authorization: Bearer $eddsa"
cat "$out/results.md"
