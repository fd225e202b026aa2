#!/usr/bin/env bash
# Builds the plugin inside Tyk's official plugin compiler image
# (tykio/tyk-plugin-compiler:v5.8.1), as the compose stack's build service.
#
# The image's own /build.sh cannot be used as is: it builds in a workspace
# with the gateway source but does not lower what keyfunc and jwkset ask
# for (golang.org/x/time v0.9.0), so the gateway would refuse the plugin.
# This script does the same steps with scripts/align-deps.sh in between,
# on a copy of the source, and writes into $OUT (default /out):
#   jwks-auth.so and jwks-auth_v5.8.1_GOOS_GOARCH.so   the plugin
#   devissuer, echo                                   the stack's stub servers
set -euo pipefail

src=${PLUGIN_SOURCE_PATH:-/plugin-source}
out=${OUT:-/out}
gateway_source=${TYK_GW_PATH:?TYK_GW_PATH must name the gateway source, as in the plugin compiler image}
work=$(mktemp -d)

mkdir -p "$work/plugin" "$out"
cp -r "$src"/. "$work/plugin"
rm -rf "$work/plugin/build"

cd "$work/plugin"
scripts/align-deps.sh

cd "$work"
go work init "$gateway_source" ./plugin

cd "$work/plugin"
CGO_ENABLED=1 go build -buildmode=plugin -trimpath -o "$out/jwks-auth.so" ./plugin
cp "$out/jwks-auth.so" "$out/jwks-auth_v5.8.1_$(go env GOOS)_$(go env GOARCH).so"

CGO_ENABLED=0 GOWORK=off go build -o "$out/devissuer" ./cmd/devissuer
CGO_ENABLED=0 GOWORK=off go build -o "$out/echo" ./cmd/echo

# The image ships a gateway binary built from the same source: its loader
# is the final word on whether the plugin loads.
tyk plugin load -f "$out/jwks-auth.so" -s JWKSAuth
