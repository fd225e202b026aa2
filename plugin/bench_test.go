package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/TykTechnologies/tyk/ctx"
)

// BenchmarkAuthenticate measures the plugin's whole work for a request
// with a valid RS256 token seen before: extraction, verification, policy
// mapping, the session and the upstream headers.
func BenchmarkAuthenticate(b *testing.B) {
	issuer := testIssuer(b)
	g := newRegistry()
	stopAll(b, g)
	def := testDefinition("api1", validSettings(issuer, "r1"))
	token := "Bearer " + mintFor(b, issuer, "r1", "alice", "1h")

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest(http.MethodGet, "/anything", nil)
		r.Header.Set("Authorization", token)
		ctx.SetDefinition(r, def)
		w := httptest.NewRecorder()
		g.forDefinition(definition(r)).authenticate(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
