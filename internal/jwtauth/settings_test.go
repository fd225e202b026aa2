package jwtauth_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// settingsDocument returns the JSON of valid minimal settings with changes
// applied. A nil value removes the member.
func settingsDocument(t testing.TB, changes map[string]any) []byte {
	t.Helper()
	document := map[string]any{
		"issuer":    "https://id.example.com/",
		"jwks_urls": []string{"https://id.example.com/.well-known/jwks.json"},
	}
	for name, value := range changes {
		if value == nil {
			delete(document, name)
			continue
		}
		document[name] = value
	}
	encoded, err := json.Marshal(document)
	if err != nil {
		t.Fatalf("encode settings: %v", err)
	}
	return encoded
}

// requireInvalidSettings fails the test unless err wraps ErrInvalidSettings
// and its text contains every one of texts.
func requireInvalidSettings(t testing.TB, err error, texts ...string) {
	t.Helper()
	if !errors.Is(err, jwtauth.ErrInvalidSettings) {
		t.Fatalf("error = %v, want one wrapping ErrInvalidSettings", err)
	}
	for _, text := range texts {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not mention %q", err, text)
		}
	}
}

// field is one field of parsed settings with its wanted value.
type field struct {
	name string
	got  any
	want any
}

func checkFields(t testing.TB, fields []field) {
	t.Helper()
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
}

func TestParseSettingsDefaults(t *testing.T) {
	s, err := jwtauth.ParseSettings(settingsDocument(t, nil))
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}
	if len(s.Issuers) != 1 {
		t.Fatalf("got %d issuers, want 1", len(s.Issuers))
	}

	// The wanted values are the documented defaults, written out so that a
	// changed default fails here and not only in the docs.
	checkFields(t, []field{
		{"Issuers[0].Issuer", s.Issuers[0].Issuer, "https://id.example.com/"},
		{"Issuers[0].JWKSURLs", s.Issuers[0].JWKSURLs, []string{"https://id.example.com/.well-known/jwks.json"}},
		{"Issuers[0].Discovery", s.Issuers[0].Discovery, false},
		{"Issuers[0].Keys", s.Issuers[0].Keys, json.RawMessage(nil)},
		{"Audiences", s.Audiences, []string(nil)},
		{"AudienceMatch", s.AudienceMatch, "any"},
		{"Algorithms", s.Algorithms, []string{
			"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
		}},
		{"IdentityClaim", s.IdentityClaim, "sub"},
		{"RequireExp", s.RequireExp, true},
		{"MaxTokenLifetime", s.MaxTokenLifetime, time.Duration(0)},
		{"RequiredClaims", s.RequiredClaims, []string(nil)},
		{"ClaimRules", s.ClaimRules, []jwtauth.ClaimRule(nil)},
		{"TokenSources", s.TokenSources, []jwtauth.TokenSource{{Type: "header", Name: "Authorization", Scheme: "Bearer"}}},
		{"MaxTokenBytes", s.MaxTokenBytes, 8192},
		{"Leeway", s.Leeway, 30 * time.Second},
		{"RefreshInterval", s.RefreshInterval, 15 * time.Minute},
		{"UnknownKIDRefreshInterval", s.UnknownKIDRefreshInterval, time.Minute},
		{"FetchTimeout", s.FetchTimeout, 5 * time.Second},
		{"MaxJWKSBytes", s.MaxJWKSBytes, int64(1 << 20)},
		{"Realm", s.Realm, ""},
	})
}

func TestParseSettingsCopiesDefaults(t *testing.T) {
	s, err := jwtauth.ParseSettings(settingsDocument(t, nil))
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}

	s.Algorithms[0] = "changed"
	s.TokenSources[0].Name = "changed"

	if jwtauth.DefaultAlgorithms[0] != "RS256" {
		t.Errorf("DefaultAlgorithms[0] = %q after changing parsed settings, want RS256", jwtauth.DefaultAlgorithms[0])
	}
	if jwtauth.DefaultTokenSources[0].Name != "Authorization" {
		t.Errorf("DefaultTokenSources[0].Name = %q after changing parsed settings, want Authorization", jwtauth.DefaultTokenSources[0].Name)
	}
}

func TestParseSettingsExplicitValues(t *testing.T) {
	document := settingsDocument(t, map[string]any{
		"issuer":                            "https://login.example.org",
		"jwks_urls":                         []string{"https://login.example.org/keys", "http://127.0.0.1:8080/keys"},
		"audiences":                         []string{"api", "admin"},
		"audience_match":                    "all",
		"algorithms":                        []string{"ES256", "EdDSA"},
		"identity_claim":                    "email",
		"require_exp":                       false,
		"max_token_lifetime":                "1h",
		"required_claims":                   []string{"email", "realm_access.roles"},
		"claim_rules":                       []map[string]any{{"claim": "scope", "contains_any": []string{"read"}, "contains_all": []string{"api"}}},
		"token_sources":                     []map[string]any{{"type": "cookie", "name": "session"}, {"type": "header", "name": "X-Token"}},
		"max_token_bytes":                   4096,
		"leeway":                            "0s",
		"jwks_refresh_interval":             "1h",
		"jwks_unknown_kid_refresh_interval": "10s",
		"jwks_fetch_timeout":                "1m",
		"jwks_max_bytes":                    4096,
		"realm":                             "example api",
	})
	s, err := jwtauth.ParseSettings(document)
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}
	if len(s.Issuers) != 1 {
		t.Fatalf("got %d issuers, want 1", len(s.Issuers))
	}

	checkFields(t, []field{
		{"Issuers[0].Issuer", s.Issuers[0].Issuer, "https://login.example.org"},
		{"Issuers[0].JWKSURLs", s.Issuers[0].JWKSURLs, []string{"https://login.example.org/keys", "http://127.0.0.1:8080/keys"}},
		{"Audiences", s.Audiences, []string{"api", "admin"}},
		{"AudienceMatch", s.AudienceMatch, "all"},
		{"Algorithms", s.Algorithms, []string{"ES256", "EdDSA"}},
		{"IdentityClaim", s.IdentityClaim, "email"},
		{"RequireExp", s.RequireExp, false},
		{"MaxTokenLifetime", s.MaxTokenLifetime, time.Hour},
		{"RequiredClaims", s.RequiredClaims, []string{"email", "realm_access.roles"}},
		{"ClaimRules", s.ClaimRules, []jwtauth.ClaimRule{{Claim: "scope", ContainsAny: []string{"read"}, ContainsAll: []string{"api"}}}},
		{"TokenSources", s.TokenSources, []jwtauth.TokenSource{{Type: "cookie", Name: "session"}, {Type: "header", Name: "X-Token"}}},
		{"MaxTokenBytes", s.MaxTokenBytes, 4096},
		{"Leeway", s.Leeway, time.Duration(0)},
		{"RefreshInterval", s.RefreshInterval, time.Hour},
		{"UnknownKIDRefreshInterval", s.UnknownKIDRefreshInterval, 10 * time.Second},
		{"FetchTimeout", s.FetchTimeout, time.Minute},
		{"MaxJWKSBytes", s.MaxJWKSBytes, int64(4096)},
		{"Realm", s.Realm, "example api"},
	})
}

func TestParseSettingsIssuerForms(t *testing.T) {
	const keys = `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`

	t.Run("discovery issuer", func(t *testing.T) {
		s, err := jwtauth.ParseSettings(settingsDocument(t, map[string]any{"jwks_urls": nil, "discovery": true}))
		if err != nil {
			t.Fatalf("ParseSettings: %v", err)
		}
		checkFields(t, []field{
			{"len(Issuers)", len(s.Issuers), 1},
			{"Issuers[0].Discovery", s.Issuers[0].Discovery, true},
			{"Issuers[0].JWKSURLs", s.Issuers[0].JWKSURLs, []string(nil)},
		})
	})

	t.Run("inline keys issuer", func(t *testing.T) {
		s, err := jwtauth.ParseSettings(settingsDocument(t, map[string]any{"jwks_urls": nil, "keys": json.RawMessage(keys)}))
		if err != nil {
			t.Fatalf("ParseSettings: %v", err)
		}
		if len(s.Issuers) != 1 {
			t.Fatalf("got %d issuers, want 1", len(s.Issuers))
		}
		if !json.Valid(s.Issuers[0].Keys) || !strings.Contains(string(s.Issuers[0].Keys), `"k1"`) {
			t.Errorf("Issuers[0].Keys = %s, want the inline key set", s.Issuers[0].Keys)
		}
	})

	t.Run("issuers list", func(t *testing.T) {
		document := settingsDocument(t, map[string]any{
			"issuer":    nil,
			"jwks_urls": nil,
			"issuers": []map[string]any{
				{"issuer": "https://a.example", "jwks_urls": []string{"https://a.example/jwks"}},
				{"issuer": "https://b.example", "discovery": true},
				{"issuer": "https://c.example", "keys": json.RawMessage(keys)},
			},
		})
		s, err := jwtauth.ParseSettings(document)
		if err != nil {
			t.Fatalf("ParseSettings: %v", err)
		}
		if len(s.Issuers) != 3 {
			t.Fatalf("got %d issuers, want 3", len(s.Issuers))
		}
		checkFields(t, []field{
			{"Issuers[0].Issuer", s.Issuers[0].Issuer, "https://a.example"},
			{"Issuers[0].JWKSURLs", s.Issuers[0].JWKSURLs, []string{"https://a.example/jwks"}},
			{"Issuers[1].Issuer", s.Issuers[1].Issuer, "https://b.example"},
			{"Issuers[1].Discovery", s.Issuers[1].Discovery, true},
			{"Issuers[2].Issuer", s.Issuers[2].Issuer, "https://c.example"},
		})
	})
}

func TestParseSettingsAcceptsBounds(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]any
	}{
		{"zero leeway", map[string]any{"leeway": "0s"}},
		{"five minute leeway", map[string]any{"leeway": "5m"}},
		{"one second refresh interval", map[string]any{"jwks_refresh_interval": "1s"}},
		{"one second unknown-kid interval", map[string]any{"jwks_unknown_kid_refresh_interval": "1s"}},
		{"one minute fetch timeout", map[string]any{"jwks_fetch_timeout": "1m"}},
		{"one byte JWKS limit", map[string]any{"jwks_max_bytes": 1}},
		{"smallest token limit", map[string]any{"max_token_bytes": 256}},
		{"largest token limit", map[string]any{"max_token_bytes": 1 << 20}},
		{"zero token lifetime", map[string]any{"max_token_lifetime": "0s"}},
		{"null algorithms get defaults", map[string]any{"algorithms": json.RawMessage("null")}},
		{"null identity_claim gets default", map[string]any{"identity_claim": json.RawMessage("null")}},
		{"http URL with port", map[string]any{"jwks_urls": []string{"http://127.0.0.1:9000/jwks"}}},
		{"audience_match all with audiences", map[string]any{"audiences": []string{"api"}, "audience_match": "all"}},
		{"query and cookie sources", map[string]any{"token_sources": []map[string]any{
			{"type": "query", "name": "access_token"},
			{"type": "cookie", "name": "access_token"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := jwtauth.ParseSettings(settingsDocument(t, tt.changes)); err != nil {
				t.Errorf("ParseSettings: unexpected error %v", err)
			}
		})
	}
}

func TestParseSettingsRejectsInvalid(t *testing.T) {
	octKeys := json.RawMessage(`{"keys":[{"kty":"oct","kid":"hmac","k":"c2hhcmVkIHNlY3JldA"}]}`)
	tests := []struct {
		name    string
		changes map[string]any
		want    []string
	}{
		{"no issuer at all", map[string]any{"issuer": nil, "jwks_urls": nil}, []string{"issuer"}},
		{"missing issuer", map[string]any{"issuer": nil}, []string{"issuer"}},
		{"blank issuer", map[string]any{"issuer": "  "}, []string{"issuer"}},
		{"issuer without key source", map[string]any{"jwks_urls": nil}, []string{"jwks_urls", "exactly one key source"}},
		{"empty jwks_urls", map[string]any{"jwks_urls": []string{}}, []string{"jwks_urls"}},
		{"two key sources", map[string]any{"discovery": true}, []string{"jwks_urls", "exactly one key source"}},
		{"ftp URL", map[string]any{"jwks_urls": []string{"ftp://id.example.com/jwks"}}, []string{"jwks_urls: [0]", "ftp://"}},
		{"file URL", map[string]any{"jwks_urls": []string{"file:///etc/jwks.json"}}, []string{"jwks_urls: [0]"}},
		{"URL without host", map[string]any{"jwks_urls": []string{"https:///jwks"}}, []string{"jwks_urls: [0]", "no host"}},
		{"relative URL", map[string]any{"jwks_urls": []string{"/jwks"}}, []string{"jwks_urls: [0]"}},
		{"unparsable URL", map[string]any{"jwks_urls": []string{"https://id example.com/"}}, []string{"jwks_urls: [0]"}},
		{"second URL invalid", map[string]any{"jwks_urls": []string{"https://id.example.com/jwks", "id.example.com/jwks"}}, []string{"jwks_urls: [1]"}},
		{"discovery with non-URL issuer", map[string]any{"issuer": "my-issuer", "jwks_urls": nil, "discovery": true}, []string{"discovery"}},
		{"inline keys not a key set", map[string]any{"jwks_urls": nil, "keys": "not a key set"}, []string{"keys"}},
		{"inline keys without usable key", map[string]any{"jwks_urls": nil, "keys": octKeys}, []string{"keys"}},
		{"issuers with single form", map[string]any{"issuers": []map[string]any{{"issuer": "https://b.example", "discovery": true}}}, []string{"issuers"}},
		{"issuers entry not an object", map[string]any{"issuer": nil, "jwks_urls": nil, "issuers": []any{"https://a.example"}}, []string{"issuers[0]"}},
		{
			"issuers entry with unknown key",
			map[string]any{"issuer": nil, "jwks_urls": nil, "issuers": []map[string]any{{"issuer": "https://a.example", "discovery": true, "jwks_url": "x"}}},
			[]string{"issuers[0].jwks_url"},
		},
		{
			"issuers entry with bad URL",
			map[string]any{"issuer": nil, "jwks_urls": nil, "issuers": []map[string]any{
				{"issuer": "https://a.example", "discovery": true},
				{"issuer": "https://b.example", "jwks_urls": []string{"ftp://b.example/jwks"}},
			}},
			[]string{"issuers[1].jwks_urls"},
		},
		{
			"issuer listed twice",
			map[string]any{"issuer": nil, "jwks_urls": nil, "issuers": []map[string]any{
				{"issuer": "https://a.example", "discovery": true},
				{"issuer": "https://a.example", "jwks_urls": []string{"https://a.example/jwks"}},
			}},
			[]string{"issuers[1]", "twice"},
		},
		{"empty issuers list", map[string]any{"issuer": nil, "jwks_urls": nil, "issuers": []any{}}, []string{"issuer"}},
		{"empty audience", map[string]any{"audiences": []string{"api", ""}}, []string{"audiences: [1]"}},
		{"unknown audience_match", map[string]any{"audience_match": "some"}, []string{"audience_match"}},
		{"audience_match all without audiences", map[string]any{"audience_match": "all"}, []string{"audience_match"}},
		{"HS256 refused", map[string]any{"algorithms": []string{"RS256", "HS256"}}, []string{"algorithms: [1]", "HS256"}},
		{"none refused", map[string]any{"algorithms": []string{"none"}}, []string{"algorithms: [0]", "none"}},
		{"uppercase NONE refused", map[string]any{"algorithms": []string{"NONE"}}, []string{"algorithms: [0]"}},
		{"unknown alg refused", map[string]any{"algorithms": []string{"RS1024"}}, []string{"algorithms: [0]", "RS1024"}},
		{"lowercase alg refused", map[string]any{"algorithms": []string{"rs256"}}, []string{"algorithms: [0]"}},
		{"empty algorithms", map[string]any{"algorithms": []string{}}, []string{"algorithms"}},
		{"empty identity_claim", map[string]any{"identity_claim": ""}, []string{"identity_claim"}},
		{"blank identity_claim", map[string]any{"identity_claim": " \t"}, []string{"identity_claim"}},
		{"negative max_token_lifetime", map[string]any{"max_token_lifetime": "-1h"}, []string{"max_token_lifetime"}},
		{"blank required claim", map[string]any{"required_claims": []string{"email", " "}}, []string{"required_claims", "[1]"}},
		{"claim rule without claim", map[string]any{"claim_rules": []map[string]any{{"contains_any": []string{"a"}}}}, []string{"claim_rules", "[0]"}},
		{"claim rule without values", map[string]any{"claim_rules": []map[string]any{{"claim": "scope"}}}, []string{"claim_rules", "contains_any"}},
		{"claim rule with unknown key", map[string]any{"claim_rules": []map[string]any{{"claim": "scope", "contains": []string{"a"}}}}, []string{"claim_rules[0].contains"}},
		{"empty token_sources", map[string]any{"token_sources": []any{}}, []string{"token_sources"}},
		{"unknown source type", map[string]any{"token_sources": []map[string]any{{"type": "body", "name": "token"}}}, []string{"token_sources", "body"}},
		{"source without name", map[string]any{"token_sources": []map[string]any{{"type": "header"}}}, []string{"token_sources", "no name"}},
		{"scheme on query source", map[string]any{"token_sources": []map[string]any{{"type": "query", "name": "t", "scheme": "Bearer"}}}, []string{"token_sources", "scheme"}},
		{"scheme with space", map[string]any{"token_sources": []map[string]any{{"type": "header", "name": "X-Auth", "scheme": "My Bearer"}}}, []string{"token_sources", "whitespace"}},
		{
			"header source repeated in other case",
			map[string]any{"token_sources": []map[string]any{{"type": "header", "name": "X-Token"}, {"type": "header", "name": "x-token"}}},
			[]string{"token_sources", "[1]", "repeats"},
		},
		{"source with unknown key", map[string]any{"token_sources": []map[string]any{{"type": "header", "name": "X", "prefix": "Bearer"}}}, []string{"token_sources[0].prefix"}},
		{"token limit too small", map[string]any{"max_token_bytes": 255}, []string{"max_token_bytes"}},
		{"token limit too large", map[string]any{"max_token_bytes": 1<<20 + 1}, []string{"max_token_bytes"}},
		{"negative leeway", map[string]any{"leeway": "-1s"}, []string{"leeway"}},
		{"leeway over five minutes", map[string]any{"leeway": "5m1s"}, []string{"leeway"}},
		{"refresh interval too short", map[string]any{"jwks_refresh_interval": "999ms"}, []string{"jwks_refresh_interval"}},
		{"unknown-kid interval too short", map[string]any{"jwks_unknown_kid_refresh_interval": "0s"}, []string{"jwks_unknown_kid_refresh_interval"}},
		{"zero fetch timeout", map[string]any{"jwks_fetch_timeout": "0s"}, []string{"jwks_fetch_timeout"}},
		{"fetch timeout over a minute", map[string]any{"jwks_fetch_timeout": "61s"}, []string{"jwks_fetch_timeout"}},
		{"bad duration string", map[string]any{"leeway": "thirty seconds"}, []string{"leeway", "thirty seconds"}},
		{"duration without unit", map[string]any{"jwks_refresh_interval": "900"}, []string{"jwks_refresh_interval"}},
		{"numeric duration", map[string]any{"leeway": 30}, []string{"leeway", "number"}},
		{"zero jwks_max_bytes", map[string]any{"jwks_max_bytes": 0}, []string{"jwks_max_bytes"}},
		{"negative jwks_max_bytes", map[string]any{"jwks_max_bytes": -1}, []string{"jwks_max_bytes"}},
		{"realm with quote", map[string]any{"realm": `say "hi"`}, []string{"realm"}},
		{"realm with backslash", map[string]any{"realm": `a\b`}, []string{"realm"}},
		{"realm with line break", map[string]any{"realm": "a\r\nb"}, []string{"realm"}},
		{"unknown field", map[string]any{"leewy": "10s"}, []string{"leewy", "unknown"}},
		{"known field in other case", map[string]any{"Leeway": "10s"}, []string{"Leeway", "unknown"}},
		{"numeric issuer", map[string]any{"issuer": 42}, []string{"issuer"}},
		{"string jwks_urls", map[string]any{"jwks_urls": "https://id.example.com/jwks"}, []string{"jwks_urls"}},
		{"string audiences", map[string]any{"audiences": "api"}, []string{"audiences"}},
		{"numeric algorithm", map[string]any{"algorithms": []any{256}}, []string{"algorithms"}},
		{"string jwks_max_bytes", map[string]any{"jwks_max_bytes": "1MiB"}, []string{"jwks_max_bytes"}},
		{"fractional jwks_max_bytes", map[string]any{"jwks_max_bytes": 1.5}, []string{"jwks_max_bytes"}},
		{"boolean identity_claim", map[string]any{"identity_claim": true}, []string{"identity_claim"}},
		{"string require_exp", map[string]any{"require_exp": "false"}, []string{"require_exp"}},
		{"string discovery", map[string]any{"discovery": "true"}, []string{"discovery"}},
		{"object token_sources", map[string]any{"token_sources": map[string]any{"type": "header"}}, []string{"token_sources"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.ParseSettings(settingsDocument(t, tt.changes))
			requireInvalidSettings(t, err, tt.want...)
		})
	}
}

func TestParseSettingsRejectsDocument(t *testing.T) {
	tests := []struct {
		name     string
		document string
	}{
		{"empty document", ""},
		{"JSON array", `[]`},
		{"JSON string", `"https://id.example.com/"`},
		{"truncated object", `{"issuer": "https://id.example.com/"`},
		{"null document", `null`},
		{
			"trailing data after object",
			`{"issuer": "https://id.example.com/", "jwks_urls": ["https://id.example.com/jwks"]} {"issuer": ""}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.ParseSettings([]byte(tt.document))
			requireInvalidSettings(t, err, "jwks_auth")
		})
	}
}

func TestParseSettingsReportsAllProblems(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]any
		want    []string
	}{
		{
			"every validation problem",
			map[string]any{
				"issuer":                            nil,
				"jwks_urls":                         []string{"ftp://id.example.com/jwks", "https://"},
				"audiences":                         []string{""},
				"audience_match":                    "most",
				"algorithms":                        []string{"HS256", "none", "XS1"},
				"identity_claim":                    " ",
				"max_token_lifetime":                "-1s",
				"required_claims":                   []string{""},
				"claim_rules":                       []map[string]any{{"claim": "scope"}},
				"token_sources":                     []any{},
				"max_token_bytes":                   1,
				"leeway":                            "10m",
				"jwks_refresh_interval":             "1ms",
				"jwks_unknown_kid_refresh_interval": "1ms",
				"jwks_fetch_timeout":                "2m",
				"jwks_max_bytes":                    0,
				"realm":                             `"`,
			},
			[]string{
				"issuer", "jwks_urls: [0]", "jwks_urls: [1]", "audiences: [0]", "audience_match",
				"algorithms: [0]", "algorithms: [1]", "algorithms: [2]", "identity_claim",
				"max_token_lifetime", "required_claims", "claim_rules", "token_sources", "max_token_bytes",
				"leeway", "jwks_refresh_interval", "jwks_unknown_kid_refresh_interval",
				"jwks_fetch_timeout", "jwks_max_bytes", "realm",
			},
		},
		{
			"bad durations and missing issuer",
			map[string]any{"issuer": nil, "leeway": "soon", "jwks_fetch_timeout": "later"},
			[]string{"issuer", "leeway", "jwks_fetch_timeout"},
		},
		{
			"wrong type and missing issuer",
			map[string]any{"issuer": nil, "leeway": 30},
			[]string{"issuer", "leeway"},
		},
		{
			"unknown field and missing issuer",
			map[string]any{"issuer": nil, "leewy": "10s"},
			[]string{"issuer", "leewy"},
		},
		{
			"every wrong type",
			map[string]any{
				"issuer":         42,
				"jwks_urls":      "https://id.example.com/jwks",
				"leeway":         30,
				"identity_claim": false,
				"jwks_max_bytes": "1MiB",
				"realm":          []string{"api"},
			},
			[]string{"issuer", "jwks_urls", "leeway", "identity_claim", "jwks_max_bytes", "realm"},
		},
		{
			"problems in two issuers entries",
			map[string]any{"issuer": nil, "jwks_urls": nil, "issuers": []map[string]any{
				{"issuer": "", "discovery": true},
				{"issuer": "https://b.example", "jwks_urls": []string{"b.example"}},
			}},
			[]string{"issuers[0].issuer", "issuers[1].jwks_urls"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.ParseSettings(settingsDocument(t, tt.changes))
			requireInvalidSettings(t, err, tt.want...)
		})
	}
}

func TestParseSettingsReportsFieldOnce(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value any
	}{
		{"numeric issuer", "issuer", 42},
		{"numeric audience_match", "audience_match", 1},
		{"numeric leeway", "leeway", 30},
		{"numeric max_token_lifetime", "max_token_lifetime", 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.ParseSettings(settingsDocument(t, map[string]any{tt.field: tt.value}))
			requireInvalidSettings(t, err, tt.field)

			// The value that could not be decoded must not be reported a
			// second time, as if it had been decoded as an empty string.
			if n := strings.Count(err.Error(), tt.field+":"); n != 1 {
				t.Errorf("error %q names %s %d times, want once", err, tt.field, n)
			}
		})
	}
}

func TestValidateZeroSettings(t *testing.T) {
	var s jwtauth.Settings
	err := s.Validate()

	requireInvalidSettings(t, err,
		"issuer", "algorithms", "identity_claim", "token_sources", "max_token_bytes",
		"jwks_refresh_interval", "jwks_unknown_kid_refresh_interval", "jwks_fetch_timeout",
		"jwks_max_bytes",
	)
}

func TestDecodeSettings(t *testing.T) {
	// config_data reaches the plugin as generic JSON values: numbers are float64.
	valid := map[string]any{
		"issuer":         "https://id.example.com/",
		"jwks_urls":      []any{"https://id.example.com/jwks"},
		"jwks_max_bytes": float64(2048),
		"leeway":         "1m",
	}

	t.Run("settings object decoded", func(t *testing.T) {
		configData := map[string]any{
			"jwks_auth":          valid,
			"some_other_plugin":  map[string]any{"enabled": true},
			"another_middleware": "left alone",
		}
		s, err := jwtauth.DecodeSettings(configData)
		if err != nil {
			t.Fatalf("DecodeSettings: %v", err)
		}
		if len(s.Issuers) != 1 {
			t.Fatalf("got %d issuers, want 1", len(s.Issuers))
		}
		checkFields(t, []field{
			{"Issuers[0].Issuer", s.Issuers[0].Issuer, "https://id.example.com/"},
			{"MaxJWKSBytes", s.MaxJWKSBytes, int64(2048)},
			{"Leeway", s.Leeway, time.Minute},
			{"IdentityClaim", s.IdentityClaim, "sub"},
		})
	})

	rejected := []struct {
		name       string
		configData map[string]any
		want       []string
	}{
		{"nil config_data", nil, []string{"jwks_auth"}},
		{"missing jwks_auth", map[string]any{"other": valid}, []string{"jwks_auth"}},
		{"jwks_auth a string", map[string]any{"jwks_auth": "https://id.example.com/"}, []string{"jwks_auth"}},
		{"jwks_auth null", map[string]any{"jwks_auth": nil}, []string{"jwks_auth"}},
		{"validation problem", map[string]any{"jwks_auth": map[string]any{"jwks_urls": []any{"https://a/jwks"}}}, []string{"issuer"}},
		{"value JSON cannot encode", map[string]any{"jwks_auth": map[string]any{"jwks_max_bytes": math.Inf(1)}}, nil},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.DecodeSettings(tt.configData)
			requireInvalidSettings(t, err, tt.want...)
		})
	}
}
