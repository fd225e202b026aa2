package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// TestMain keeps the gateway logger quiet: the tests check responses, not
// log lines, and the end-to-end suite checks the lines that matter.
func TestMain(m *testing.M) {
	log.Get().SetOutput(io.Discard)
	os.Exit(m.Run())
}

// testIssuer starts the development issuer on 127.0.0.1 for one test.
func testIssuer(t testing.TB) *devissuer.Issuer {
	t.Helper()
	server := httptest.NewUnstartedServer(nil)
	issuer := devissuer.New("http://" + server.Listener.Addr().String())
	server.Config.Handler = issuer.Handler()
	server.Start()
	t.Cleanup(server.Close)
	return issuer
}

// testDefinition is a classic API definition using the plugin with the
// given jwks_auth settings.
func testDefinition(apiID string, settings map[string]any) *apidef.APIDefinition {
	return &apidef.APIDefinition{
		APIID:      apiID,
		Name:       "API " + apiID,
		OrgID:      "org1",
		ConfigData: map[string]any{jwtauth.SettingsKey: settings},
		VersionData: apidef.VersionData{
			NotVersioned: true,
			Versions:     map[string]apidef.VersionInfo{"Default": {Name: "Default"}},
		},
	}
}

func validSettings(issuer *devissuer.Issuer, realm string) map[string]any {
	return map[string]any{
		"issuer":    issuer.IssuerURL(realm),
		"jwks_urls": []any{issuer.JWKSURL(realm)},
		"audiences": []any{"api"},
	}
}

// serve runs JWKSAuth on a request carrying def and the Authorization
// header (none when empty), and returns the recorder and the request as
// the gateway would see it afterwards.
func serve(t testing.TB, registry *registry, def *apidef.APIDefinition, authorization string) (*httptest.ResponseRecorder, *http.Request) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/anything", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	if def != nil {
		ctx.SetDefinition(r, def)
	}
	w := httptest.NewRecorder()
	if def == nil {
		writeUnsupportedDefinition(w, r)
		return w, r
	}
	registry.forDefinition(def).authenticate(w, r)
	return w, r
}

func mintFor(t testing.TB, issuer *devissuer.Issuer, realm, subject, ttl string) string {
	t.Helper()
	minted, err := issuer.Mint(realm, devissuer.MintRequest{Subject: subject, Audience: []string{"api"}, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return minted.AccessToken
}

func stopAll(t testing.TB, g *registry) {
	t.Cleanup(func() {
		for _, record := range g.apis {
			for _, state := range record.states {
				state.stop()
			}
		}
	})
}

func TestAuthenticateSetsSessionForSubject(t *testing.T) {
	issuer := testIssuer(t)
	g := newRegistry()
	stopAll(t, g)
	def := testDefinition("api1", validSettings(issuer, "r1"))

	before := time.Now()
	token := mintFor(t, issuer, "r1", "alice", "1h")
	w, r := serve(t, g, def, "Bearer "+token)
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("accepted request got status %d body %q; want nothing written", w.Code, w.Body.String())
	}

	session := ctx.GetSession(r)
	if session == nil {
		t.Fatal("no session set")
	}
	if !strings.HasPrefix(session.KeyID, "org1") || len(session.KeyID) != len("org1")+32 {
		t.Errorf("KeyID = %q, want org1 followed by 32 hex digits", session.KeyID)
	}
	if strings.Contains(session.KeyID, "alice") {
		t.Errorf("KeyID %q contains the subject", session.KeyID)
	}
	if session.Alias != "alice" {
		t.Errorf("Alias = %q, want alice", session.Alias)
	}
	if session.OrgID != "org1" {
		t.Errorf("OrgID = %q, want org1", session.OrgID)
	}
	wantExpires := before.Add(time.Hour).Unix()
	if session.Expires < wantExpires-2 || session.Expires > wantExpires+2 {
		t.Errorf("Expires = %d, want about %d (the token's exp)", session.Expires, wantExpires)
	}
	if session.SessionLifetime < 3590 || session.SessionLifetime > 3600 {
		t.Errorf("SessionLifetime = %d, want about 3600", session.SessionLifetime)
	}
	if len(session.AccessRights) != 1 {
		t.Fatalf("AccessRights = %v, want this API only", session.AccessRights)
	}
	access := session.AccessRights["api1"]
	if access.APIID != "api1" || len(access.Versions) != 1 || access.Versions[0] != "Default" {
		t.Errorf("AccessRights[api1] = %+v, want API api1, version Default", access)
	}
	if session.QuotaMax != -1 || session.Rate != -1 {
		t.Errorf("QuotaMax, Rate = %d, %v; want -1 (unlimited unless a policy says otherwise)", session.QuotaMax, session.Rate)
	}
	if session.MetaData["jwt_subject"] != "alice" || session.MetaData["jwt_issuer"] != issuer.IssuerURL("r1") {
		t.Errorf("MetaData = %v", session.MetaData)
	}
	if !session.IsModified() {
		t.Error("the first session of a subject is not marked for writing")
	}
}

func TestSessionWrittenOnlyWhenItChanges(t *testing.T) {
	issuer := testIssuer(t)
	g := newRegistry()
	stopAll(t, g)
	def := testDefinition("api1", validSettings(issuer, "r1"))

	first := mintFor(t, issuer, "r1", "bob", "1h")
	refreshed := mintFor(t, issuer, "r1", "bob", "2h")

	steps := []struct {
		name      string
		token     string
		wantWrite bool
	}{
		{"first token of the subject", first, true},
		{"same token again", first, false},
		{"same token a third time", first, false},
		{"refreshed token with a new exp", refreshed, true},
		{"refreshed token again", refreshed, false},
	}
	var keys []string
	for _, step := range steps {
		_, r := serve(t, g, def, "Bearer "+step.token)
		session := ctx.GetSession(r)
		if session == nil {
			t.Fatalf("%s: no session", step.name)
		}
		if session.IsModified() != step.wantWrite {
			t.Errorf("%s: marked for writing = %v, want %v", step.name, session.IsModified(), step.wantWrite)
		}
		keys = append(keys, session.KeyID)
	}
	for _, key := range keys[1:] {
		if key != keys[0] {
			t.Fatalf("session keys differ across tokens of one subject: %v", keys)
		}
	}
}

func TestSessionKeyDependsOnIssuerAndSubject(t *testing.T) {
	factory := newSessionFactory(testDefinition("api1", nil), []byte("secret"), true, nil)
	otherSecret := newSessionFactory(testDefinition("api1", nil), []byte("other"), true, nil)

	base := factory.sessionKey("https://idp/a", "alice")
	cases := []struct {
		name string
		key  string
		same bool
	}{
		{"same issuer and subject", factory.sessionKey("https://idp/a", "alice"), true},
		{"other subject", factory.sessionKey("https://idp/a", "bob"), false},
		{"other issuer", factory.sessionKey("https://idp/b", "alice"), false},
		{"issuer and subject split elsewhere", factory.sessionKey("https://idp/aa", "lice"), false},
		{"other gateway secret", otherSecret.sessionKey("https://idp/a", "alice"), false},
	}
	for _, tc := range cases {
		if (tc.key == base) != tc.same {
			t.Errorf("%s: key %q vs %q, want same=%v", tc.name, tc.key, base, tc.same)
		}
	}
}

func TestRememberedWritesStayBounded(t *testing.T) {
	factory := newSessionFactory(testDefinition("api1", nil), nil, true, nil)
	now := time.Unix(1_000_000, 0)
	factory.now = func() time.Time { return now }

	for i := 0; i < maxRememberedWrites; i++ {
		factory.markWritten("expired-"+strconv.Itoa(i), writtenSession{expires: now.Unix() - 1})
	}
	if !factory.markWritten("live", writtenSession{expires: now.Unix() + 60}) {
		t.Fatal("a new key was not reported as a change")
	}
	if got := len(factory.written); got != 1 {
		t.Errorf("remembered %d keys after dropping expired ones, want 1", got)
	}
}

func TestRejectionsAnswerWithChallengeAndJSON(t *testing.T) {
	issuer := testIssuer(t)
	g := newRegistry()
	stopAll(t, g)
	settings := validSettings(issuer, "r1")
	settings["realm"] = "example"
	def := testDefinition("api1", settings)

	cases := []struct {
		name          string
		authorization string
		status        int
		challenge     string
		body          string
	}{
		{"no token", "", 401, `Bearer realm="example"`, `{"error":"bearer token required"}`},
		{"malformed token", "Bearer abc", 401,
			`Bearer realm="example", error="invalid_token", error_description="token is malformed"`,
			`{"error":"token is malformed"}`},
		{"expired token", "Bearer " + mintFor(t, issuer, "r1", "carol", "-1h"), 401,
			`Bearer realm="example", error="invalid_token", error_description="token has expired"`,
			`{"error":"token has expired"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, r := serve(t, g, def, tc.authorization)
			if w.Code != tc.status {
				t.Errorf("status = %d, want %d", w.Code, tc.status)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			if got := w.Body.String(); got != tc.body {
				t.Errorf("body = %s, want %s", got, tc.body)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if ctx.GetSession(r) != nil {
				t.Error("a rejected request got a session")
			}
		})
	}
}

func TestInvalidSettingsFailClosed(t *testing.T) {
	g := newRegistry()
	stopAll(t, g)
	def := testDefinition("bad", map[string]any{"issuer": "", "jwks_urls": []any{"ftp://x"}})

	w, r := serve(t, g, def, "Bearer abc")
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] != "authentication is not configured correctly for this API" {
		t.Errorf("body = %s", w.Body.String())
	}
	if ctx.GetSession(r) != nil {
		t.Error("a request to a misconfigured API got a session")
	}
	if err := g.forDefinition(def).settingsErr; err == nil || !strings.Contains(err.Error(), "jwks_urls") || !strings.Contains(err.Error(), "issuer") {
		t.Errorf("settings error = %v, want one naming issuer and jwks_urls", err)
	}
}

func TestMissingDefinitionFailsClosed(t *testing.T) {
	w, r := serve(t, newRegistry(), nil, "Bearer abc")
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", w.Code)
	}
	if ctx.GetSession(r) != nil {
		t.Error("request got a session")
	}
}

func TestRegistryReusesStateAcrossReloads(t *testing.T) {
	issuer := testIssuer(t)
	g := newRegistry()
	stopAll(t, g)

	original := testDefinition("api1", validSettings(issuer, "r1"))
	state := g.forDefinition(original)
	if g.forDefinition(original) != state {
		t.Fatal("the same definition built a second state")
	}

	// A reload builds a new definition object with the same settings.
	reloaded := testDefinition("api1", validSettings(issuer, "r1"))
	if g.forDefinition(reloaded) != state {
		t.Fatal("a reload with unchanged settings built a new state")
	}

	changedSettings := validSettings(issuer, "r1")
	changedSettings["audiences"] = []any{"other"}
	changed := testDefinition("api1", changedSettings)
	newState := g.forDefinition(changed)
	if newState == state {
		t.Fatal("changed settings kept the old state")
	}

	// Requests that started before the reload still find a state.
	if g.forDefinition(reloaded) != state {
		t.Error("the previous definition lost its state")
	}

	other := testDefinition("api2", validSettings(issuer, "r2"))
	if g.forDefinition(other) == newState {
		t.Error("two APIs share a state")
	}

	if _, ok := g.byDefinition.Load(original); ok {
		t.Errorf("more than %d definitions of one API are kept", definitionsKept)
	}
}

func TestSessionOfTokenWithoutExp(t *testing.T) {
	issuer := testIssuer(t)
	g := newRegistry()
	stopAll(t, g)
	settings := validSettings(issuer, "r1")
	settings["require_exp"] = false
	def := testDefinition("api1", settings)

	minted, err := issuer.Mint("r1", devissuer.MintRequest{
		Subject: "gina", Audience: []string{"api"}, Claims: map[string]any{"exp": nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	w, r := serve(t, g, def, "Bearer "+minted.AccessToken)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", w.Code, w.Body.String())
	}
	session := ctx.GetSession(r)
	if session.Expires != 0 || session.SessionLifetime != 0 {
		t.Errorf("Expires, SessionLifetime = %d, %d; want 0, 0 (never expires, stored for the API's session_lifetime)",
			session.Expires, session.SessionLifetime)
	}
}

func TestRegistryLateDefinitionKeepsNewestSettings(t *testing.T) {
	issuer := testIssuer(t)
	g := newRegistry()
	stopAll(t, g)
	withAudience := func(audience string) *apidef.APIDefinition {
		settings := validSettings(issuer, "r1")
		settings["audiences"] = []any{audience}
		return testDefinition("api1", settings)
	}

	oldDef := withAudience("old")
	oldState := g.forDefinition(oldDef)
	newDef := withAudience("new")
	newState := g.forDefinition(newDef)
	reloadedDef := withAudience("new")
	if g.forDefinition(reloadedDef) != newState {
		t.Fatal("a reload with the newest settings built another state")
	}

	// oldDef has been dropped from the definitions kept; a request that
	// still carries it finds its own settings' state again.
	if _, ok := g.byDefinition.Load(oldDef); ok {
		t.Fatal("the oldest definition is still mapped")
	}
	if g.forDefinition(oldDef) != oldState {
		t.Error("a late request with the old definition did not get the old settings' state")
	}
	if g.forDefinition(reloadedDef) != newState {
		t.Error("a late request with the old definition displaced the newest state")
	}

	// A third setting retires the oldest state.
	third := g.forDefinition(withAudience("third"))
	record := g.apis["api1"]
	if len(record.states) != statesKept || record.states[oldState.fingerprint] != nil {
		t.Errorf("states kept: %d, old state still kept: %v", len(record.states), record.states[oldState.fingerprint] != nil)
	}
	if third == newState || third == oldState {
		t.Error("new settings reused an existing state")
	}
}
