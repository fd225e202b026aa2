package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
	"github.com/jwks-auth/tyk-jwks-auth/internal/upstream"
)

// The policies API (testdata/apps/policies.json) trusts realm "limits".
// It takes policies from the tyk_policies claim, maps scope reports:read
// to policy "reports", and gives "basic" to everyone else; the policies
// are in testdata/policies.json. It forwards claims as headers, sends
// all claims in X-JWT-Claims and strips the credential.
const (
	limitsRealm    = "limits"
	limitsAudience = "limits-api"
	limitsPath     = "/limits/x"
)

// Tyk's own response bodies for exhausted limits (its templates/error.json).
const (
	rateLimitBody = "{\n    \"error\": \"Rate Limit Exceeded\"\n}"
	quotaBody     = "{\n    \"error\": \"Quota exceeded\"\n}"
)

// uniqueSubject returns a subject no earlier run has used, so that limits
// counted in Redis by earlier runs cannot interfere.
func uniqueSubject(name string) string {
	return fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
}

func limitsToken(t testing.TB, subject, ttl string, claims map[string]any) string {
	t.Helper()
	return mint(t, limitsRealm, devissuer.MintRequest{Subject: subject, Audience: []string{limitsAudience}, TTL: ttl, Claims: claims})
}

func wantStatusBody(t testing.TB, got response, status int, body string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status = %d, want %d; body %q", got.status, status, got.body)
	}
	if got.body != body {
		t.Errorf("body = %q, want %q", got.body, body)
	}
}

func TestRateLimitFollowsTheSubject(t *testing.T) {
	a, b := uniqueSubject("rate-a"), uniqueSubject("rate-b")
	policy := map[string]any{"tyk_policies": "rate-limited"} // 2 requests per 5 seconds
	tokenA := limitsToken(t, a, "1h", policy)

	wantProxied(t, get(t, limitsPath, bearer(tokenA)), "/x")
	wantProxied(t, get(t, limitsPath, bearer(tokenA)), "/x")
	wantStatusBody(t, get(t, limitsPath, bearer(tokenA)), http.StatusTooManyRequests, rateLimitBody)

	// Another subject with the same policy has its own counter.
	wantProxied(t, get(t, limitsPath, bearer(limitsToken(t, b, "1h", policy))), "/x")

	// A refreshed token of subject A keeps A's counter.
	refreshed := limitsToken(t, a, "2h", policy)
	wantStatusBody(t, get(t, limitsPath, bearer(refreshed)), http.StatusTooManyRequests, rateLimitBody)
}

func TestQuotaFollowsTheSubject(t *testing.T) {
	c, d := uniqueSubject("quota-c"), uniqueSubject("quota-d")
	policy := map[string]any{"tyk_policies": "quota-5"} // 5 requests per hour
	tokenC := limitsToken(t, c, "1h", policy)

	for i := 1; i <= 5; i++ {
		got := get(t, limitsPath, bearer(tokenC))
		if got.status != http.StatusOK {
			t.Fatalf("request %d of 5 got %d %q, want 200", i, got.status, got.body)
		}
	}
	wantStatusBody(t, get(t, limitsPath, bearer(tokenC)), http.StatusForbidden, quotaBody)
	wantProxied(t, get(t, limitsPath, bearer(limitsToken(t, d, "1h", policy))), "/x")
	wantStatusBody(t, get(t, limitsPath, bearer(limitsToken(t, c, "2h", policy))), http.StatusForbidden, quotaBody)
}

func TestSessionOfFarFutureTokenExpires(t *testing.T) {
	subject := uniqueSubject("far-future")
	year2400 := time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	wantProxied(t, get(t, limitsPath, bearer(limitsToken(t, subject, "1h", map[string]any{"exp": year2400}))), "/x")

	keys := sessionsByAlias(t)[subject]
	if len(keys) != 1 {
		t.Fatalf("subject %s has sessions %v, want one", subject, keys)
	}
	ttl, _ := redisCommand(t, "TTL", keys[0]).(int64)
	if ttl <= 0 || ttl > 366*24*3600 {
		t.Errorf("session TTL = %d, want a positive lifetime of at most a year", ttl)
	}
}

// storedPolicies reads apply_policies and the meta_data plan of the
// session Redis holds for subject.
func storedPolicies(t *testing.T, subject string) ([]string, any) {
	t.Helper()
	keys := sessionsByAlias(t)[subject]
	if len(keys) != 1 {
		t.Fatalf("subject %s has sessions %v, want one", subject, keys)
	}
	raw, _ := redisCommand(t, "GET", keys[0]).(string)
	var session struct {
		ApplyPolicies []string       `json:"apply_policies"`
		MetaData      map[string]any `json:"meta_data"`
	}
	if err := json.Unmarshal([]byte(raw), &session); err != nil {
		t.Fatalf("stored session is not JSON: %v", err)
	}
	return session.ApplyPolicies, session.MetaData["plan"]
}

func TestPoliciesFromClaimScopeAndDefaults(t *testing.T) {
	cases := []struct {
		name         string
		claims       map[string]any
		wantPolicies []string
		wantPlan     string
	}{
		{"policy from the claim", map[string]any{"tyk_policies": []any{"reports"}}, []string{"reports"}, "reports"},
		{"policy from the scope mapping", map[string]any{"scope": "profile reports:read"}, []string{"reports"}, "reports"},
		{"default policy", map[string]any{"scope": "profile"}, []string{"basic"}, "basic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			subject := uniqueSubject("policy")
			wantProxied(t, get(t, limitsPath, bearer(limitsToken(t, subject, "1h", tc.claims))), "/x")

			policies, plan := storedPolicies(t, subject)
			if strings.Join(policies, ",") != strings.Join(tc.wantPolicies, ",") {
				t.Errorf("apply_policies = %v, want %v", policies, tc.wantPolicies)
			}
			if plan != tc.wantPlan {
				t.Errorf("meta_data.plan = %v, want %s (set by the policy)", plan, tc.wantPlan)
			}
		})
	}
}

func TestUnavailablePoliciesAreRejected(t *testing.T) {
	const body = `{"error":"no access policy is available for this caller"}`
	cases := []struct {
		name     string
		policies any
	}{
		{"unknown policy", "does-not-exist"},
		{"unknown policy beside a known one", []any{"does-not-exist", "basic"}},
		{"policy of another organisation", "other-org"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := limitsToken(t, uniqueSubject("bad-policy"), "1h", map[string]any{"tyk_policies": tc.policies})
			got := get(t, limitsPath, bearer(token))
			wantRejected(t, got, http.StatusForbidden, "", body)
		})
	}
}

// echoOf decodes what the upstream received.
func echoOf(t testing.TB, got response) upstream.Echo {
	t.Helper()
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", got.status, got.body)
	}
	var echo upstream.Echo
	if err := json.Unmarshal([]byte(got.body), &echo); err != nil {
		t.Fatalf("body is not the upstream's echo: %v", err)
	}
	return echo
}

func TestClaimsReachTheUpstream(t *testing.T) {
	subject := uniqueSubject("headers")
	token := limitsToken(t, subject, "1h", map[string]any{
		"email":          "erin@example.com",
		"roles":          []any{"admin", "ops"},
		"email_verified": true,
		"age":            42,
		"note":           "line one\nline two",
		"org":            map[string]any{"tenant": "acme"},
	})

	req := advRequest{path: limitsPath, headers: http.Header{
		"Authorization":   {"Bearer " + token},
		"X-User-Email":    {"forged@example.com"},
		"X-User-Note":     {"forged"},
		"X-Jwt-Claims":    {"forged"},
		"X-Other-Header":  {"kept"},
		"X-User-Verified": {"false", "false"},
		"X_user_email":    {"forged-with-underscore@example.com"},
	}}
	echo := echoOf(t, req.send(t))

	// CGI-style upstreams read X_User_Email as X-User-Email.
	for name, values := range echo.Header {
		if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-User-Email") && name != "X-User-Email" {
			t.Errorf("upstream got the client's copy %s = %q", name, values)
		}
	}

	want := map[string][]string{
		"X-User-Email":    {"erin@example.com"},
		"X-User-Roles":    {`["admin","ops"]`},
		"X-User-Verified": {"true"},
		"X-User-Age":      {"42"},
		"X-Other-Header":  {"kept"},
	}
	for name, values := range want {
		if got := echo.Header[name]; strings.Join(got, "|") != strings.Join(values, "|") {
			t.Errorf("upstream %s = %q, want %q", name, got, values)
		}
	}
	for _, name := range []string{"X-User-Note", "Authorization"} {
		if got, ok := echo.Header[name]; ok {
			t.Errorf("upstream got %s = %q, want none", name, got)
		}
	}

	encoded := echo.Header["X-Jwt-Claims"]
	if len(encoded) != 1 {
		t.Fatalf("upstream X-Jwt-Claims = %q, want one value", encoded)
	}
	data, err := base64.RawURLEncoding.DecodeString(encoded[0])
	if err != nil {
		t.Fatalf("X-Jwt-Claims is not base64url: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		t.Fatalf("X-Jwt-Claims is not JSON: %v", err)
	}
	if claims["sub"] != subject || claims["email"] != "erin@example.com" {
		t.Errorf("X-Jwt-Claims = %v, want the token's claims", claims)
	}
}

func TestCredentialIsStripped(t *testing.T) {
	token := limitsToken(t, uniqueSubject("strip"), "1h", nil)

	t.Run("query parameter", func(t *testing.T) {
		echo := echoOf(t, advRequest{path: limitsPath, query: url.Values{"access_token": {token}, "page": {"2"}}}.send(t))
		if echo.Query != "page=2" {
			t.Errorf("upstream query = %q, want page=2 only", echo.Query)
		}
	})
	t.Run("cookie", func(t *testing.T) {
		echo := echoOf(t, advRequest{path: limitsPath, headers: http.Header{"Cookie": {"theme=dark; session_token=" + token}}}.send(t))
		if got := strings.Join(echo.Header["Cookie"], "; "); got != "theme=dark" {
			t.Errorf("upstream Cookie = %q, want theme=dark only", got)
		}
	})
}

// TestRedisDoesNotGrowWithSubjects sends one request for each of 10,000
// subjects with short-lived tokens, then checks that their sessions are
// in Redis and that Redis deletes them when the tokens expire.
func TestRedisDoesNotGrowWithSubjects(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 10,000 requests")
	}
	const subjects = 10000
	const ttl = 15 * time.Second
	prefix := uniqueSubject("bulk") + "-"
	before := redisKeys(t)

	tokens := make(chan string, 64)
	go func() {
		defer close(tokens)
		for i := 0; i < subjects; i++ {
			tokens <- mint(t, limitsRealm, devissuer.MintRequest{
				Subject: fmt.Sprintf("%s%d", prefix, i), Audience: []string{limitsAudience},
				Algorithm: "EdDSA", TTL: ttl.String(),
			})
		}
	}()

	started := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for token := range tokens {
				if got := get(t, limitsPath, bearer(token)); got.status != http.StatusOK {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d of %d requests failed", failures, subjects)
	}
	sent := time.Since(started)

	countBulk := func() int {
		n := 0
		for alias, keys := range sessionsByAlias(t) {
			if strings.HasPrefix(alias, prefix) {
				n += len(keys)
			}
		}
		return n
	}
	if sent < ttl {
		if got := countBulk(); got != subjects {
			t.Errorf("Redis holds %d sessions of the %d subjects, want one each", got, subjects)
		}
	}
	peak, _ := redisCommand(t, "DBSIZE").(int64)

	deadline := time.Now().Add(ttl + 30*time.Second)
	for countBulk() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	after := redisKeys(t)
	t.Logf("Redis keys: %d before, %d after %d subjects (sent in %s), %d once their tokens expired",
		len(before), peak, subjects, sent.Round(time.Millisecond), len(after))
	if left := countBulk(); left != 0 {
		t.Errorf("%d sessions of expired tokens are still in Redis", left)
	}

	// The gateway may add a few bookkeeping keys of its own meanwhile; a
	// key per subject would add thousands.
	var added []string
	for key := range after {
		if !before[key] {
			added = append(added, key)
		}
	}
	if len(added) > 10 {
		t.Errorf("%d keys were added and did not expire, such as %q", len(added), added[:10])
	} else if len(added) > 0 {
		t.Logf("keys added by the gateway meanwhile: %q", added)
	}
}

// redisKeys returns the names of all keys in Redis.
func redisKeys(t *testing.T) map[string]bool {
	t.Helper()
	names, _ := redisCommand(t, "KEYS", "*").([]any)
	keys := make(map[string]bool, len(names))
	for _, name := range names {
		if s, ok := name.(string); ok {
			keys[s] = true
		}
	}
	return keys
}
