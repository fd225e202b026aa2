package jwtauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// BenchmarkVerify measures one verification of a valid token whose key is
// already cached, per algorithm: the plugin's cost per request.
func BenchmarkVerify(b *testing.B) {
	signers := map[string]func(testing.TB) signer{"RS256": rs256, "ES256": es256, "EdDSA": eddsa}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			key := signers[alg](b)
			issuer := newTestIssuer(b, key)
			v := newVerifier(b, issuer.settings(), jwtauth.Options{})
			token := sign(b, key, issuer.claims())
			ctx := context.Background()

			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtractToken measures reading the default Authorization source.
func BenchmarkExtractToken(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer aaaa.bbbb.cccc")
	sources := jwtauth.DefaultTokenSources

	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := jwtauth.ExtractToken(r, sources, jwtauth.DefaultMaxTokenBytes); err != nil {
			b.Fatal(err)
		}
	}
}
