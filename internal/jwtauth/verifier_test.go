package jwtauth_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
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
		{"empty issuer rejected", "", jwtauth.ErrMissingClaim},
		{"numeric issuer rejected", 42, jwtauth.ErrInvalidClaim},
		{"array issuer rejected", []string{"ISSUER"}, jwtauth.ErrInvalidClaim},
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
			requireRejected(t, v, sign(t, key.withKID("unknown-kid"), claims), tt.want)
		})
	}

	// The issuer is checked before any key is looked up, so tokens of
	// untrusted issuers with unknown kids cause no fetch.
	if got := issuer.requestCount(); got != 1 {
		t.Errorf("issuer got %d JWKS requests, want 1", got)
	}
}

func TestVerifyAudience(t *testing.T) {
	const absent = "<absent>"
	matchAny, matchAll := jwtauth.AudienceMatchAny, jwtauth.AudienceMatchAll
	tests := []struct {
		name      string
		audiences []string
		match     string
		aud       any
		want      error
	}{
		{"string match accepted", []string{"api"}, matchAny, "api", nil},
		{"array with one match accepted", []string{"api"}, matchAny, []string{"other", "api"}, nil},
		{"second configured audience accepted", []string{"api", "admin"}, matchAny, "admin", nil},
		{"array without match rejected", []string{"api"}, matchAny, []string{"other", "more"}, jwtauth.ErrWrongAudience},
		{"string without match rejected", []string{"api"}, matchAny, "other", jwtauth.ErrWrongAudience},
		{"match is case-sensitive", []string{"api"}, matchAny, "API", jwtauth.ErrWrongAudience},
		{"missing aud rejected", []string{"api"}, matchAny, absent, jwtauth.ErrMissingClaim},
		{"empty aud array rejected", []string{"api"}, matchAny, []string{}, jwtauth.ErrMissingClaim},
		{"numeric aud rejected", []string{"api"}, matchAny, 42, jwtauth.ErrInvalidClaim},
		{"array with number rejected", []string{"api"}, matchAny, []any{"api", 42}, jwtauth.ErrInvalidClaim},
		{"all audiences present accepted", []string{"api", "admin"}, matchAll, []string{"admin", "other", "api"}, nil},
		{"one of all audiences missing rejected", []string{"api", "admin"}, matchAll, []string{"api"}, jwtauth.ErrWrongAudience},
		{"all with string aud accepted", []string{"api"}, matchAll, "api", nil},
		{"unconfigured accepts any string", nil, matchAny, "anything", nil},
		{"unconfigured accepts any array", nil, matchAny, []string{"a", "b"}, nil},
		{"unconfigured accepts missing aud", nil, matchAny, absent, nil},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.Audiences = tt.audiences
			s.AudienceMatch = tt.match
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
		{"five segments of a JWE", valid + "." + signature + "." + signature},
		{"JWS JSON serialization", `{"payload":"` + payload + `","signatures":[]}`},
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
		{"header followed by data", rawToken(`{"alg":"RS256","kid":"rsa-1"} {}`, string(claims), signature)},
		{"header without alg", rawToken(`{"kid":"rsa-1","typ":"JWT"}`, string(claims), signature)},
		{"numeric alg", rawToken(`{"alg":256,"kid":"rsa-1"}`, string(claims), signature)},
		{"payload not JSON", rawToken(`{"alg":"RS256","kid":"rsa-1"}`, `sub=user-1`, signature)},
		{"payload JSON array", rawToken(`{"alg":"RS256","kid":"rsa-1"}`, `["user-1"]`, signature)},
		{"payload JSON null", rawToken(`{"alg":"RS256","kid":"rsa-1"}`, `null`, signature)},
		{"numeric kid", signWithHeader(t, key, issuer.claims(), map[string]any{"kid": 42})},
		{"null kid", signRaw(t, key, `{"alg":"RS256","kid":null}`, string(claims))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireRejected(t, v, tt.token, jwtauth.ErrTokenMalformed)
		})
	}
}

func TestVerifyTokenJSON(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	v := newVerifier(t, issuer.settings(), jwtauth.Options{})

	const header = `{"alg":"RS256","kid":"rsa-1"}`
	payload := func(extra string) string {
		claims := issuer.claims()
		return fmt.Sprintf(`{"iss":%q,"sub":"user-1","exp":%d%s}`, claims["iss"], claims["exp"], extra)
	}
	nested := func(levels int) string {
		return strings.Repeat("[", levels) + strings.Repeat("]", levels)
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"plain token accepted", signRaw(t, key, header, payload("")), nil},
		{"same name in two objects accepted", signRaw(t, key, header, payload(`,"a":{"x":1},"b":{"x":2}`)), nil},
		{"repeated header member rejected", signRaw(t, key, `{"alg":"RS256","kid":"rsa-1","kid":"rsa-1"}`, payload("")), jwtauth.ErrDuplicateMember},
		{"repeated alg rejected", signRaw(t, key, `{"alg":"none","alg":"RS256","kid":"rsa-1"}`, payload("")), jwtauth.ErrDuplicateMember},
		{"repeated sub rejected", signRaw(t, key, header, payload(`,"sub":"admin"`)), jwtauth.ErrDuplicateMember},
		{"repeated nested member rejected", signRaw(t, key, header, payload(`,"ctx":{"role":"user","role":"admin"}`)), jwtauth.ErrDuplicateMember},
		{"repeated member in array rejected", signRaw(t, key, header, payload(`,"ctx":[{"a":1,"a":2}]`)), jwtauth.ErrDuplicateMember},
		{"names differing by escape rejected", signRaw(t, key, header, payload(`,"s\u0075b":"admin"`)), jwtauth.ErrDuplicateMember},
		{"crit header rejected", signRaw(t, key, `{"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1}`, payload("")), jwtauth.ErrCriticalHeader},
		{"empty crit header rejected", signRaw(t, key, `{"alg":"RS256","kid":"rsa-1","crit":[]}`, payload("")), jwtauth.ErrCriticalHeader},
		{"32 levels of nesting accepted", signRaw(t, key, header, payload(`,"deep":`+nested(31))), nil},
		{"33 levels of nesting rejected", signRaw(t, key, header, payload(`,"deep":`+nested(32))), jwtauth.ErrTokenMalformed},
		{"deeply nested header rejected", signRaw(t, key, `{"alg":"RS256","kid":"rsa-1","x":`+nested(1000)+`}`, payload("")), jwtauth.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				requireVerified(t, v, tt.token)
				return
			}
			requireRejected(t, v, tt.token, tt.want)
		})
	}
}

func TestVerifyTokenSize(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	token := sign(t, key, issuer.claimsWith(map[string]any{"padding": strings.Repeat("x", 300)}))

	tests := []struct {
		name  string
		limit int
		want  error
	}{
		{"token at limit accepted", len(token), nil},
		{"token one byte over limit rejected", len(token) - 1, jwtauth.ErrTokenTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.MaxTokenBytes = tt.limit
			v := newVerifier(t, s, jwtauth.Options{})

			if tt.want == nil {
				requireVerified(t, v, token)
				return
			}
			requireRejected(t, v, token, tt.want)
		})
	}

	t.Run("oversized garbage rejected before parsing", func(t *testing.T) {
		v := newVerifier(t, issuer.settings(), jwtauth.Options{})
		garbage := strings.Repeat("A", jwtauth.DefaultMaxTokenBytes+1)

		requireRejected(t, v, garbage, jwtauth.ErrTokenTooLarge)
	})
}

func TestVerifyRequireExp(t *testing.T) {
	key := rs256(t)
	issuer := newTestIssuer(t, key)
	s := issuer.settings()
	s.RequireExp = false
	v := newVerifier(t, s, jwtauth.Options{})

	t.Run("token without exp accepted", func(t *testing.T) {
		identity := requireVerified(t, v, sign(t, key, issuer.claimsWith(map[string]any{"exp": nil})))

		if !identity.ExpiresAt.IsZero() {
			t.Errorf("ExpiresAt = %v, want the zero time for a token without exp", identity.ExpiresAt)
		}
	})

	t.Run("expired token still rejected", func(t *testing.T) {
		token := sign(t, key, issuer.claimsWith(map[string]any{"exp": testNow.Add(-time.Hour).Unix()}))

		requireRejected(t, v, token, jwtauth.ErrTokenExpired)
	})

	t.Run("string exp still rejected", func(t *testing.T) {
		token := sign(t, key, issuer.claimsWith(map[string]any{"exp": "never"}))

		requireRejected(t, v, token, jwtauth.ErrInvalidClaim)
	})
}

func TestVerifyMaxTokenLifetime(t *testing.T) {
	at := func(offset time.Duration) int64 { return testNow.Add(offset).Unix() }
	tests := []struct {
		name       string
		requireExp bool
		changes    map[string]any
		want       error
	}{
		{"lifetime under limit accepted", true, nil, nil},
		{"lifetime at limit accepted", true, map[string]any{"exp": at(time.Hour)}, nil},
		{"lifetime over limit rejected", true, map[string]any{"exp": at(time.Hour + time.Second)}, jwtauth.ErrLifetimeTooLong},
		{"missing iat rejected", true, map[string]any{"iat": nil}, jwtauth.ErrMissingClaim},
		{"string iat rejected", true, map[string]any{"iat": "today"}, jwtauth.ErrInvalidClaim},
		{"missing optional exp rejected", false, map[string]any{"exp": nil}, jwtauth.ErrMissingClaim},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.MaxTokenLifetime = time.Hour
			s.RequireExp = tt.requireExp
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

func TestVerifyRequiredClaims(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]any
		want    error
	}{
		{"all present accepted", nil, nil},
		{"missing top-level claim rejected", map[string]any{"email": nil}, jwtauth.ErrMissingClaim},
		{"missing nested claim rejected", map[string]any{"realm_access": map[string]any{"groups": []string{"a"}}}, jwtauth.ErrMissingClaim},
		{"nested parent not an object rejected", map[string]any{"realm_access": "roles"}, jwtauth.ErrMissingClaim},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	s := issuer.settings()
	s.RequiredClaims = []string{"email", "realm_access.roles"}
	v := newVerifier(t, s, jwtauth.Options{})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := issuer.claimsWith(map[string]any{
				"email":        "ada@example.com",
				"realm_access": map[string]any{"roles": []string{"reader"}},
			})
			for name, value := range tt.changes {
				if value == nil {
					delete(claims, name)
					continue
				}
				claims[name] = value
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

func TestVerifyClaimRules(t *testing.T) {
	tests := []struct {
		name   string
		rules  []jwtauth.ClaimRule
		claims map[string]any
		want   error
	}{
		{
			"scope string with one wanted value accepted",
			[]jwtauth.ClaimRule{{Claim: "scope", ContainsAny: []string{"write", "admin"}}},
			map[string]any{"scope": "read write"}, nil,
		},
		{
			"scope string without wanted value rejected",
			[]jwtauth.ClaimRule{{Claim: "scope", ContainsAny: []string{"write"}}},
			map[string]any{"scope": "read writer"}, jwtauth.ErrInsufficientScope,
		},
		{
			"all wanted values accepted",
			[]jwtauth.ClaimRule{{Claim: "scope", ContainsAll: []string{"read", "write"}}},
			map[string]any{"scope": "write  read"}, nil,
		},
		{
			"one of all wanted values missing rejected",
			[]jwtauth.ClaimRule{{Claim: "scope", ContainsAll: []string{"read", "write"}}},
			map[string]any{"scope": "read"}, jwtauth.ErrInsufficientScope,
		},
		{
			"nested roles array accepted",
			[]jwtauth.ClaimRule{{Claim: "realm_access.roles", ContainsAny: []string{"admin"}}},
			map[string]any{"realm_access": map[string]any{"roles": []string{"user", "admin"}}}, nil,
		},
		{
			"claim name with dots accepted",
			[]jwtauth.ClaimRule{{Claim: "https://example.com/roles", ContainsAny: []string{"admin"}}},
			map[string]any{"https://example.com/roles": []string{"admin"}}, nil,
		},
		{
			"missing claim rejected",
			[]jwtauth.ClaimRule{{Claim: "scope", ContainsAny: []string{"read"}}},
			nil, jwtauth.ErrInsufficientScope,
		},
		{
			"numeric claim rejected",
			[]jwtauth.ClaimRule{{Claim: "scope", ContainsAny: []string{"1"}}},
			map[string]any{"scope": 1}, jwtauth.ErrInsufficientScope,
		},
		{
			"array with number rejected",
			[]jwtauth.ClaimRule{{Claim: "roles", ContainsAny: []string{"admin"}}},
			map[string]any{"roles": []any{"admin", 1}}, jwtauth.ErrInsufficientScope,
		},
		{
			"second of two rules failing rejected",
			[]jwtauth.ClaimRule{
				{Claim: "scope", ContainsAny: []string{"read"}},
				{Claim: "roles", ContainsAll: []string{"admin"}},
			},
			map[string]any{"scope": "read", "roles": []string{"user"}}, jwtauth.ErrInsufficientScope,
		},
		{
			"any and all in one rule accepted",
			[]jwtauth.ClaimRule{{Claim: "roles", ContainsAny: []string{"a", "b"}, ContainsAll: []string{"c"}}},
			map[string]any{"roles": []string{"b", "c"}}, nil,
		},
	}

	key := rs256(t)
	issuer := newTestIssuer(t, key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := issuer.settings()
			s.ClaimRules = tt.rules
			v := newVerifier(t, s, jwtauth.Options{})

			token := sign(t, key, issuer.claimsWith(tt.claims))
			if tt.want == nil {
				requireVerified(t, v, token)
				return
			}
			requireRejected(t, v, token, tt.want)
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
		{"nested claim path used", "user.id", map[string]any{"user": map[string]any{"id": "u-42"}}, "u-42", nil},
		{"missing nested claim rejected", "user.id", map[string]any{"user": map[string]any{}}, "", jwtauth.ErrMissingClaim},
		{"claim name with dots used", "https://example.com/uid", map[string]any{"https://example.com/uid": "u-7"}, "u-7", nil},
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
