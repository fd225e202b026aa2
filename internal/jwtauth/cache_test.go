package jwtauth_test

import (
	"testing"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func TestTokenCache(t *testing.T) {
	t.Run("repeated token is served from the cache", func(t *testing.T) {
		key := rs256(t)
		issuer := newTestIssuer(t, key)
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})
		token := sign(t, key, issuer.claims())

		first := requireVerified(t, v, token)
		second := requireVerified(t, v, token)
		if first != second {
			t.Error("the second verification built a new identity: the cache was not used")
		}
	})

	t.Run("cached token expires with its exp", func(t *testing.T) {
		key := rs256(t)
		issuer := newTestIssuer(t, key)
		now := testNow
		v := newVerifier(t, issuer.settings(), jwtauth.Options{Now: func() time.Time { return now }})
		token := sign(t, key, issuer.claims()) // expires 10 minutes after testNow

		requireVerified(t, v, token)
		now = testNow.Add(10*time.Minute + jwtauth.DefaultLeeway + time.Second)
		requireRejected(t, v, token, jwtauth.ErrTokenExpired)
	})

	t.Run("cached token stops when its key is replaced at the issuer", func(t *testing.T) {
		old := rs256(t)
		issuer := newTestIssuer(t, old)
		s := issuer.settings()
		s.UnknownKIDRefreshInterval = time.Second
		v := newVerifier(t, s, jwtauth.Options{})
		token := sign(t, old, issuer.claims())
		requireVerified(t, v, token)

		// Same kid, other key material: only a refresh can tell.
		replacement := es256(t)
		replacement.kid = old.kid
		issuer.setSigners(t, replacement)
		requireRejected(t, v, sign(t, rs256Other(t), issuer.claims()), jwtauth.ErrUnknownKey)

		requireRejected(t, v, token, jwtauth.ErrKeyMismatch)
	})

	t.Run("no cache when token_cache_entries is 0", func(t *testing.T) {
		key := rs256(t)
		issuer := newTestIssuer(t, key)
		s := issuer.settings()
		s.TokenCacheEntries = 0
		v := newVerifier(t, s, jwtauth.Options{})
		token := sign(t, key, issuer.claims())
		if requireVerified(t, v, token) == requireVerified(t, v, token) {
			t.Error("the same identity came back with the cache off")
		}
	})

	t.Run("token without kid is not cached", func(t *testing.T) {
		key := rs256(t)
		issuer := newTestIssuer(t, key)
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})
		token := sign(t, key.withKID(""), issuer.claims())
		if requireVerified(t, v, token) == requireVerified(t, v, token) {
			t.Error("a token without kid was cached")
		}
	})
}

// rs256Other is an RSA signer whose kid the issuer never published, to
// make the verifier refresh its key set.
func rs256Other(t testing.TB) signer {
	t.Helper()
	return signer{kid: "rsa-unpublished", method: rs256(t).method, private: generatedKeys(t).rsa[1]}
}
