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
// applied; a nil value removes the member.
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

func TestParseSettingsDefaults(t *testing.T) {
	s, err := jwtauth.ParseSettings(settingsDocument(t, nil))
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}

	// The wanted values are the documented defaults, written out so that a
	// changed default fails here and not only in the docs.
	fields := []struct {
		name string
		got  any
		want any
	}{
		{"Issuer", s.Issuer, "https://id.example.com/"},
		{"JWKSURLs", s.JWKSURLs, []string{"https://id.example.com/.well-known/jwks.json"}},
		{"Audiences", s.Audiences, []string(nil)},
		{"Algorithms", s.Algorithms, []string{
			"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
		}},
		{"IdentityClaim", s.IdentityClaim, "sub"},
		{"Leeway", s.Leeway, 30 * time.Second},
		{"RefreshInterval", s.RefreshInterval, 15 * time.Minute},
		{"UnknownKIDRefreshInterval", s.UnknownKIDRefreshInterval, time.Minute},
		{"FetchTimeout", s.FetchTimeout, 5 * time.Second},
		{"MaxJWKSBytes", s.MaxJWKSBytes, int64(1 << 20)},
		{"Realm", s.Realm, ""},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
}

func TestParseSettingsDefaultAlgorithmsCopied(t *testing.T) {
	s, err := jwtauth.ParseSettings(settingsDocument(t, nil))
	if err != nil {
		t.Fatalf("ParseSettings: %v", err)
	}

	s.Algorithms[0] = "changed"
	if jwtauth.DefaultAlgorithms[0] != "RS256" {
		t.Errorf("DefaultAlgorithms[0] = %q after changing the parsed settings, want RS256", jwtauth.DefaultAlgorithms[0])
	}
}

func TestParseSettingsExplicitValues(t *testing.T) {
	document := settingsDocument(t, map[string]any{
		"issuer":                            "https://login.example.org",
		"jwks_urls":                         []string{"https://login.example.org/keys", "http://127.0.0.1:8080/keys"},
		"audiences":                         []string{"api", "admin"},
		"algorithms":                        []string{"ES256", "EdDSA"},
		"identity_claim":                    "email",
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

	fields := []struct {
		name string
		got  any
		want any
	}{
		{"Issuer", s.Issuer, "https://login.example.org"},
		{"JWKSURLs", s.JWKSURLs, []string{"https://login.example.org/keys", "http://127.0.0.1:8080/keys"}},
		{"Audiences", s.Audiences, []string{"api", "admin"}},
		{"Algorithms", s.Algorithms, []string{"ES256", "EdDSA"}},
		{"IdentityClaim", s.IdentityClaim, "email"},
		{"Leeway", s.Leeway, time.Duration(0)},
		{"RefreshInterval", s.RefreshInterval, time.Hour},
		{"UnknownKIDRefreshInterval", s.UnknownKIDRefreshInterval, 10 * time.Second},
		{"FetchTimeout", s.FetchTimeout, time.Minute},
		{"MaxJWKSBytes", s.MaxJWKSBytes, int64(4096)},
		{"Realm", s.Realm, "example api"},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
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
		{"null algorithms get defaults", map[string]any{"algorithms": json.RawMessage("null")}},
		{"http URL with port", map[string]any{"jwks_urls": []string{"http://127.0.0.1:9000/jwks"}}},
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
	tests := []struct {
		name    string
		changes map[string]any
		want    []string
	}{
		{"missing issuer", map[string]any{"issuer": nil}, []string{"issuer"}},
		{"blank issuer", map[string]any{"issuer": "  "}, []string{"issuer"}},
		{"missing jwks_urls", map[string]any{"jwks_urls": nil}, []string{"jwks_urls"}},
		{"empty jwks_urls", map[string]any{"jwks_urls": []string{}}, []string{"jwks_urls"}},
		{"ftp URL", map[string]any{"jwks_urls": []string{"ftp://id.example.com/jwks"}}, []string{"jwks_urls: [0]", "ftp://"}},
		{"file URL", map[string]any{"jwks_urls": []string{"file:///etc/jwks.json"}}, []string{"jwks_urls: [0]"}},
		{"URL without host", map[string]any{"jwks_urls": []string{"https:///jwks"}}, []string{"jwks_urls: [0]", "no host"}},
		{"relative URL", map[string]any{"jwks_urls": []string{"/jwks"}}, []string{"jwks_urls: [0]"}},
		{"unparsable URL", map[string]any{"jwks_urls": []string{"https://id example.com/"}}, []string{"jwks_urls: [0]"}},
		{"second URL invalid", map[string]any{"jwks_urls": []string{"https://id.example.com/jwks", "id.example.com/jwks"}}, []string{"jwks_urls: [1]"}},
		{"empty audience", map[string]any{"audiences": []string{"api", ""}}, []string{"audiences: [1]"}},
		{"HS256 refused", map[string]any{"algorithms": []string{"RS256", "HS256"}}, []string{"algorithms: [1]", "HS256"}},
		{"none refused", map[string]any{"algorithms": []string{"none"}}, []string{"algorithms: [0]", "none"}},
		{"uppercase NONE refused", map[string]any{"algorithms": []string{"NONE"}}, []string{"algorithms: [0]"}},
		{"unknown alg refused", map[string]any{"algorithms": []string{"RS1024"}}, []string{"algorithms: [0]", "RS1024"}},
		{"lowercase alg refused", map[string]any{"algorithms": []string{"rs256"}}, []string{"algorithms: [0]"}},
		{"empty algorithms", map[string]any{"algorithms": []string{}}, []string{"algorithms"}},
		{"empty identity_claim", map[string]any{"identity_claim": ""}, []string{"identity_claim"}},
		{"blank identity_claim", map[string]any{"identity_claim": " \t"}, []string{"identity_claim"}},
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
		{"unknown field", map[string]any{"leewy": "10s"}, []string{"leewy"}},
		{"known field in other case", map[string]any{"Leeway": "10s"}, []string{"Leeway"}},
		{"numeric issuer", map[string]any{"issuer": 42}, []string{"issuer"}},
		{"string jwks_urls", map[string]any{"jwks_urls": "https://id.example.com/jwks"}, []string{"jwks_urls"}},
		{"string audiences", map[string]any{"audiences": "api"}, []string{"audiences"}},
		{"numeric algorithm", map[string]any{"algorithms": []any{256}}, []string{"algorithms"}},
		{"string jwks_max_bytes", map[string]any{"jwks_max_bytes": "1MiB"}, []string{"jwks_max_bytes"}},
		{"fractional jwks_max_bytes", map[string]any{"jwks_max_bytes": 1.5}, []string{"jwks_max_bytes"}},
		{"boolean identity_claim", map[string]any{"identity_claim": true}, []string{"identity_claim"}},
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
			requireInvalidSettings(t, err)
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
				"algorithms":                        []string{"HS256", "none", "XS1"},
				"identity_claim":                    " ",
				"leeway":                            "10m",
				"jwks_refresh_interval":             "1ms",
				"jwks_unknown_kid_refresh_interval": "1ms",
				"jwks_fetch_timeout":                "2m",
				"jwks_max_bytes":                    0,
				"realm":                             `"`,
			},
			[]string{
				"issuer", "jwks_urls: [0]", "jwks_urls: [1]", "audiences: [0]",
				"algorithms: [0]", "algorithms: [1]", "algorithms: [2]", "identity_claim",
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.ParseSettings(settingsDocument(t, tt.changes))
			requireInvalidSettings(t, err, tt.want...)
		})
	}
}

func TestParseSettingsReportsFieldOnce(t *testing.T) {
	_, err := jwtauth.ParseSettings(settingsDocument(t, map[string]any{"issuer": 42}))
	requireInvalidSettings(t, err, "issuer")

	// The undecodable issuer is also empty, which must not be reported as
	// a second, misleading problem.
	if n := strings.Count(err.Error(), "issuer:"); n != 1 {
		t.Errorf("error %q names issuer %d times, want once", err, n)
	}
}

func TestValidateZeroSettings(t *testing.T) {
	var s jwtauth.Settings
	err := s.Validate()

	requireInvalidSettings(t, err,
		"issuer", "jwks_urls", "algorithms", "identity_claim", "jwks_refresh_interval",
		"jwks_unknown_kid_refresh_interval", "jwks_fetch_timeout", "jwks_max_bytes",
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
		if s.Issuer != "https://id.example.com/" {
			t.Errorf("Issuer = %q, want %q", s.Issuer, "https://id.example.com/")
		}
		if s.MaxJWKSBytes != 2048 {
			t.Errorf("MaxJWKSBytes = %d, want 2048", s.MaxJWKSBytes)
		}
		if s.Leeway != time.Minute {
			t.Errorf("Leeway = %s, want 1m0s", s.Leeway)
		}
		if s.IdentityClaim != "sub" {
			t.Errorf("IdentityClaim = %q, want the default sub", s.IdentityClaim)
		}
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
