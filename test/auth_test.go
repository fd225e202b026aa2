package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
)

// The demo API of apidef.json: realm "demo", audience "demo-api", the
// default algorithms and identity claim.
const (
	demoPath     = "/demo/anything"
	demoRealm    = "demo"
	demoAudience = "demo-api"
)

func demoToken(t testing.TB, change func(*devissuer.MintRequest)) string {
	t.Helper()
	req := devissuer.MintRequest{Subject: "alice", Audience: []string{demoAudience}}
	if change != nil {
		change(&req)
	}
	return mint(t, demoRealm, req)
}

func TestDemoAPIAcceptsValidTokens(t *testing.T) {
	for _, alg := range devissuer.Algorithms {
		t.Run(alg, func(t *testing.T) {
			token := demoToken(t, func(r *devissuer.MintRequest) { r.Algorithm = alg })
			wantProxied(t, get(t, demoPath, bearer(token)), "/anything")
		})
	}
}

func TestDemoAPIMatchesBearerSchemeCaseInsensitively(t *testing.T) {
	token := demoToken(t, nil)
	for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
		t.Run(scheme, func(t *testing.T) {
			wantProxied(t, get(t, demoPath, scheme+" "+token), "/anything")
		})
	}
}

func TestDemoAPIAcceptsAudienceArray(t *testing.T) {
	token := demoToken(t, func(r *devissuer.MintRequest) {
		r.Audience = []string{"other-api", demoAudience}
	})
	wantProxied(t, get(t, demoPath, bearer(token)), "/anything")
}

func TestDemoAPIRejectsBadCredentials(t *testing.T) {
	valid := demoToken(t, nil)
	cases := []struct {
		name          string
		authorization []string
		status        int
		challenge     string
		description   string
	}{
		{
			name:        "no Authorization header",
			status:      http.StatusUnauthorized,
			challenge:   "Bearer",
			description: "bearer token required",
		},
		{
			name:          "Basic credentials instead of a bearer token",
			authorization: []string{"Basic YWxpY2U6c2VjcmV0"},
			status:        http.StatusUnauthorized,
			challenge:     "Bearer",
			description:   "bearer token required",
		},
		{
			name:          "Bearer scheme without a token",
			authorization: []string{"Bearer"},
			status:        http.StatusUnauthorized,
			challenge:     invalidToken("token is malformed"),
			description:   "token is malformed",
		},
		{
			name:          "two Authorization headers",
			authorization: []string{bearer(valid), bearer(valid)},
			status:        http.StatusBadRequest,
			challenge:     `Bearer error="invalid_request", error_description="request carries more than one credential"`,
			description:   "request carries more than one credential",
		},
		{
			name:          "token that is not a JWT",
			authorization: []string{"Bearer not-a-jwt"},
			status:        http.StatusUnauthorized,
			challenge:     invalidToken("token is malformed"),
			description:   "token is malformed",
		},
		{
			name:          "token with a tampered payload",
			authorization: []string{bearer(tamper(t, valid))},
			status:        http.StatusUnauthorized,
			challenge:     invalidToken("token signature is invalid"),
			description:   "token signature is invalid",
		},
		{
			name: "expired token",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.TTL = "-5m"
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token has expired"),
			description: "token has expired",
		},
		{
			name: "token not valid before an hour from now",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.NotBefore = "1h"
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token is not valid yet"),
			description: "token is not valid yet",
		},
		{
			name: "token without exp",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.Claims = map[string]any{"exp": nil}
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token lacks a required claim"),
			description: "token lacks a required claim",
		},
		{
			name: "token from another issuer",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.Issuer = "https://attacker.example/realms/demo"
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token issuer is not accepted"),
			description: "token issuer is not accepted",
		},
		{
			name: "token for another audience",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.Audience = []string{"billing-api"}
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token audience is not accepted"),
			description: "token audience is not accepted",
		},
		{
			name: "token without aud",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.Audience = nil
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token lacks a required claim"),
			description: "token lacks a required claim",
		},
		{
			name: "token naming a kid the issuer never published",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.KeyID = "no-such-key"
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token key id is not in the issuer's key set"),
			description: "token key id is not in the issuer's key set",
		},
		{
			name:          "token signed by another realm's key",
			authorization: []string{bearer(foreignRealmToken(t))},
			status:        http.StatusUnauthorized,
			challenge:     invalidToken("token key id is not in the issuer's key set"),
			description:   "token key id is not in the issuer's key set",
		},
		{
			name: "token without sub",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.Subject = ""
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token lacks a required claim"),
			description: "token lacks a required claim",
		},
		{
			name: "token whose sub is a number",
			authorization: []string{bearer(demoToken(t, func(r *devissuer.MintRequest) {
				r.Claims = map[string]any{"sub": 42}
			}))},
			status:      http.StatusUnauthorized,
			challenge:   invalidToken("token has an invalid claim"),
			description: "token has an invalid claim",
		},
		{
			name:          "unsigned token with alg none",
			authorization: []string{bearer(unsignedToken(t, valid))},
			status:        http.StatusUnauthorized,
			challenge:     invalidToken("token signing algorithm is not allowed"),
			description:   "token signing algorithm is not allowed",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, demoPath, tc.authorization...)
			wantRejected(t, got, tc.status, tc.challenge, errorBody(tc.description))
			if strings.Contains(got.body, valid) {
				t.Error("the answer echoes the token")
			}
		})
	}
}

// tamper rewrites the token's payload with another subject and keeps the
// original header and signature, so that only the signature check can
// catch it.
func tamper(t testing.TB, token string) string {
	t.Helper()
	claims := claimsOf(t, token)
	claims["sub"] = "mallory"
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// unsignedToken keeps the payload of token and replaces its header by
// {"alg":"none"} with an empty signature.
func unsignedToken(t testing.TB, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", token)
	}
	// base64url of {"alg":"none","typ":"JWT"}
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
}

// foreignRealmToken is a token with the demo realm's claims, signed by the
// key of another realm of the same issuer and naming that key's kid.
func foreignRealmToken(t testing.TB) string {
	t.Helper()
	demoIssuer, _ := claimsOf(t, demoToken(t, nil))["iss"].(string)
	return mint(t, "elsewhere", devissuer.MintRequest{
		Subject:  "alice",
		Audience: []string{demoAudience},
		Issuer:   demoIssuer,
	})
}
