package jwtauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// BenchmarkVerify measures one verification of a valid token whose key is
// already held, per algorithm: "cached" is the same token again (a cache
// hit), "uncached" a full signature check with the cache off.
func BenchmarkVerify(b *testing.B) {
	signers := map[string]func(testing.TB) signer{"RS256": rs256, "ES256": es256, "EdDSA": eddsa}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		for _, cacheEntries := range []int{0, jwtauth.DefaultTokenCacheEntries} {
			name := alg + "/uncached"
			if cacheEntries > 0 {
				name = alg + "/cached"
			}
			b.Run(name, func(b *testing.B) {
				key := signers[alg](b)
				issuer := newTestIssuer(b, key)
				s := issuer.settings()
				s.TokenCacheEntries = cacheEntries
				v := newVerifier(b, s, jwtauth.Options{})
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
