package jwtauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func TestVerifyUnknownKID(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})
	if got := issuer.requestCount(); got != 1 {
		t.Fatalf("issuer got %d JWKS requests after NewVerifier, want 1", got)
	}

	first := sign(t, key.withKID("not-published-1"), issuer.claims())
	requireRejected(t, v, first, jwtauth.ErrUnknownKey)
	if got := issuer.requestCount(); got != 2 {
		t.Errorf("issuer got %d JWKS requests after an unknown kid, want 2", got)
	}

	// The refresh interval for unknown kids is an hour in these settings.
	second := sign(t, key.withKID("not-published-2"), issuer.claims())
	requireRejected(t, v, second, jwtauth.ErrUnknownKey)
	if got := issuer.requestCount(); got != 2 {
		t.Errorf("issuer got %d JWKS requests after a second unknown kid within the interval, want 2", got)
	}

	requireVerified(t, v, sign(t, key, issuer.claims()))
	if got := issuer.requestCount(); got != 2 {
		t.Errorf("issuer got %d JWKS requests after a known kid, want 2", got)
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	k := generatedKeys(t)
	current := signer{kid: "rsa-current", method: jwt.SigningMethodRS256, private: k.rsa[0]}
	next := signer{kid: "rsa-next", method: jwt.SigningMethodRS256, private: k.rsa[1]}

	t.Run("added key accepted after refresh", func(t *testing.T) {
		issuer := newTestIssuer(t, current)
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})
		requireVerified(t, v, sign(t, current, issuer.claims()))

		issuer.setSigners(t, current, next)
		identity := requireVerified(t, v, sign(t, next, issuer.claims()))

		if identity.KeyID != next.kid {
			t.Errorf("KeyID = %q, want %q", identity.KeyID, next.kid)
		}
		if got := issuer.requestCount(); got != 2 {
			t.Errorf("issuer got %d JWKS requests, want 2", got)
		}
		requireVerified(t, v, sign(t, current, issuer.claims()))
	})

	t.Run("removed key rejected after refresh", func(t *testing.T) {
		issuer := newTestIssuer(t, current)
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})
		currentToken := sign(t, current, issuer.claims())
		requireVerified(t, v, currentToken)

		// The new key's unknown kid makes the verifier fetch the set that
		// no longer has the current key.
		issuer.setSigners(t, next)
		requireVerified(t, v, sign(t, next, issuer.claims()))

		requireRejected(t, v, currentToken, jwtauth.ErrUnknownKey)
	})
}

func TestVerifyBackgroundRefresh(t *testing.T) {
	t.Parallel()
	k := generatedKeys(t)
	current := signer{kid: "rsa-current", method: jwt.SigningMethodRS256, private: k.rsa[0]}
	next := signer{kid: "rsa-next", method: jwt.SigningMethodRS256, private: k.rsa[1]}

	issuer := newTestIssuer(t, current)
	s := issuer.settings()
	s.RefreshInterval = time.Second
	v := newVerifier(t, s, jwtauth.Options{})
	currentToken := sign(t, current, issuer.claims())
	nextToken := sign(t, next, issuer.claims())

	// Use up the one unknown-kid refresh of the hour, so that only the
	// background refresh can bring in the next key.
	requireRejected(t, v, sign(t, current.withKID("not-published"), issuer.claims()), jwtauth.ErrUnknownKey)
	issuer.setSigners(t, next)

	eventually(t, 10*time.Second, "the next key was never fetched in the background", func() bool {
		_, err := verify(t, v, nextToken)
		return err == nil
	})
	requireRejected(t, v, currentToken, jwtauth.ErrUnknownKey)
	if got := issuer.requestCount(); got < 3 {
		t.Errorf("issuer got %d JWKS requests, want at least 3", got)
	}
}

func TestVerifyKeyMismatch(t *testing.T) {
	rsaKey := rs256(t)
	ecKey := es256(t)
	edKey := eddsa(t)

	tests := []struct {
		name  string
		jwks  []map[string]any
		token signer
		want  error
	}{
		{"use enc rejected", []map[string]any{rsaKey.jwkWith(map[string]any{"use": "enc"})}, rsaKey, jwtauth.ErrKeyMismatch},
		{"use sig accepted", []map[string]any{rsaKey.jwkWith(map[string]any{"use": "sig"})}, rsaKey, nil},
		{"key alg RS384 for RS256 rejected", []map[string]any{rsaKey.jwkWith(map[string]any{"alg": "RS384"})}, rsaKey, jwtauth.ErrKeyMismatch},
		{"key alg RS256 for RS256 accepted", []map[string]any{rsaKey.jwkWith(map[string]any{"alg": "RS256"})}, rsaKey, nil},
		{"P-256 key for ES384 rejected", []map[string]any{ecKey.jwk()}, es384(t).withKID(ecKey.kid), jwtauth.ErrKeyMismatch},
		{"P-384 key for ES256 rejected", []map[string]any{es384(t).jwk()}, ecKey.withKID(es384(t).kid), jwtauth.ErrKeyMismatch},
		{"RSA key for ES256 rejected", []map[string]any{rsaKey.jwk()}, ecKey.withKID(rsaKey.kid), jwtauth.ErrKeyMismatch},
		{"EC key for RS256 rejected", []map[string]any{ecKey.jwk()}, rsaKey.withKID(ecKey.kid), jwtauth.ErrKeyMismatch},
		{"Ed25519 key for ES256 rejected", []map[string]any{edKey.jwk()}, ecKey.withKID(edKey.kid), jwtauth.ErrKeyMismatch},
		{"RSA key for EdDSA rejected", []map[string]any{rsaKey.jwk()}, edKey.withKID(rsaKey.kid), jwtauth.ErrKeyMismatch},
		{"key_ops without verify rejected", []map[string]any{rsaKey.jwkWith(map[string]any{"key_ops": []string{"sign"}})}, rsaKey, jwtauth.ErrKeyMismatch},
		{"key_ops with verify accepted", []map[string]any{rsaKey.jwkWith(map[string]any{"key_ops": []string{"verify"}})}, rsaKey, nil},
		{
			"duplicate kid where second fits accepted",
			[]map[string]any{rsaKey.jwkWith(map[string]any{"use": "enc"}), rsaKey.jwk()},
			rsaKey, nil,
		},
		{
			"duplicate kid of other key types accepted",
			[]map[string]any{ecKey.withKID(rsaKey.kid).jwk(), edKey.withKID(rsaKey.kid).jwk(), rsaKey.jwk()},
			rsaKey, nil,
		},
		{
			"duplicate kid where none fits rejected",
			[]map[string]any{rsaKey.jwkWith(map[string]any{"use": "enc"}), ecKey.withKID(rsaKey.kid).jwk()},
			rsaKey, jwtauth.ErrKeyMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestIssuer(t)
			issuer.setKeys(t, tt.jwks...)
			v := newVerifier(t, issuer.settings(), jwtauth.Options{})

			token := sign(t, tt.token, issuer.claims())
			if tt.want == nil {
				requireVerified(t, v, token)
				return
			}
			requireRejected(t, v, token, tt.want)
		})
	}
}

func TestVerifyTokenWithoutKID(t *testing.T) {
	k := generatedKeys(t)
	first := signer{kid: "rsa-first", method: jwt.SigningMethodRS256, private: k.rsa[0]}
	second := signer{kid: "rsa-second", method: jwt.SigningMethodRS256, private: k.rsa[1]}
	unpublished := signer{kid: "rsa-unpublished", method: jwt.SigningMethodRS256, private: k.rsa[2]}
	ecKey := es256(t)

	tests := []struct {
		name  string
		jwks  []map[string]any
		token signer
		want  error
	}{
		{"fitting key accepted", []map[string]any{ecKey.jwk(), first.jwk()}, first, nil},
		{"second fitting key accepted", []map[string]any{first.jwk(), second.jwk()}, second, nil},
		{"key without kid accepted", []map[string]any{first.withKID("").jwk()}, first, nil},
		{"no key of the alg rejected", []map[string]any{first.jwk()}, ecKey, jwtauth.ErrUnknownKey},
		{"only encryption key rejected", []map[string]any{first.jwkWith(map[string]any{"use": "enc"})}, first, jwtauth.ErrUnknownKey},
		{"unpublished key rejected", []map[string]any{first.jwk(), second.jwk()}, unpublished, jwtauth.ErrSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestIssuer(t)
			issuer.setKeys(t, tt.jwks...)
			v := newVerifier(t, issuer.settings(), jwtauth.Options{})

			token := sign(t, tt.token.withKID(""), issuer.claims())
			if tt.want != nil {
				requireRejected(t, v, token, tt.want)
				return
			}

			identity := requireVerified(t, v, token)
			if identity.KeyID != "" {
				t.Errorf("KeyID = %q, want empty for a token without kid", identity.KeyID)
			}
		})
	}
}

func TestVerifyKeysUnavailable(t *testing.T) {
	t.Run("issuer failing then recovering", func(t *testing.T) {
		t.Parallel()
		key := rs256(t)
		issuer := newTestIssuer(t, key)
		issuer.setStatus(http.StatusInternalServerError)

		// One second between unknown-kid refreshes, so the recovery below
		// is seen by the second token with a kid, about a second later.
		s := issuer.settings()
		s.UnknownKIDRefreshInterval = time.Second
		var fetches fetchErrors
		v := newVerifier(t, s, jwtauth.Options{OnFetchError: fetches.record})

		requireFetchErrors(t, &fetches, issuer.jwksURL, 1, "500")
		if v.HasKeys(context.Background()) {
			t.Error("HasKeys = true while the issuer has never answered")
		}

		// While the set is empty, a token with or without kid makes the
		// verifier fetch again, at most once per second.
		withKID := sign(t, key, issuer.claims())
		withoutKID := sign(t, key.withKID(""), issuer.claims())
		requireRejected(t, v, withoutKID, jwtauth.ErrKeysUnavailable)
		requireFetchErrors(t, &fetches, issuer.jwksURL, 2, "500")
		requireRejected(t, v, withKID, jwtauth.ErrKeysUnavailable)
		requireFetchErrors(t, &fetches, issuer.jwksURL, 3, "500")

		issuer.setStatus(http.StatusOK)
		requireVerified(t, v, withKID)
		requireVerified(t, v, withoutKID)
		if !v.HasKeys(context.Background()) {
			t.Error("HasKeys = false after the issuer recovered")
		}
	})

	failures := []struct {
		name  string
		setup func(issuer *testIssuer)
		want  string
	}{
		{"issuer closed", func(issuer *testIssuer) { issuer.server.Close() }, "connect"},
		{"issuer answers 404", func(issuer *testIssuer) { issuer.setStatus(http.StatusNotFound) }, "404"},
		{"JWKS not JSON", func(issuer *testIssuer) { issuer.setBody([]byte("<html>maintenance</html>")) }, "not a JSON Web Key Set"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			key := rs256(t)
			issuer := newTestIssuer(t, key)
			tt.setup(issuer)
			var fetches fetchErrors
			v := newVerifier(t, issuer.settings(), jwtauth.Options{OnFetchError: fetches.record})

			requireFetchErrors(t, &fetches, issuer.jwksURL, 1, tt.want)
			requireRejected(t, v, sign(t, key.withKID(""), issuer.claims()), jwtauth.ErrKeysUnavailable)
			requireRejected(t, v, sign(t, key, issuer.claims()), jwtauth.ErrKeysUnavailable)
		})
	}
}

// requireFetchErrors fails the test unless OnFetchError has been called
// want times, each with url and an error whose text contains every one of
// texts.
func requireFetchErrors(t testing.TB, fetches *fetchErrors, url string, want int, texts ...string) {
	t.Helper()
	calls := fetches.all()
	if len(calls) != want {
		t.Fatalf("OnFetchError called %d times, want %d: %v", len(calls), want, calls)
	}
	for _, call := range calls {
		if call.url != url {
			t.Errorf("OnFetchError url = %q, want %q", call.url, url)
		}
		if call.err == nil {
			t.Errorf("OnFetchError called with a nil error")
			continue
		}
		for _, text := range texts {
			if !strings.Contains(call.err.Error(), text) {
				t.Errorf("OnFetchError error %q does not mention %q", call.err, text)
			}
		}
	}
}

func TestVerifyKeepsLastGoodKeys(t *testing.T) {
	failures := []struct {
		name string
		fail func(issuer *testIssuer)
		want string
	}{
		{"issuer answers 500", func(issuer *testIssuer) { issuer.setStatus(http.StatusInternalServerError) }, "500"},
		{"JWKS not JSON", func(issuer *testIssuer) { issuer.setBody([]byte("not json")) }, "not a JSON Web Key Set"},
		{"issuer closed", func(issuer *testIssuer) { issuer.server.Close() }, "connect"},
	}
	for _, tt := range failures {
		t.Run(tt.name+" on unknown kid", func(t *testing.T) {
			key := rs256(t)
			issuer := newTestIssuer(t, key)
			var fetches fetchErrors
			v := newVerifier(t, issuer.settings(), jwtauth.Options{OnFetchError: fetches.record})
			token := sign(t, key, issuer.claims())
			requireVerified(t, v, token)

			tt.fail(issuer)
			requireRejected(t, v, sign(t, key.withKID("not-published"), issuer.claims()), jwtauth.ErrUnknownKey)
			requireFetchErrors(t, &fetches, issuer.jwksURL, 1, tt.want)

			requireVerified(t, v, token)
			requireVerified(t, v, sign(t, key.withKID(""), issuer.claims()))
		})
	}

	t.Run("issuer answers 500 on background refresh", func(t *testing.T) {
		t.Parallel()
		key := rs256(t)
		issuer := newTestIssuer(t, key)
		s := issuer.settings()
		s.RefreshInterval = time.Second
		var fetches fetchErrors
		v := newVerifier(t, s, jwtauth.Options{OnFetchError: fetches.record})
		token := sign(t, key, issuer.claims())

		issuer.setStatus(http.StatusInternalServerError)
		eventually(t, 10*time.Second, "no background refresh failed", func() bool {
			return fetches.count() > 0
		})

		requireVerified(t, v, token)
		if !v.HasKeys(context.Background()) {
			t.Error("HasKeys = false after a failed refresh")
		}
	})
}

func TestVerifyJWKSSizeLimit(t *testing.T) {
	key := rs256(t)

	// JWKS readers ignore the padding member, which makes the response
	// several chunks long, so a streamed response is read in pieces.
	body, err := json.Marshal(map[string]any{
		"keys":    []map[string]any{key.jwk()},
		"padding": strings.Repeat("x", 8<<10),
	})
	if err != nil {
		t.Fatal(err)
	}
	size := len(body)

	tests := []struct {
		name     string
		streamed bool
		limit    int
		wantText []string
	}{
		{"declared size at limit accepted", false, size, nil},
		{"declared size over limit rejected", false, size - 1, []string{"too large", "jwks_max_bytes", strconv.Itoa(size - 1)}},
		{"streamed size at limit accepted", true, size, nil},
		{"streamed size over limit rejected", true, size - 1, []string{"too large", "jwks_max_bytes", strconv.Itoa(size - 1)}},
		{"streamed size far over rejected", true, size / 2, []string{"too large", strconv.Itoa(size / 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestIssuer(t)
			issuer.setBody(body)
			issuer.setStreamed(tt.streamed)
			s := issuer.settings()
			s.MaxJWKSBytes = int64(tt.limit)
			var fetches fetchErrors
			v := newVerifier(t, s, jwtauth.Options{OnFetchError: fetches.record})

			token := sign(t, key, issuer.claims())
			if tt.wantText == nil {
				requireFetchErrors(t, &fetches, issuer.jwksURL, 0)
				requireVerified(t, v, token)
				return
			}

			requireFetchErrors(t, &fetches, issuer.jwksURL, 1, tt.wantText...)
			requireRejected(t, v, token, jwtauth.ErrKeysUnavailable)
		})
	}

	t.Run("oversized refresh keeps last good keys", func(t *testing.T) {
		issuer := newTestIssuer(t, key)
		s := issuer.settings()
		s.MaxJWKSBytes = int64(size / 2)
		var fetches fetchErrors
		v := newVerifier(t, s, jwtauth.Options{OnFetchError: fetches.record})
		token := sign(t, key, issuer.claims())
		requireVerified(t, v, token)

		issuer.setBody(body)
		issuer.setStreamed(true)
		requireRejected(t, v, sign(t, key.withKID("not-published"), issuer.claims()), jwtauth.ErrUnknownKey)
		requireFetchErrors(t, &fetches, issuer.jwksURL, 1, "too large")

		requireVerified(t, v, token)
	})
}

func TestVerifyConcurrentUse(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})
	valid := sign(t, key, issuer.claims())
	unknown := sign(t, key.withKID("not-published"), issuer.claims())

	const workers = 8
	const rounds = 25
	failures := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for r := 0; r < rounds; r++ {
				if _, err := v.Verify(ctx, valid); err != nil {
					failures <- fmt.Errorf("valid token: %w", err)
				}
				if _, err := v.Verify(ctx, unknown); !errors.Is(err, jwtauth.ErrUnknownKey) {
					failures <- fmt.Errorf("unknown kid: got %v, want ErrUnknownKey", err)
				}
			}
		}()
	}
	wg.Wait()
	close(failures)

	for err := range failures {
		t.Error(err)
	}
	if got := issuer.requestCount(); got != 2 {
		t.Errorf("issuer got %d JWKS requests, want 2: one at start, one for the unknown kid", got)
	}
}

func TestVerifyKeySetFiltering(t *testing.T) {
	k := generatedKeys(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good := rs256(t)
	weakSigner := signer{kid: "rsa-1024", method: jwt.SigningMethodRS256, private: weak}
	ecKey := es256(t)
	b64 := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name       string
		bad        map[string]any
		wantReason string
	}{
		{"symmetric key dropped", map[string]any{"kty": "oct", "kid": "hmac", "k": b64([]byte("shared secret"))}, "symmetric"},
		{"weak RSA key dropped", weakSigner.jwk(), "1024 bits"},
		{"RSA key with bad modulus dropped", map[string]any{"kty": "RSA", "kid": "bad-n", "n": "***", "e": "AQAB"}, "cannot be read"},
		{"EC key without y dropped", map[string]any{"kty": "EC", "kid": "no-y", "crv": "P-256", "x": ecKey.jwk()["x"]}, "cannot be read"},
		{"unsupported curve dropped", map[string]any{"kty": "EC", "kid": "k1", "crv": "secp256k1", "x": ecKey.jwk()["x"], "y": ecKey.jwk()["y"]}, "cannot be read"},
		{"Ed448 key dropped", map[string]any{"kty": "OKP", "kid": "ed448", "crv": "Ed448", "x": b64(make([]byte, 57))}, "cannot be read"},
		{"unregistered use dropped", good.withKID("odd-use").jwkWith(map[string]any{"use": "signing"}), "cannot be read"},
		{"unknown key type dropped", map[string]any{"kty": "PQC", "kid": "future"}, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestIssuer(t)
			issuer.setKeys(t, tt.bad, good.jwk())
			var ignored ignoredKeys
			var fetches fetchErrors
			v := newVerifier(t, issuer.settings(), jwtauth.Options{OnKeyIgnored: ignored.record, OnFetchError: fetches.record})

			requireVerified(t, v, sign(t, good, issuer.claims()))
			requireFetchErrors(t, &fetches, issuer.jwksURL, 0)

			calls := ignored.all()
			if len(calls) != 1 {
				t.Fatalf("OnKeyIgnored called %d times, want 1: %v", len(calls), calls)
			}
			if calls[0].source != issuer.jwksURL {
				t.Errorf("OnKeyIgnored source = %q, want %q", calls[0].source, issuer.jwksURL)
			}
			if want, _ := tt.bad["kid"].(string); calls[0].kid != want {
				t.Errorf("OnKeyIgnored kid = %q, want %q", calls[0].kid, want)
			}
			if !strings.Contains(calls[0].reason, tt.wantReason) {
				t.Errorf("OnKeyIgnored reason %q does not mention %q", calls[0].reason, tt.wantReason)
			}
		})
	}

	t.Run("token of dropped weak key rejected", func(t *testing.T) {
		issuer := newTestIssuer(t)
		issuer.setKeys(t, weakSigner.jwk(), good.jwk())
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})

		requireRejected(t, v, sign(t, weakSigner, issuer.claims()), jwtauth.ErrUnknownKey)
		requireRejected(t, v, sign(t, weakSigner.withKID(""), issuer.claims()), jwtauth.ErrSignatureInvalid)
	})

	t.Run("set of only dropped keys unavailable", func(t *testing.T) {
		issuer := newTestIssuer(t)
		issuer.setKeys(t, weakSigner.jwk())
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})

		if v.HasKeys(context.Background()) {
			t.Error("HasKeys = true for a set whose only key was dropped")
		}
		requireRejected(t, v, sign(t, weakSigner, issuer.claims()), jwtauth.ErrKeysUnavailable)
	})

	t.Run("private key members ignored", func(t *testing.T) {
		// An issuer that publishes its private key by mistake still has its
		// tokens verified with the public part only.
		private := good.jwk()
		private["d"] = b64(k.rsa[0].D.Bytes())
		private["p"] = b64(k.rsa[0].Primes[0].Bytes())
		private["q"] = b64(k.rsa[0].Primes[1].Bytes())
		issuer := newTestIssuer(t)
		issuer.setKeys(t, private)
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})

		requireVerified(t, v, sign(t, good, issuer.claims()))
	})
}

func TestVerifyInlineKeys(t *testing.T) {
	const inlineIssuer = "https://inline.example"
	key := rs256(t)
	ecKey := es256(t)
	b64 := base64.RawURLEncoding.EncodeToString
	claims := jwt.MapClaims{
		"iss": inlineIssuer,
		"sub": "user-1",
		"exp": testNow.Add(time.Minute).Unix(),
	}

	settingsWith := func(keys ...map[string]any) jwtauth.Settings {
		return testSettings(jwtauth.IssuerSettings{Issuer: inlineIssuer, Keys: jwksBody(t, keys...)})
	}

	t.Run("inline key verifies token", func(t *testing.T) {
		v := newVerifier(t, settingsWith(key.jwk(), ecKey.jwk()), jwtauth.Options{})

		identity := requireVerified(t, v, sign(t, ecKey, claims))
		if identity.Issuer != inlineIssuer {
			t.Errorf("Issuer = %q, want %q", identity.Issuer, inlineIssuer)
		}
		requireVerified(t, v, sign(t, key.withKID(""), claims))
	})

	t.Run("unknown kid rejected", func(t *testing.T) {
		v := newVerifier(t, settingsWith(key.jwk()), jwtauth.Options{})

		requireRejected(t, v, sign(t, key.withKID("elsewhere"), claims), jwtauth.ErrUnknownKey)
	})

	t.Run("symmetric inline key ignored", func(t *testing.T) {
		var ignored ignoredKeys
		oct := map[string]any{"kty": "oct", "kid": "hmac", "k": b64([]byte("shared secret"))}
		v := newVerifier(t, settingsWith(oct, key.jwk()), jwtauth.Options{OnKeyIgnored: ignored.record})

		requireVerified(t, v, sign(t, key, claims))
		calls := ignored.all()
		if len(calls) != 1 || calls[0].source != "inline keys" || calls[0].kid != "hmac" {
			t.Errorf("OnKeyIgnored calls = %v, want one for kid hmac from inline keys", calls)
		}
	})
}

func TestVerifyDiscovery(t *testing.T) {
	key := rs256(t)
	discoverySettings := func(issuer *testIssuer) jwtauth.Settings {
		s := testSettings(jwtauth.IssuerSettings{Issuer: issuer.issuer, Discovery: true})
		s.UnknownKIDRefreshInterval = time.Minute
		return s
	}

	t.Run("key set found through discovery", func(t *testing.T) {
		issuer := newTestIssuer(t, key)
		v := newVerifier(t, discoverySettings(issuer), jwtauth.Options{})

		requireVerified(t, v, sign(t, key, issuer.claims()))
		if got := issuer.discoveryRequestCount(); got != 1 {
			t.Errorf("issuer got %d discovery requests, want 1", got)
		}
		if got := issuer.requestCount(); got != 1 {
			t.Errorf("issuer got %d JWKS requests, want 1", got)
		}
	})

	failures := []struct {
		name     string
		status   int
		document func(issuer *testIssuer) map[string]any
		want     string
	}{
		{"discovery answers 500", http.StatusInternalServerError, nil, "500"},
		{
			"document names other issuer", http.StatusOK,
			func(issuer *testIssuer) map[string]any {
				return map[string]any{"issuer": "https://attacker.example", "jwks_uri": issuer.jwksURL}
			},
			"attacker.example",
		},
		{
			"jwks_uri not http", http.StatusOK,
			func(issuer *testIssuer) map[string]any {
				return map[string]any{"issuer": issuer.issuer, "jwks_uri": "file:///etc/jwks.json"}
			},
			"jwks_uri",
		},
		{
			"jwks_uri missing", http.StatusOK,
			func(issuer *testIssuer) map[string]any { return map[string]any{"issuer": issuer.issuer} },
			"jwks_uri",
		},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			issuer := newTestIssuer(t, key)
			var document map[string]any
			if tt.document != nil {
				document = tt.document(issuer)
			}
			issuer.setDiscovery(tt.status, document)
			var fetches fetchErrors
			v := newVerifier(t, discoverySettings(issuer), jwtauth.Options{OnFetchError: fetches.record})

			requireRejected(t, v, sign(t, key, issuer.claims()), jwtauth.ErrKeysUnavailable)
			requireFetchErrors(t, &fetches, issuer.issuer+"/.well-known/openid-configuration", 1, tt.want)
			if got := issuer.requestCount(); got != 0 {
				t.Errorf("issuer got %d JWKS requests, want 0", got)
			}
		})
	}

	t.Run("discovery retried after interval", func(t *testing.T) {
		issuer := newTestIssuer(t, key)
		issuer.setDiscovery(http.StatusServiceUnavailable, nil)
		clock := newTestClock()
		v := newVerifier(t, discoverySettings(issuer), jwtauth.Options{Now: clock.Now})
		token := sign(t, key, issuer.claims())

		requireRejected(t, v, token, jwtauth.ErrKeysUnavailable)
		if got := issuer.discoveryRequestCount(); got != 1 {
			t.Errorf("issuer got %d discovery requests before the interval, want 1", got)
		}

		issuer.setDiscovery(http.StatusOK, nil)
		clock.Advance(59 * time.Second)
		requireRejected(t, v, token, jwtauth.ErrKeysUnavailable)
		if got := issuer.discoveryRequestCount(); got != 1 {
			t.Errorf("issuer got %d discovery requests within the interval, want 1", got)
		}

		clock.Advance(time.Second)
		requireVerified(t, v, token)
		if got := issuer.discoveryRequestCount(); got != 2 {
			t.Errorf("issuer got %d discovery requests after the interval, want 2", got)
		}
	})

	t.Run("oversized discovery document rejected", func(t *testing.T) {
		issuer := newTestIssuer(t, key)
		issuer.setDiscovery(http.StatusOK, map[string]any{
			"issuer":   issuer.issuer,
			"jwks_uri": issuer.jwksURL,
			"padding":  strings.Repeat("x", 4096),
		})
		s := discoverySettings(issuer)
		s.MaxJWKSBytes = 1024
		var fetches fetchErrors
		v := newVerifier(t, s, jwtauth.Options{OnFetchError: fetches.record})

		requireRejected(t, v, sign(t, key, issuer.claims()), jwtauth.ErrKeysUnavailable)
		requireFetchErrors(t, &fetches, issuer.issuer+"/.well-known/openid-configuration", 1, "too large")
	})
}

func TestVerifyMultipleIssuers(t *testing.T) {
	k := generatedKeys(t)
	keyA := signer{kid: "a-1", method: jwt.SigningMethodRS256, private: k.rsa[0]}
	keyB := signer{kid: "b-1", method: jwt.SigningMethodRS256, private: k.rsa[1]}
	issuerA := newTestIssuer(t, keyA)
	issuerB := newTestIssuer(t, keyB)

	v := newVerifier(t, testSettings(issuerA.source(), issuerB.source()), jwtauth.Options{})

	t.Run("each issuer's token accepted", func(t *testing.T) {
		identityA := requireVerified(t, v, sign(t, keyA, issuerA.claims()))
		identityB := requireVerified(t, v, sign(t, keyB, issuerB.claims()))

		if identityA.Issuer != issuerA.issuer {
			t.Errorf("Issuer = %q, want %q", identityA.Issuer, issuerA.issuer)
		}
		if identityB.Issuer != issuerB.issuer {
			t.Errorf("Issuer = %q, want %q", identityB.Issuer, issuerB.issuer)
		}
	})

	t.Run("other issuer's key rejected", func(t *testing.T) {
		// Issuer B's key must never verify a token that names issuer A.
		requireRejected(t, v, sign(t, keyB, issuerA.claims()), jwtauth.ErrUnknownKey)
		requireRejected(t, v, sign(t, keyB.withKID(""), issuerA.claims()), jwtauth.ErrSignatureInvalid)
		requireRejected(t, v, sign(t, keyB.withKID(keyA.kid), issuerA.claims()), jwtauth.ErrSignatureInvalid)

		if got := issuerB.requestCount(); got != 1 {
			t.Errorf("issuer B got %d JWKS requests, want 1: only issuer A's set is refreshed", got)
		}
	})

	t.Run("one issuer down", func(t *testing.T) {
		down := newTestIssuer(t, keyB)
		down.setStatus(http.StatusInternalServerError)
		v := newVerifier(t, testSettings(issuerA.source(), down.source()), jwtauth.Options{})

		if v.HasKeys(context.Background()) {
			t.Error("HasKeys = true while one issuer has no keys")
		}
		requireVerified(t, v, sign(t, keyA, issuerA.claims()))
		requireRejected(t, v, sign(t, keyB, down.claims()), jwtauth.ErrKeysUnavailable)
	})
}

func TestVerifyRedirectedKeySet(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)

	// Another server on 127.0.0.1 is another origin: its port differs.
	elsewhere := httptest.NewServer(http.RedirectHandler(issuer.jwksURL, http.StatusFound))
	t.Cleanup(elsewhere.Close)

	s := issuer.settings()
	s.Issuers[0].JWKSURLs = []string{elsewhere.URL + "/jwks"}
	var fetches fetchErrors
	v := newVerifier(t, s, jwtauth.Options{OnFetchError: fetches.record})
	requireFetchErrors(t, &fetches, elsewhere.URL+"/jwks", 1, "another origin")
	requireRejected(t, v, sign(t, key, issuer.claims()), jwtauth.ErrKeysUnavailable)
}
