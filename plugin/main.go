// Command jwks-auth is a Tyk Go plugin (built with -buildmode=plugin) that
// authenticates API callers by their JWT. Its exported JWKSAuth function is
// the API's auth_check hook: it verifies the bearer token against the
// issuer's JWKS and hands the gateway a session for the token's subject, so
// that Tyk's policies, rate limits and quotas apply per caller.
//
// The per-API settings live in the API definition under
// config_data.jwks_auth; the token logic is in internal/jwtauth.
package main

import (
	"net/http"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/ctx"
)

// apis holds the state of every API that uses this plugin in this gateway
// process. Go cannot unload a plugin, so it lives as long as the gateway.
var apis = newRegistry()

// JWKSAuth is the auth_check hook named in the API definition's
// custom_middleware. It writes an error response for a rejected request, and
// sets the caller's session in the request context for an accepted one.
func JWKSAuth(w http.ResponseWriter, r *http.Request) {
	def := definition(r)
	if def == nil {
		writeUnsupportedDefinition(w, r)
		return
	}
	apis.forDefinition(def).authenticate(w, r)
}

// definition returns the classic API definition that the gateway put in
// the request context. It reads the context value directly: ctx.GetDefinition
// would deep-copy the whole definition on every request. The definition is
// shared with the gateway and must not be modified.
func definition(r *http.Request) *apidef.APIDefinition {
	def, _ := r.Context().Value(ctx.Definition).(*apidef.APIDefinition)
	return def
}

// main is required by -buildmode=plugin and never runs.
func main() {}
