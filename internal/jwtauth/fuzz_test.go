package jwtauth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func FuzzBearerToken(f *testing.F) {
	seeds := []string{
		"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln",
		"bearer abc",
		"Basic dXNlcjpwYXNz",
		"Bearer",
		"Bearer ",
		"Bearer  abc",
		"Bearer a b",
		"",
	}
	for _, seed := range seeds {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, value string) {
		header := http.Header{}
		header.Set("Authorization", value)

		token, err := jwtauth.BearerToken(header)

		if err != nil {
			expected := []error{jwtauth.ErrNoToken, jwtauth.ErrTokenMalformed, jwtauth.ErrTokenTooLarge}
			if !slices.ContainsFunc(expected, func(sentinel error) bool { return errors.Is(err, sentinel) }) {
				t.Fatalf("error %v wraps none of ErrNoToken, ErrTokenMalformed and ErrTokenTooLarge", err)
			}
			if token != "" {
				t.Fatalf("token %q returned together with error %v", token, err)
			}
			return
		}
		if token == "" {
			t.Fatal("empty token returned without an error")
		}
		if strings.ContainsFunc(token, unicode.IsSpace) {
			t.Fatalf("token %q contains whitespace", token)
		}
		if len(token) > jwtauth.DefaultMaxTokenBytes {
			t.Fatalf("token of %d bytes is over the default limit", len(token))
		}
		scheme, rest, _ := strings.Cut(value, " ")
		if !strings.EqualFold(scheme, "Bearer") || rest != token {
			t.Fatalf("token %q is not what follows the Bearer scheme in %q", token, value)
		}
	})
}

// fuzzIssuer is the iss of the fuzz verifier. It is fixed, unlike the
// test server's URL, so that tokens in the committed corpus stay valid.
const fuzzIssuer = "https://issuer.fuzz.example"

// fuzzSigner returns an Ed25519 signer derived from a fixed seed, so that
// the committed corpus can hold tokens with valid signatures.
func fuzzSigner() signer {
	seed := sha256.Sum256([]byte("jwtauth fuzz corpus key"))
	return signer{
		kid:     "fuzz-ed25519",
		method:  jwt.SigningMethodEdDSA,
		private: ed25519.NewKeyFromSeed(seed[:]),
	}
}

// fuzzClaims returns valid claims for the fuzz verifier at testNow.
func fuzzClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": fuzzIssuer,
		"sub": "fuzz-user",
		"aud": "fuzz-api",
		"iat": testNow.Unix(),
		"nbf": testNow.Unix(),
		"exp": testNow.Add(time.Hour).Unix(),
	}
}

func FuzzVerify(f *testing.F) {
	fixed := fuzzSigner()
	rsaKey := rs256(f)
	ecKey := es256(f)
	issuer := newTestIssuer(f, fixed, rsaKey, ecKey)

	// The size limit is the largest allowed, so that big inputs reach the
	// parser instead of being rejected by their size alone.
	s := testSettings(jwtauth.IssuerSettings{Issuer: fuzzIssuer, JWKSURLs: []string{issuer.jwksURL}})
	s.Audiences = []string{"fuzz-api"}
	s.MaxTokenBytes = 1 << 20
	v := newVerifier(f, s, jwtauth.Options{})

	// These seeds are signed by the keys generated for this run. The
	// committed corpus contains tokens of the fixed key.
	f.Add(sign(f, fixed, fuzzClaims()))
	f.Add(sign(f, rsaKey, fuzzClaims()))
	f.Add(sign(f, ecKey, fuzzClaims()))
	f.Add(sign(f, ecKey.withKID(""), fuzzClaims()))
	f.Add(sign(f, rsaKey.withKID("unknown"), fuzzClaims()))
	f.Add(rawToken(`{"alg":"none"}`, `{"sub":"fuzz-user"}`, ""))
	f.Add("a.b")
	f.Add("a.b.c.d")

	f.Fuzz(func(t *testing.T, token string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		identity, err := v.Verify(ctx, token)

		if err != nil {
			if identity != nil {
				t.Fatalf("identity %+v returned together with error %v", identity, err)
			}
			if reason := jwtauth.ResponseFor(err).Reason; reason == "internal_error" {
				t.Fatalf("error %v wraps none of the package's errors", err)
			}
			if !jwtauth.IsRejection(err) {
				t.Fatalf("error %v is not a rejection although the issuer is up", err)
			}
			return
		}
		if identity == nil {
			t.Fatal("Verify returned neither an identity nor an error")
		}
		if identity.Issuer != fuzzIssuer {
			t.Fatalf("Issuer = %q, want %q", identity.Issuer, fuzzIssuer)
		}
		if identity.Subject == "" || strings.ContainsFunc(identity.Subject, unicode.IsControl) {
			t.Fatalf("Subject %q is empty or contains a control character", identity.Subject)
		}
	})
}
