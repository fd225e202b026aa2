package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
)

// The strict API (testdata/apps/strict.json) shares the demo realm but
// accepts only ES256, the audiences strict-api and strict-api-v2, and
// takes the caller's identity from the email claim.
func TestTwoAPIsApplyTheirOwnSettings(t *testing.T) {
	strictToken := mint(t, demoRealm, devissuer.MintRequest{
		Algorithm: "ES256",
		Audience:  []string{"strict-api-v2"},
		Claims:    map[string]any{"email": "carol@example.com"},
	})
	demoRS256 := demoToken(t, nil)
	demoES256 := demoToken(t, func(r *devissuer.MintRequest) { r.Algorithm = "ES256" })

	t.Run("strict API accepts its ES256 token", func(t *testing.T) {
		wantProxied(t, get(t, "/strict/orders", bearer(strictToken)), "/orders")
	})
	t.Run("strict API rejects RS256", func(t *testing.T) {
		got := get(t, "/strict/orders", bearer(demoRS256))
		wantRejected(t, got, http.StatusUnauthorized,
			`Bearer realm="strict", error="invalid_token", error_description="token signing algorithm is not allowed"`,
			errorBody("token signing algorithm is not allowed"))
	})
	t.Run("strict API rejects the demo audience", func(t *testing.T) {
		got := get(t, "/strict/orders", bearer(demoES256))
		wantRejected(t, got, http.StatusUnauthorized,
			`Bearer realm="strict", error="invalid_token", error_description="token audience is not accepted"`,
			errorBody("token audience is not accepted"))
	})
	t.Run("strict API requires the email claim", func(t *testing.T) {
		token := mint(t, demoRealm, devissuer.MintRequest{
			Subject: "dave", Algorithm: "ES256", Audience: []string{"strict-api"},
		})
		got := get(t, "/strict/orders", bearer(token))
		wantRejected(t, got, http.StatusUnauthorized,
			`Bearer realm="strict", error="invalid_token", error_description="token lacks a required claim"`,
			errorBody("token lacks a required claim"))
	})
	t.Run("strict API challenges with its realm", func(t *testing.T) {
		got := get(t, "/strict/orders")
		wantRejected(t, got, http.StatusUnauthorized, `Bearer realm="strict"`, errorBody("bearer token required"))
	})
	t.Run("demo API rejects the strict audience", func(t *testing.T) {
		got := get(t, demoPath, bearer(strictToken))
		wantRejected(t, got, http.StatusUnauthorized,
			invalidToken("token audience is not accepted"), errorBody("token audience is not accepted"))
	})
}

// The broken API (testdata/apps/broken.json) has invalid settings: it must
// fail closed, log every bad field once, and leave the other APIs alone.
func TestInvalidSettingsFailOnlyThatAPIClosed(t *testing.T) {
	token := demoToken(t, nil)

	got := get(t, "/broken/anything", bearer(token))
	wantRejected(t, got, http.StatusInternalServerError, "",
		errorBody("authentication is not configured correctly for this API"))

	wantProxied(t, get(t, demoPath, bearer(token)), "/anything")

	if env.local == nil {
		return // the gateway's log is only readable for a stack this test started
	}
	var settingsLines []string
	for _, line := range strings.Split(env.local.Logs(), "\n") {
		if strings.Contains(line, "invalid jwks_auth settings") && strings.Contains(line, "e2e-broken") {
			settingsLines = append(settingsLines, line)
		}
	}
	if len(settingsLines) != 1 {
		t.Fatalf("want exactly one log line about the broken settings, got %d:\n%s",
			len(settingsLines), strings.Join(settingsLines, "\n"))
	}
	for _, field := range []string{
		"issuer: missing",
		`jwks_urls: [0] \"ftp://issuer/keys\" is not an http or https URL`,
		`algorithms: [0] \"HS256\" is not allowed`,
		`leeway: \"soon\" is not a duration`,
		"jwks_refreshinterval: unknown setting",
	} {
		if !strings.Contains(settingsLines[0], field) {
			t.Errorf("the log line does not name %q:\n%s", field, settingsLines[0])
		}
	}
}

// The nokeys API (testdata/apps/nokeys.json) points at a JWKS URL where
// nothing listens: with no keys at all, the response is 503, not a 401 that
// would blame the caller's token.
func TestUnreachableIssuerIsServiceUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"token with kid", demoToken(t, nil)},
		{"token without kid", demoToken(t, func(r *devissuer.MintRequest) { r.KeyID = "-" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, "/nokeys/anything", bearer(tc.token))
			wantRejected(t, got, http.StatusServiceUnavailable, "",
				errorBody("authentication is temporarily unavailable"))
		})
	}
}

// The rotating API (testdata/apps/rotating.json) has its own realm, so
// rotating its keys disturbs no other test, and a 1s unknown-kid refresh
// limit.
func TestKeyRotationAtTheIssuer(t *testing.T) {
	const realm = "rotation"
	mintRotating := func() string {
		return mint(t, realm, devissuer.MintRequest{Subject: "erin", Audience: []string{"rotating-api"}})
	}

	before := mintRotating()
	wantProxied(t, get(t, "/rotating/x", bearer(before)), "/x")

	rotate(t, realm, "RS256")
	after := mintRotating()

	// The new kid is unknown to the gateway's cached key set, which makes
	// the plugin fetch the set again at once. Requests that arrive during
	// that fetch wait for it instead of being rejected.
	var wg sync.WaitGroup
	statuses := make([]int, 12)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = get(t, "/rotating/x", bearer(after)).status
		}()
	}
	wg.Wait()
	for i, status := range statuses {
		if status != http.StatusOK {
			t.Errorf("concurrent request %d with the new key got %d, want 200", i, status)
		}
	}
	wantProxied(t, get(t, "/rotating/x", bearer(after)), "/x")

	// That fetch replaced the whole set, so the removed key no longer
	// verifies anything.
	got := get(t, "/rotating/x", bearer(before))
	wantRejected(t, got, http.StatusUnauthorized,
		invalidToken("token key id is not in the issuer's key set"),
		errorBody("token key id is not in the issuer's key set"))
}

// storedSession is the part of a Tyk session in Redis the tests read.
type storedSession struct {
	Alias       string                     `json:"alias"`
	Expires     int64                      `json:"expires"`
	AccessRight map[string]json.RawMessage `json:"access_rights"`
	MetaData    map[string]any             `json:"meta_data"`
}

// sessionsByAlias reads every session the gateway stored in Redis.
func sessionsByAlias(t *testing.T) map[string][]string {
	t.Helper()
	keys, _ := redisCommand(t, "KEYS", "apikey-*").([]any)
	byAlias := make(map[string][]string)
	for _, k := range keys {
		key, _ := k.(string)
		raw, _ := redisCommand(t, "GET", key).(string)
		var s storedSession
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			continue
		}
		byAlias[s.Alias] = append(byAlias[s.Alias], key)
	}
	return byAlias
}

func TestSessionKeyFollowsTheSubject(t *testing.T) {
	subject := "session-" + time.Now().Format("150405.000000")
	other := subject + "-other"

	first := demoToken(t, func(r *devissuer.MintRequest) { r.Subject = subject; r.TTL = "1h" })
	second := demoToken(t, func(r *devissuer.MintRequest) { r.Subject = subject; r.TTL = "2h" })
	third := demoToken(t, func(r *devissuer.MintRequest) { r.Subject = other })

	wantProxied(t, get(t, demoPath, bearer(first)), "/anything")
	wantProxied(t, get(t, demoPath, bearer(second)), "/anything")
	wantProxied(t, get(t, demoPath, bearer(third)), "/anything")

	byAlias := sessionsByAlias(t)
	if len(byAlias[subject]) != 1 {
		t.Fatalf("subject %s has sessions %v, want exactly one for both tokens", subject, byAlias[subject])
	}
	if len(byAlias[other]) != 1 {
		t.Fatalf("subject %s has sessions %v, want exactly one", other, byAlias[other])
	}
	if byAlias[subject][0] == byAlias[other][0] {
		t.Fatalf("two subjects share the session %s", byAlias[subject][0])
	}

	// The second token's session replaced the first: it carries the later
	// expiry, and Redis expires it with that token.
	raw, _ := redisCommand(t, "GET", byAlias[subject][0]).(string)
	var s storedSession
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("stored session is not JSON: %v", err)
	}
	wantExpires, _ := claimsOf(t, second)["exp"].(float64)
	if s.Expires != int64(wantExpires) {
		t.Errorf("session expires = %d, want the second token's exp %d", s.Expires, int64(wantExpires))
	}
	if _, ok := s.AccessRight["jwks-auth-demo"]; !ok || len(s.AccessRight) != 1 {
		t.Errorf("session access rights = %v, want the demo API only", s.AccessRight)
	}
	if s.MetaData["jwt_subject"] != subject {
		t.Errorf("session meta_data.jwt_subject = %v, want %s", s.MetaData["jwt_subject"], subject)
	}

	ttl, _ := redisCommand(t, "TTL", byAlias[subject][0]).(int64)
	if ttl <= 3600 || ttl > 7200 {
		t.Errorf("session TTL in Redis = %ds, want between 1h and 2h (the second token's lifetime)", ttl)
	}
}
