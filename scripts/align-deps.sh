#!/usr/bin/env bash
# Copies keyfunc/v3 and jwkset from the Go module cache into build/deps and
# lowers the golang.org/x/time they require to the version the Tyk v5.8.1
# gateway links (v0.7.0). go.mod replaces both modules with these copies.
#
# A version replace of x/time is not enough: with -trimpath the compiler
# records the version the build list asked for (v0.9.0) in each package's
# export data, and the gateway then rejects the plugin with "plugin was
# built with a different version of package golang.org/x/time/rate". Only a
# module graph that selects v0.7.0 on its own produces a matching package.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps="$root/build/deps"
xtime=v0.7.0

# module, version, name under build/deps, and the h1 hash that go.sum and
# the checksum database record for that version.
modules=(
	"github.com/MicahParks/keyfunc/v3 v3.7.0 keyfunc h1:pdafUNyq+p3ZlvjJX1HWFP7MA3+cLpDtg69U3kITJGM="
	"github.com/MicahParks/jwkset v0.11.0 jwkset h1:yc0zG+jCvZpWgFDFmvs8/8jqqVBG9oyIbmBtmjOhoyQ="
)

# Run the download outside this module, so that go.mod's replace lines
# (which point at the copies this script makes) do not apply.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

mkdir -p "$deps"
for entry in "${modules[@]}"; do
	read -r path version name sum <<<"$entry"
	info=$(cd "$scratch" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$path@$version")
	dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$info")
	got=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")
	if [ "$got" != "$sum" ]; then
		echo "align-deps: $path@$version has hash $got, expected $sum" >&2
		exit 1
	fi

	rm -rf "${deps:?}/$name"
	cp -r "$dir" "$deps/$name"
	chmod -R u+w "$deps/$name"
	(cd "$deps/$name" && GOWORK=off go mod edit -require="golang.org/x/time@$xtime")
done

echo "align-deps: keyfunc and jwkset copied to build/deps with golang.org/x/time $xtime"
