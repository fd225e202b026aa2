package e2e

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
)

// The adversarial API (testdata/apps/adversarial.json) trusts two issuers:
// realm "adv" by JWKS URL and realm "adv-partner" by OpenID Connect
// discovery. It takes tokens from four sources, limits tokens to 4096
// bytes and lifetimes to 2h, and challenges with realm "adv".
const (
	advPath     = "/adv/resource"
	advRealm    = "adv"
	advPartner  = "adv-partner"
	advAudience = "adv-api"
	advMaxBytes = 4096
)

// advRequest is one request to the gateway.
type advRequest struct {
	path    string
	headers http.Header
	query   url.Values
}

func bearerRequest(token string) advRequest {
	return advRequest{headers: http.Header{"Authorization": {"Bearer " + token}}}
}

func (r advRequest) send(t testing.TB) response {
	t.Helper()
	path := r.path
	if path == "" {
		path = advPath
	}
	target := env.gatewayURL + path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range r.headers {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}

	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// advToken mints a token of the adversarial API's main issuer.
func advToken(t testing.TB, change func(*devissuer.MintRequest)) string {
	t.Helper()
	req := devissuer.MintRequest{Subject: "alice", Audience: []string{advAudience}}
	if change != nil {
		change(&req)
	}
	return mint(t, advRealm, req)
}

// advChallenge is the adversarial API's challenge for an error code.
func advChallenge(code, description string) string {
	return `Bearer realm="adv", error="` + code + `", error_description="` + description + `"`
}

// segments returns the three parts of a compact JWS.
func segments(t testing.TB, token string) []string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", token)
	}
	return parts
}

func b64(data []byte) string {
	return base64.RawURLEncoding.EncodeToString(data)
}

// withHeader replaces a token's header by raw JSON, keeping payload and
// signature: anything that reads the header before the signature must
// reject it on its own.
func withHeader(t testing.TB, token, header string) string {
	t.Helper()
	parts := segments(t, token)
	return b64([]byte(header)) + "." + parts[1] + "." + parts[2]
}

// hmacWithPublicKey forges the classic algorithm-confusion token: HS256,
// keyed with the issuer's RSA public key as published, naming that key.
func hmacWithPublicKey(t testing.TB) string {
	t.Helper()
	resp, err := client.Get(env.issuerURL + "/realms/" + advRealm + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		if k["kty"] != "RSA" {
			continue
		}
		n, _ := base64.RawURLEncoding.DecodeString(k["n"])
		// The development issuer's RSA keys all use e = 65537.
		der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
		if err != nil {
			t.Fatal(err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		claims := claimsOf(t, advToken(t, nil))
		token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims))
		token.Header["kid"] = k["kid"]
		signed, err := token.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	t.Fatal("the adv realm publishes no RSA key")
	return ""
}

// attackerToken signs the adversarial API's usual claims with a key the
// issuer never published, adding header fields that try to smuggle the
// key in (jku, x5u, jwk).
func attackerToken(t testing.TB, header map[string]any) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := claimsOf(t, advToken(t, nil))
	token := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(claims))
	for name, value := range header {
		token.Header[name] = value
	}
	if value, ok := header["jwk"]; ok && value == "embed" {
		token.Header["jwk"] = map[string]string{
			"kty": "EC", "crv": "P-256",
			"x": b64(key.PublicKey.X.FillBytes(make([]byte, 32))),
			"y": b64(key.PublicKey.Y.FillBytes(make([]byte, 32))),
		}
	}
	signed, err := token.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestAdversarialTokens runs every attack of the table through the real
// gateway and checks the exact response.
func TestAdversarialTokens(t *testing.T) {
	valid := advToken(t, nil)
	validClaims := claimsOf(t, valid)
	partnerIssuer := strings.Replace(validClaims["iss"].(string), "/realms/adv", "/realms/adv-partner", 1)
	bigClaim := strings.Repeat("x", advMaxBytes)

	malformed := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token is malformed"), "token is malformed"}
	algNotAllowed := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token signing algorithm is not allowed"), "token signing algorithm is not allowed"}
	unknownKID := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token key id is not in the issuer's key set"), "token key id is not in the issuer's key set"}
	badSignature := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token signature is invalid"), "token signature is invalid"}
	keyMismatch := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token key cannot verify the token's algorithm"), "token key cannot verify the token's algorithm"}
	missingClaim := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token lacks a required claim"), "token lacks a required claim"}
	invalidClaim := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token has an invalid claim"), "token has an invalid claim"}
	notYetValid := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token is not valid yet"), "token is not valid yet"}
	wrongAudience := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token audience is not accepted"), "token audience is not accepted"}
	wrongIssuer := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token issuer is not accepted"), "token issuer is not accepted"}
	tooLarge := []any{http.StatusUnauthorized, advChallenge("invalid_token", "token is too large"), "token is too large"}
	ambiguous := []any{http.StatusBadRequest, advChallenge("invalid_request", "request carries more than one credential"), "request carries more than one credential"}
	noToken := []any{http.StatusUnauthorized, `Bearer realm="adv"`, "bearer token required"}
	accepted := []any{http.StatusOK, "", ""}

	cases := []struct {
		name    string
		request func(t *testing.T) advRequest
		want    []any // status, WWW-Authenticate, body error ("" for 200)
	}{
		// Algorithms.
		{"alg none without signature", func(t *testing.T) advRequest {
			return bearerRequest(unsignedToken(t, valid))
		}, algNotAllowed},
		{"alg None in another case", func(t *testing.T) advRequest {
			return bearerRequest(withHeader(t, valid, `{"alg":"None","typ":"JWT"}`))
		}, algNotAllowed},
		{"HS256 keyed with the RSA public key", func(t *testing.T) advRequest {
			return bearerRequest(hmacWithPublicKey(t))
		}, algNotAllowed},
		{"header without alg", func(t *testing.T) advRequest {
			return bearerRequest(withHeader(t, valid, `{"typ":"JWT","kid":"adv-rs256-0"}`))
		}, malformed},
		{"RS256 token naming the EC key", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.KeyID = "adv-es256-0" }))
		}, keyMismatch},
		{"ES256 token naming the Ed25519 key", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Algorithm = "ES256"; r.KeyID = "adv-eddsa-0" }))
		}, keyMismatch},

		// Keys of other issuers, and keys smuggled in through the header.
		{"kid of the partner issuer's key", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.KeyID = "adv-partner-rs256-0" }))
		}, unknownKID},
		{"partner iss signed with the main issuer's key", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Issuer = partnerIssuer }))
		}, unknownKID},
		{"attacker key announced by jku", func(t *testing.T) advRequest {
			return bearerRequest(attackerToken(t, map[string]any{"kid": "attacker", "jku": "http://127.0.0.1:1/jwks.json"}))
		}, unknownKID},
		{"attacker key announced by x5u", func(t *testing.T) advRequest {
			return bearerRequest(attackerToken(t, map[string]any{"kid": "attacker", "x5u": "http://127.0.0.1:1/cert.pem"}))
		}, unknownKID},
		{"attacker key embedded as jwk without kid", func(t *testing.T) advRequest {
			return bearerRequest(attackerToken(t, map[string]any{"jwk": "embed"}))
		}, badSignature},
		{"issuer's token with a jku header is accepted, jku ignored", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) {
				r.Header = map[string]any{"jku": "http://127.0.0.1:1/jwks.json"}
			}))
		}, accepted},
		{"kid that is a number", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Header = map[string]any{"kid": 7} }))
		}, malformed},
		{"signature removed", func(t *testing.T) advRequest {
			parts := segments(t, valid)
			return bearerRequest(parts[0] + "." + parts[1] + ".")
		}, badSignature},

		// Time.
		{"expired token", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.TTL = "-1m" }))
		}, []any{http.StatusUnauthorized, advChallenge("invalid_token", "token has expired"), "token has expired"}},
		{"nbf in the future", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.NotBefore = "10m" }))
		}, notYetValid},
		{"iat in the future", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) {
				r.Claims = map[string]any{"iat": time.Now().Add(10 * time.Minute).Unix()}
			}))
		}, notYetValid},
		{"lifetime over max_token_lifetime", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.TTL = "3h" }))
		}, []any{http.StatusUnauthorized, advChallenge("invalid_token", "token lifetime exceeds the maximum this API allows"), "token lifetime exceeds the maximum this API allows"}},
		{"no iat while max_token_lifetime is set", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"iat": nil} }))
		}, missingClaim},
		{"exp beyond the year 9999", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"exp": 1e300} }))
		}, invalidClaim},
		{"exp out of range behind a valid EXP", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) {
				r.Claims = map[string]any{"exp": 1e17, "EXP": time.Now().Add(time.Hour).Unix()}
			}))
		}, invalidClaim},
		{"exp 0", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"exp": 0} }))
		}, []any{http.StatusUnauthorized, advChallenge("invalid_token", "token has expired"), "token has expired"}},
		{"exp that is a string", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"exp": "tomorrow"} }))
		}, invalidClaim},

		// Audience and issuer.
		{"wrong audience", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Audience = []string{"other-api"} }))
		}, wrongAudience},
		{"missing audience", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Audience = nil }))
		}, missingClaim},
		{"audience array with a match", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Audience = []string{"x", advAudience} }))
		}, accepted},
		{"audience array without a match", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Audience = []string{"x", "y"} }))
		}, wrongAudience},
		{"audience that is a number", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"aud": 5} }))
		}, invalidClaim},
		{"wrong issuer", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Issuer = "https://evil.example/" }))
		}, wrongIssuer},
		{"missing issuer", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"iss": nil} }))
		}, missingClaim},
		{"issuer that is a number", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"iss": 1} }))
		}, invalidClaim},
		{"partner issuer through discovery", func(t *testing.T) advRequest {
			return bearerRequest(mint(t, advPartner, devissuer.MintRequest{Subject: "bob", Audience: []string{advAudience}}))
		}, accepted},

		// Size and shape.
		{"token over max_token_bytes", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"pad": bigClaim} }))
		}, tooLarge},
		{"20 KB header value", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"X-Api-Token": {strings.Repeat("a", 20<<10)}}}
		}, tooLarge},
		{"two segments", func(t *testing.T) advRequest {
			parts := segments(t, valid)
			return bearerRequest(parts[0] + "." + parts[1])
		}, malformed},
		{"four segments", func(t *testing.T) advRequest {
			return bearerRequest(valid + ".extra")
		}, malformed},
		{"five segments of a JWE", func(t *testing.T) advRequest {
			return bearerRequest("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d")
		}, malformed},
		{"JWS JSON serialization", func(t *testing.T) advRequest {
			parts := segments(t, valid)
			return bearerRequest(`{"payload":"` + parts[1] + `","signatures":[]}`)
		}, malformed},
		{"payload with characters outside base64url", func(t *testing.T) advRequest {
			parts := segments(t, valid)
			return bearerRequest(parts[0] + "." + parts[1][:10] + "+/" + parts[1][12:] + "." + parts[2])
		}, malformed},
		{"payload with base64 padding", func(t *testing.T) advRequest {
			parts := segments(t, valid)
			return bearerRequest(parts[0] + "." + parts[1] + "==." + parts[2])
		}, malformed},
		{"header that is not JSON", func(t *testing.T) advRequest {
			return bearerRequest(withHeader(t, valid, `alg=RS256`))
		}, malformed},
		{"duplicate sub in the payload", func(t *testing.T) advRequest {
			payload, _ := json.Marshal(validClaims)
			raw := strings.Replace(string(payload), `"sub":"alice"`, `"sub":"alice","sub":"admin"`, 1)
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.RawPayload = raw }))
		}, []any{http.StatusUnauthorized, advChallenge("invalid_token", "token JSON repeats a member name"), "token JSON repeats a member name"}},
		{"duplicate alg in the header", func(t *testing.T) advRequest {
			return bearerRequest(withHeader(t, valid, `{"alg":"RS256","alg":"none","kid":"adv-rs256-0"}`))
		}, []any{http.StatusUnauthorized, advChallenge("invalid_token", "token JSON repeats a member name"), "token JSON repeats a member name"}},
		{"crit header naming an extension", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) {
				r.Header = map[string]any{"crit": []string{"exp"}, "exp": 1}
			}))
		}, []any{http.StatusUnauthorized, advChallenge("invalid_token", "token requires an unsupported JWS extension"), "token requires an unsupported JWS extension"}},

		// Subject.
		{"subject that is a number", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"sub": 12} }))
		}, invalidClaim},
		{"empty subject", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Claims = map[string]any{"sub": ""} }))
		}, missingClaim},
		{"subject with a control character", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Subject = "al\u0007ice" }))
		}, invalidClaim},
		{"subject with a right-to-left override", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Subject = "\u202enimda" }))
		}, invalidClaim},
		{"subject with a line break", func(t *testing.T) advRequest {
			return bearerRequest(advToken(t, func(r *devissuer.MintRequest) { r.Subject = "alice\nadmin" }))
		}, invalidClaim},

		// Token sources.
		{"scheme in lower case", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"Authorization": {"bearer " + valid}}}
		}, accepted},
		{"scheme in upper case", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"Authorization": {"BEARER " + valid}}}
		}, accepted},
		{"Basic credentials only", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}}
		}, noToken},
		{"token in the custom header", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"X-Api-Token": {valid}}}
		}, accepted},
		{"token in the query", func(t *testing.T) advRequest {
			return advRequest{query: url.Values{"access_token": {valid}}}
		}, accepted},
		{"token in the cookie", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"Cookie": {"session_token=" + valid}}}
		}, accepted},
		{"tokens in header and query", func(t *testing.T) advRequest {
			r := bearerRequest(valid)
			r.query = url.Values{"access_token": {valid}}
			return r
		}, ambiguous},
		{"tokens in Authorization and the custom header", func(t *testing.T) advRequest {
			r := bearerRequest(valid)
			r.headers.Set("X-Api-Token", valid)
			return r
		}, ambiguous},
		{"query parameter given twice", func(t *testing.T) advRequest {
			return advRequest{query: url.Values{"access_token": {valid, valid}}}
		}, ambiguous},
		{"tokens in cookie and header", func(t *testing.T) advRequest {
			r := bearerRequest(valid)
			r.headers.Set("Cookie", "session_token="+valid)
			return r
		}, ambiguous},
		{"two Authorization headers", func(t *testing.T) advRequest {
			return advRequest{headers: http.Header{"Authorization": {"Bearer " + valid, "Basic YWxpY2U6cHc="}}}
		}, ambiguous},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.request(t).send(t)
			status, challenge, description := tc.want[0].(int), tc.want[1].(string), tc.want[2].(string)
			if status == http.StatusOK {
				wantProxied(t, got, "/resource")
				return
			}
			wantRejected(t, got, status, challenge, errorBody(description))
		})
	}
	if len(cases) < 40 {
		t.Errorf("the adversarial table has %d cases, want at least 40", len(cases))
	}
}

// The advkeys API (testdata/apps/advkeys.json) has its own realm, whose
// key set this test makes hostile step by step.
func TestHostileKeySets(t *testing.T) {
	const realm = "adv-keys"
	const path = "/advkeys/x"
	mintKeys := func(alg string) string {
		return mint(t, realm, devissuer.MintRequest{Subject: "carol", Audience: []string{"advkeys-api"}, Algorithm: alg})
	}
	challenge := func(description string) string {
		return `Bearer error="invalid_token", error_description="` + description + `"`
	}

	wantProxied(t, get(t, path, bearer(mintKeys("EdDSA"))), "/x")

	t.Run("key with use enc never verifies", func(t *testing.T) {
		rotateWith(t, realm, "ES256", "use=enc&keep_old=true")
		got := get(t, path, bearer(mintKeys("ES256")))
		wantRejected(t, got, http.StatusUnauthorized,
			challenge("token key cannot verify the token's algorithm"), errorBody("token key cannot verify the token's algorithm"))
	})
	t.Run("RSA key under 2048 bits is dropped", func(t *testing.T) {
		rotateWith(t, realm, "RS256", "rsa_bits=1024&keep_old=true")
		got := get(t, path, bearer(mintKeys("RS256")))
		wantRejected(t, got, http.StatusUnauthorized,
			challenge("token key id is not in the issuer's key set"), errorBody("token key id is not in the issuer's key set"))
	})
	t.Run("unsupported and malformed keys beside good ones", func(t *testing.T) {
		addRawKeys(t, realm, `{"keys":[
			{"kty":"OKP","crv":"Ed448","kid":"ed448","x":"AAAA"},
			{"kty":"RSA","kid":"broken-rsa","n":"!!!","e":"AQAB"},
			{"kty":"oct","kid":"shared-secret","k":"c2VjcmV0"}
		]}`)
		// A new kid makes the gateway fetch the set, now with the bad keys.
		rotateWith(t, realm, "EdDSA", "keep_old=true")
		wantProxied(t, get(t, path, bearer(mintKeys("EdDSA"))), "/x")
	})
	t.Run("HS256 token naming the oct key", func(t *testing.T) {
		token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claimsOf(t, mintKeys("EdDSA"))))
		token.Header["kid"] = "shared-secret"
		signed, err := token.SignedString([]byte("secret"))
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, path, bearer(signed))
		wantRejected(t, got, http.StatusUnauthorized,
			challenge("token signing algorithm is not allowed"), errorBody("token signing algorithm is not allowed"))
	})
}

// The scoped API (testdata/apps/scoped.json) requires both audiences
// scoped-api and orders, an email claim, the orders:read scope and the
// admin or ops role in realm_access.roles.
func TestClaimRules(t *testing.T) {
	scopedToken := func(change func(claims map[string]any, aud *[]string)) string {
		claims := map[string]any{
			"email":        "dana@example.com",
			"scope":        "orders:read orders:write",
			"realm_access": map[string]any{"roles": []any{"ops"}},
		}
		aud := []string{"scoped-api", "orders"}
		if change != nil {
			change(claims, &aud)
		}
		return mint(t, demoRealm, devissuer.MintRequest{Subject: "dana", Audience: aud, Claims: claims})
	}
	forbidden := func(got response) {
		t.Helper()
		wantRejected(t, got, http.StatusForbidden,
			`Bearer error="insufficient_scope", error_description="token lacks a scope or role this API requires"`,
			errorBody("token lacks a scope or role this API requires"))
	}

	t.Run("all rules met", func(t *testing.T) {
		wantProxied(t, get(t, "/scoped/orders", bearer(scopedToken(nil))), "/orders")
	})
	t.Run("scope as an array", func(t *testing.T) {
		token := scopedToken(func(c map[string]any, _ *[]string) { c["scope"] = []any{"orders:read"} })
		wantProxied(t, get(t, "/scoped/orders", bearer(token)), "/orders")
	})
	t.Run("scope missing orders:read", func(t *testing.T) {
		forbidden(get(t, "/scoped/orders", bearer(scopedToken(func(c map[string]any, _ *[]string) { c["scope"] = "orders:write" }))))
	})
	t.Run("no scope claim", func(t *testing.T) {
		forbidden(get(t, "/scoped/orders", bearer(scopedToken(func(c map[string]any, _ *[]string) { delete(c, "scope") }))))
	})
	t.Run("roles without admin or ops", func(t *testing.T) {
		forbidden(get(t, "/scoped/orders", bearer(scopedToken(func(c map[string]any, _ *[]string) {
			c["realm_access"] = map[string]any{"roles": []any{"viewer"}}
		}))))
	})
	t.Run("email missing", func(t *testing.T) {
		got := get(t, "/scoped/orders", bearer(scopedToken(func(c map[string]any, _ *[]string) { delete(c, "email") })))
		wantRejected(t, got, http.StatusUnauthorized,
			invalidToken("token lacks a required claim"), errorBody("token lacks a required claim"))
	})
	t.Run("email that is null", func(t *testing.T) {
		// The issuer's claims override drops null values, so the payload is
		// written out in full.
		claims := claimsOf(t, scopedToken(nil))
		claims["email"] = nil
		payload, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		token := mint(t, demoRealm, devissuer.MintRequest{RawPayload: string(payload)})
		got := get(t, "/scoped/orders", bearer(token))
		wantRejected(t, got, http.StatusUnauthorized,
			invalidToken("token lacks a required claim"), errorBody("token lacks a required claim"))
	})
	t.Run("one of the two required audiences", func(t *testing.T) {
		got := get(t, "/scoped/orders", bearer(scopedToken(func(_ map[string]any, aud *[]string) { *aud = []string{"orders"} })))
		wantRejected(t, got, http.StatusUnauthorized,
			invalidToken("token audience is not accepted"), errorBody("token audience is not accepted"))
	})
}

// The inline API (testdata/apps/inline.json) trusts one Ed25519 key given
// in its settings; the test holds its private half.
func TestInlineKeys(t *testing.T) {
	data, err := os.ReadFile("testdata/inline-key.json")
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		KID    string `json:"kid"`
		Issuer string `json:"issuer"`
		Seed   string `json:"seed"`
	}
	if err := json.Unmarshal(data, &key); err != nil {
		t.Fatal(err)
	}
	seed, err := base64.RawURLEncoding.DecodeString(key.Seed)
	if err != nil {
		t.Fatal(err)
	}
	private := ed25519.NewKeyFromSeed(seed)
	sign := func(issuer string) string {
		token := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
			"iss": issuer, "sub": "erin", "aud": "inline-api",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		})
		token.Header["kid"] = key.KID
		signed, err := token.SignedString(private)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}

	wantProxied(t, get(t, "/inline/x", bearer(sign(key.Issuer))), "/x")

	got := get(t, "/inline/x", bearer(sign("https://other.example/")))
	wantRejected(t, got, http.StatusUnauthorized,
		invalidToken("token issuer is not accepted"), errorBody("token issuer is not accepted"))
}

// rotateWith calls the issuer's rotate endpoint with extra query options.
func rotateWith(t testing.TB, realm, alg, options string) {
	t.Helper()
	resp, err := client.Post(env.issuerURL+"/realms/"+realm+"/rotate?alg="+alg+"&"+options, "", nil)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rotate: issuer answered %d", resp.StatusCode)
	}
}

// addRawKeys appends JWK objects to a realm's key set.
func addRawKeys(t testing.TB, realm, set string) {
	t.Helper()
	resp, err := client.Post(env.issuerURL+"/realms/"+realm+"/raw-keys", "application/json", strings.NewReader(set))
	if err != nil {
		t.Fatalf("add raw keys: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add raw keys: issuer answered %d", resp.StatusCode)
	}
}
