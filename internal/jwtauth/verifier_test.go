package jwtauth_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func TestVerifyAcceptsAlgorithms(t *testing.T) {
	k := generatedKeys(t)
	signers := []signer{
		{kid: "rsa-rs256", method: jwt.SigningMethodRS256, private: k.rsa[0]},
		{kid: "rsa-rs384", method: jwt.SigningMethodRS384, private: k.rsa[0]},
		{kid: "rsa-rs512", method: jwt.SigningMethodRS512, private: k.rsa[0]},
		{kid: "rsa-ps256", method: jwt.SigningMethodPS256, private: k.rsa[0]},
		{kid: "rsa-ps384", method: jwt.SigningMethodPS384, private: k.rsa[0]},
		{kid: "rsa-ps512", method: jwt.SigningMethodPS512, private: k.rsa[0]},
		es256(t),
		es384(t),
		es512(t),
		eddsa(t),
	}
	issuer := newTestIssuer(t, signers...)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})

	for _, s := range signers {
		t.Run(s.method.Alg()+" accepted", func(t *testing.T) {
			identity := requireVerified(t, v, sign(t, s, issuer.claims()))

			if identity.Issuer != issuer.issuer {
				t.Errorf("Issuer = %q, want %q", identity.Issuer, issuer.issuer)
			}
			if identity.Subject != "user-1" {
				t.Errorf("Subject = %q, want %q", identity.Subject, "user-1")
			}
			if want := testNow.Add(10 * time.Minute); !identity.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", identity.ExpiresAt, want)
			}
			if identity.KeyID != s.kid {
				t.Errorf("KeyID = %q, want %q", identity.KeyID, s.kid)
			}
			if identity.Claims["sub"] != "user-1" {
				t.Errorf(`Claims["sub"] = %v, want "user-1"`, identity.Claims["sub"])
			}
		})
	}

	if got := issuer.requestCount(); got != 1 {
		t.Errorf("issuer got %d JWKS requests, want 1: known kids need no refresh", got)
	}
}

func TestVerifyTimeClaims(t *testing.T) {
	at := func(offset time.Duration) int64 { return testNow.Add(offset).Unix() }
	tests := []struct {
		name    string
		leeway  time.Duration
		changes map[string]any
		want    error
	}{
		{"valid token accepted", 30 * time.Second, nil, nil},
		{"expired token rejected", 30 * time.Second, map[string]any{"exp": at(-time.Minute)}, jwtauth.ErrTokenExpired},
		{"expired within leeway accepted", 30 * time.Second, map[string]any{"exp": at(-10 * time.Second)}, nil},
		{"expired without leeway rejected", 0, map[string]any{"exp": at(-time.Second)}, jwtauth.ErrTokenExpired},
		{"future nbf rejected", 30 * time.Second, map[string]any{"nbf": at(5 * time.Minute)}, jwtauth.ErrTokenNotYetValid},
		{"nbf within leeway accepted", 30 * time.Second, map[string]any{"nbf": at(10 * time.Second)}, nil},
		{"future iat rejected", 30 * time.Second, map[string]any{"iat": at(5 * time.Minute)}, jwtauth.ErrTokenNotYetValid},
		{"iat within leeway accepted", 30 * time.Second, map[string]any{"iat": at(10 * time.Second)}, nil},
		{"missing exp rejected", 30 * time.Second, map[string]any{"exp": nil}, jwtauth.ErrMissingClaim},
		{"string exp rejected", 30 * time.Second, map[string]any{"exp": "tomorrow"}, jwtauth.ErrInvalidClaim},
		{"missing nbf and iat accepted", 30 * time.Second, map[string]any{"nbf": nil, "iat": nil}, nil},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.Leeway = tt.leeway
			v := newVerifier(t, s, jwtauth.Options{})

			token := sign(t, key, issuer.claimsWith(tt.changes))
			if tt.want == nil {
				requireVerified(t, v, token)
				return
			}
			requireRejected(t, v, token, tt.want)
		})
	}
}

func TestVerifyClockFromOptions(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	token := sign(t, key, issuer.claims())

	later := func() time.Time { return testNow.Add(time.Hour) }
	v := newVerifier(t, issuer.settings(), jwtauth.Options{Now: later})

	requireRejected(t, v, token, jwtauth.ErrTokenExpired)
}

func TestVerifyIssuer(t *testing.T) {
	tests := []struct {
		name string
		iss  any
		want error
	}{
		{"other issuer rejected", "https://attacker.example", jwtauth.ErrWrongIssuer},
		{"issuer with extra slash rejected", "ISSUER/", jwtauth.ErrWrongIssuer},
		{"missing issuer rejected", nil, jwtauth.ErrMissingClaim},
		{"numeric issuer rejected", 42, jwtauth.ErrInvalidClaim},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := issuer.claims()
			switch tt.iss {
			case nil:
				delete(claims, "iss")
			case "ISSUER/":
				claims["iss"] = issuer.issuer + "/"
			default:
				claims["iss"] = tt.iss
			}
			requireRejected(t, v, sign(t, key, claims), tt.want)
		})
	}
}

func TestVerifyAudience(t *testing.T) {
	const absent = "<absent>"
	tests := []struct {
		name      string
		audiences []string
		aud       any
		want      error
	}{
		{"string match accepted", []string{"api"}, "api", nil},
		{"array with one match accepted", []string{"api"}, []string{"other", "api"}, nil},
		{"second configured audience accepted", []string{"api", "admin"}, "admin", nil},
		{"array without match rejected", []string{"api"}, []string{"other", "more"}, jwtauth.ErrWrongAudience},
		{"string without match rejected", []string{"api"}, "other", jwtauth.ErrWrongAudience},
		{"missing aud rejected", []string{"api"}, absent, jwtauth.ErrMissingClaim},
		{"empty aud array rejected", []string{"api"}, []string{}, jwtauth.ErrMissingClaim},
		{"numeric aud rejected", []string{"api"}, 42, jwtauth.ErrInvalidClaim},
		{"array with number rejected", []string{"api"}, []any{"api", 42}, jwtauth.ErrInvalidClaim},
		{"unconfigured accepts any string", nil, "anything", nil},
		{"unconfigured accepts any array", nil, []string{"a", "b"}, nil},
		{"unconfigured accepts missing aud", nil, absent, nil},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.Audiences = tt.audiences
			v := newVerifier(t, s, jwtauth.Options{})

			claims := issuer.claims()
			if tt.aud != absent {
				claims["aud"] = tt.aud
			}
			token := sign(t, key, claims)
			if tt.want == nil {
				requireVerified(t, v, token)
				return
			}
			requireRejected(t, v, token, tt.want)
		})
	}
}

func TestVerifyAlgorithmNotAllowed(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key, es256(t))
	claims, err := json.Marshal(issuer.claims())
	if err != nil {
		t.Fatal(err)
	}

	// The classic key confusion attack: an HMAC token keyed with the bytes
	// of the issuer's public RSA key, in the two usual encodings.
	der, err := x509.MarshalPKIXPublicKey(key.private.Public())
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hmacToken := func(secret []byte) string {
		token := jwt.NewWithClaims(jwt.SigningMethodHS256, issuer.claims())
		token.Header["kid"] = key.kid
		signed, err := token.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}

	tests := []struct {
		name       string
		algorithms []string
		token      string
	}{
		{"alg none without signature", nil, rawToken(`{"alg":"none","typ":"JWT"}`, string(claims), "")},
		{"alg none with kid", nil, rawToken(`{"alg":"none","kid":"rsa-1"}`, string(claims), "")},
		{"alg NONE uppercase", nil, rawToken(`{"alg":"NONE","kid":"rsa-1"}`, string(claims), "")},
		{"HS256 keyed with public key PEM", nil, hmacToken(pemBytes)},
		{"HS256 keyed with public key DER", nil, hmacToken(der)},
		{"unknown alg", nil, rawToken(`{"alg":"XS256","kid":"rsa-1"}`, string(claims), "c2ln")},
		{"ES256 removed from settings", []string{"RS256"}, sign(t, es256(t), issuer.claims())},
		{"RS256 removed from settings", []string{"PS256", "ES256"}, sign(t, key, issuer.claims())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			if tt.algorithms != nil {
				s.Algorithms = tt.algorithms
			}
			v := newVerifier(t, s, jwtauth.Options{})

			requireRejected(t, v, tt.token, jwtauth.ErrAlgorithmNotAllowed)
		})
	}
}

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

func TestVerifySignatureInvalid(t *testing.T) {
	signers := []signer{rs256(t), es256(t), eddsa(t)}
	issuer := newTestIssuer(t, signers...)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})

	for _, s := range signers {
		token := sign(t, s, issuer.claims())
		other := sign(t, s, issuer.claimsWith(map[string]any{"sub": "user-2"}))
		header, payload, signature := splitJWS(t, token)
		_, otherPayload, otherSignature := splitJWS(t, other)

		raw, err := base64.RawURLEncoding.DecodeString(signature)
		if err != nil {
			t.Fatal(err)
		}
		truncated := base64.RawURLEncoding.EncodeToString(raw[:len(raw)/2])
		raw[len(raw)/2] ^= 0x01
		flipped := base64.RawURLEncoding.EncodeToString(raw)

		tests := []struct {
			name  string
			token string
		}{
			{"payload swapped", header + "." + otherPayload + "." + signature},
			{"signature swapped", header + "." + payload + "." + otherSignature},
			{"signature bit flipped", header + "." + payload + "." + flipped},
			{"signature truncated", header + "." + payload + "." + truncated},
			{"signature empty", header + "." + payload + "."},
		}
		for _, tt := range tests {
			t.Run(s.method.Alg()+" "+tt.name, func(t *testing.T) {
				requireRejected(t, v, tt.token, jwtauth.ErrSignatureInvalid)
			})
		}
	}
}

// splitJWS returns the three segments of a compact JWS.
func splitJWS(t testing.TB, token string) (header, payload, signature string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

func TestVerifyMalformedToken(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})

	valid := sign(t, key, issuer.claims())
	header, payload, signature := splitJWS(t, valid)
	claims, err := json.Marshal(issuer.claims())
	if err != nil {
		t.Fatal(err)
	}

	// A header of 29 bytes needs one "=" of padding in padded base64url,
	// which the raw encoding of RFC 7515 does not allow.
	paddedHeader := base64.URLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"rsa-1"}`))
	if !strings.HasSuffix(paddedHeader, "=") {
		t.Fatalf("padded header %q has no padding", paddedHeader)
	}

	tests := []struct {
		name  string
		token string
	}{
		{"empty string", ""},
		{"two segments", header + "." + payload},
		{"four segments", valid + "." + signature},
		{"dots only", ".."},
		{"header not base64url", "!!!." + payload + "." + signature},
		{"payload not base64url", header + ".***." + signature},
		{"signature not base64url", header + "." + payload + ".%%%"},
		{"standard base64 characters", strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+/"},
		{"padded header", paddedHeader + "." + payload + "." + signature},
		{"header not JSON", rawToken(`{alg: RS256}`, string(claims), signature)},
		{"header JSON array", rawToken(`["RS256"]`, string(claims), signature)},
		{"header JSON string", rawToken(`"RS256"`, string(claims), signature)},
		{"header JSON null", rawToken(`null`, string(claims), signature)},
		{"header without alg", rawToken(`{"kid":"rsa-1","typ":"JWT"}`, string(claims), signature)},
		{"payload not JSON", rawToken(`{"alg":"RS256","kid":"rsa-1"}`, `sub=user-1`, signature)},
		{"payload JSON array", rawToken(`{"alg":"RS256","kid":"rsa-1"}`, `["user-1"]`, signature)},
		{"numeric kid", signWithHeader(t, key, issuer.claims(), map[string]any{"kid": 42})},
		{"null kid", rawToken(`{"alg":"RS256","kid":null}`, string(claims), signature)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireRejected(t, v, tt.token, jwtauth.ErrTokenMalformed)
		})
	}
}

func TestVerifyIdentityClaim(t *testing.T) {
	tests := []struct {
		name          string
		identityClaim string
		changes       map[string]any
		wantSubject   string
		wantErr       error
	}{
		{"sub used by default", "sub", nil, "user-1", nil},
		{"unicode sub accepted", "sub", map[string]any{"sub": "jürgen@例え.jp"}, "jürgen@例え.jp", nil},
		{"missing sub rejected", "sub", map[string]any{"sub": nil}, "", jwtauth.ErrMissingClaim},
		{"numeric sub rejected", "sub", map[string]any{"sub": 42}, "", jwtauth.ErrInvalidClaim},
		{"empty sub rejected", "sub", map[string]any{"sub": ""}, "", jwtauth.ErrMissingClaim},
		{"sub with line feed rejected", "sub", map[string]any{"sub": "user-1\nadmin"}, "", jwtauth.ErrInvalidClaim},
		{"sub with escape rejected", "sub", map[string]any{"sub": "\x1b[31muser"}, "", jwtauth.ErrInvalidClaim},
		{"email claim used", "email", map[string]any{"email": "ada@example.com"}, "ada@example.com", nil},
		{"missing email rejected", "email", nil, "", jwtauth.ErrMissingClaim},
		{"array email rejected", "email", map[string]any{"email": []string{"ada@example.com"}}, "", jwtauth.ErrInvalidClaim},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.IdentityClaim = tt.identityClaim
			v := newVerifier(t, s, jwtauth.Options{})

			token := sign(t, key, issuer.claimsWith(tt.changes))
			if tt.wantErr != nil {
				requireRejected(t, v, token, tt.wantErr)
				return
			}

			identity := requireVerified(t, v, token)
			if identity.Subject != tt.wantSubject {
				t.Errorf("Subject = %q, want %q", identity.Subject, tt.wantSubject)
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

		withKID := sign(t, key, issuer.claims())
		withoutKID := sign(t, key.withKID(""), issuer.claims())
		requireRejected(t, v, withoutKID, jwtauth.ErrKeysUnavailable)
		requireRejected(t, v, withKID, jwtauth.ErrKeysUnavailable)
		requireFetchErrors(t, &fetches, issuer.jwksURL, 2, "500")

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
		{"JWKS not JSON", func(issuer *testIssuer) { issuer.setBody([]byte("<html>maintenance</html>")) }, "decode"},
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
// want times, each with url and an error whose text contains text.
func requireFetchErrors(t testing.TB, fetches *fetchErrors, url string, want int, text string) {
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
		if !strings.Contains(call.err.Error(), text) {
			t.Errorf("OnFetchError error %q does not mention %q", call.err, text)
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
		{"JWKS not JSON", func(issuer *testIssuer) { issuer.setBody([]byte("not json")) }, "decode"},
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

	// The padding member is ignored by JWKS readers but makes the answer
	// several chunks long, so a streamed answer is read in pieces.
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
		{"declared size over limit rejected", false, size - 1, []string{"too large", strconv.Itoa(size), strconv.Itoa(size - 1)}},
		{"streamed size at limit accepted", true, size, nil},
		{"streamed size one byte over limit rejected", true, size - 1, []string{"too large"}},
		{"streamed size far over limit rejected", true, size / 2, []string{"too large"}},
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
				requireFetchErrors(t, &fetches, issuer.jwksURL, 0, "")
				requireVerified(t, v, token)
				return
			}

			for _, text := range tt.wantText {
				requireFetchErrors(t, &fetches, issuer.jwksURL, 1, text)
			}
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

func TestAnswerFor(t *testing.T) {
	tests := []struct {
		err       error
		status    int
		errorCode string
		reason    string
		rejection bool
	}{
		{jwtauth.ErrNoToken, 401, "", "no_token", true},
		{jwtauth.ErrTokenMalformed, 401, "invalid_token", "token_malformed", true},
		{jwtauth.ErrAlgorithmNotAllowed, 401, "invalid_token", "alg_not_allowed", true},
		{jwtauth.ErrUnknownKey, 401, "invalid_token", "unknown_kid", true},
		{jwtauth.ErrKeyMismatch, 401, "invalid_token", "key_mismatch", true},
		{jwtauth.ErrSignatureInvalid, 401, "invalid_token", "bad_signature", true},
		{jwtauth.ErrTokenExpired, 401, "invalid_token", "token_expired", true},
		{jwtauth.ErrTokenNotYetValid, 401, "invalid_token", "token_not_yet_valid", true},
		{jwtauth.ErrMissingClaim, 401, "invalid_token", "missing_claim", true},
		{jwtauth.ErrInvalidClaim, 401, "invalid_token", "invalid_claim", true},
		{jwtauth.ErrWrongIssuer, 401, "invalid_token", "wrong_issuer", true},
		{jwtauth.ErrWrongAudience, 401, "invalid_token", "wrong_audience", true},
		{jwtauth.ErrKeysUnavailable, 503, "", "keys_unavailable", false},
		{jwtauth.ErrInvalidSettings, 500, "", "invalid_settings", false},
		{errors.New("database on fire"), 500, "", "internal_error", false},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("verify token: %w", tt.err)} {
			t.Run(err.Error(), func(t *testing.T) {
				answer := jwtauth.AnswerFor(err)

				if answer.Status != tt.status {
					t.Errorf("Status = %d, want %d", answer.Status, tt.status)
				}
				if answer.ErrorCode != tt.errorCode {
					t.Errorf("ErrorCode = %q, want %q", answer.ErrorCode, tt.errorCode)
				}
				if answer.Reason != tt.reason {
					t.Errorf("Reason = %q, want %q", answer.Reason, tt.reason)
				}
				if answer.Description == "" {
					t.Error("Description is empty")
				}
				if strings.Contains(answer.Description, "fire") {
					t.Errorf("Description %q repeats the internal error", answer.Description)
				}
				if got := jwtauth.IsRejection(err); got != tt.rejection {
					t.Errorf("IsRejection = %v, want %v", got, tt.rejection)
				}
			})
		}
	}
}
