package jwtauth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func TestPoliciesFor(t *testing.T) {
	s := jwtauth.DefaultSettings()
	s.PolicyClaim = "tyk.policies"
	s.ScopePolicies = map[string][]string{"orders:read": {"orders"}, "admin": {"admin", "orders"}}
	s.DefaultPolicies = []string{"basic"}

	cases := []struct {
		name    string
		claims  map[string]any
		want    string
		wantErr error
	}{
		{"no claim, no scope: defaults", map[string]any{}, "basic", nil},
		{"policy claim as a string", map[string]any{"tyk": map[string]any{"policies": "gold"}}, "gold", nil},
		{"policy claim as an array", map[string]any{"tyk": map[string]any{"policies": []any{"gold", "silver"}}}, "gold,silver", nil},
		{"scopes mapped in sorted scope order, each ID once", map[string]any{"scope": "orders:read admin"}, "admin,orders", nil},
		{"claim first, then scopes", map[string]any{"tyk.policies": "gold", "scope": []any{"orders:read"}}, "gold,orders", nil},
		{"unmapped scope: defaults", map[string]any{"scope": "profile"}, "basic", nil},
		{"policy claim of the wrong type", map[string]any{"tyk.policies": 7}, "", jwtauth.ErrInvalidClaim},
		{"empty policy ID", map[string]any{"tyk.policies": []any{""}}, "", jwtauth.ErrInvalidClaim},
		{"policy ID with a control character", map[string]any{"tyk.policies": "a\nb"}, "", jwtauth.ErrInvalidClaim},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.PoliciesFor(tc.claims)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want one wrapping %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("policies = %v, want %s", got, tc.want)
			}
		})
	}
}

func TestHeaderValue(t *testing.T) {
	cases := []struct {
		name   string
		value  any
		want   string
		wantOK bool
	}{
		{"string as it is", "alice@example.com", "alice@example.com", true},
		{"integer without a fraction", 42.0, "42", true},
		{"fraction", 2.5, "2.5", true},
		{"large number not in exponent form", 1e15, "1000000000000000", true},
		{"integer above 2^53 exactly", json.Number("9007199254740993"), "9007199254740993", true},
		{"decimal JSON number", json.Number("2.50"), "2.5", true},
		{"JSON number in exponent form", json.Number("1e-7"), "0.0000001", true},
		{"boolean", true, "true", true},
		{"array as JSON", []any{"a", "b"}, `["a","b"]`, true},
		{"object as JSON", map[string]any{"k": "v"}, `{"k":"v"}`, true},
		{"null is not forwarded", nil, "", false},
		{"line break is not forwarded", "a\nb", "", false},
		{"control character in an array is not forwarded", []any{"a\u0000"}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := jwtauth.HeaderValue(tc.value)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("HeaderValue(%v) = %q, %v; want %q, %v", tc.value, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestRemoveCredential(t *testing.T) {
	t.Run("header", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.Header.Set("X-Api-Token", "t")
		r.Header.Set("X-Other", "kept")
		jwtauth.RemoveCredential(r, jwtauth.TokenSource{Type: "header", Name: "X-Api-Token"})
		if r.Header.Get("X-Api-Token") != "" || r.Header.Get("X-Other") != "kept" {
			t.Errorf("headers = %v", r.Header)
		}
	})
	t.Run("query parameter", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/x?z=1&access%5Ftoken=t&a=%41;b&access_token=u", nil)
		jwtauth.RemoveCredential(r, jwtauth.TokenSource{Type: "query", Name: "access_token"})
		if r.URL.RawQuery != "z=1&a=%41;b" || r.RequestURI != "/x?z=1&a=%41;b" {
			t.Errorf("query = %q, RequestURI = %q", r.URL.RawQuery, r.RequestURI)
		}
	})
	t.Run("cookie", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.Header.Add("Cookie", `theme="dark"; session=t; lang=en`)
		r.Header.Add("Cookie", "session=u")
		jwtauth.RemoveCredential(r, jwtauth.TokenSource{Type: "cookie", Name: "session"})
		if got := r.Header.Values("Cookie"); len(got) != 1 || got[0] != `theme="dark"; lang=en` {
			t.Errorf("Cookie = %q", got)
		}
	})
}

func TestParseSessionSettings(t *testing.T) {
	base := `"issuer":"https://idp.example/","jwks_urls":["https://idp.example/keys"]`
	cases := []struct {
		name   string
		extra  string
		fields []string
	}{
		{"claim header that is a token source", `"claim_headers":{"Authorization":"email"}`, []string{"claim_headers"}},
		{"invalid header name", `"claim_headers":{"X User":"email"}`, []string{"claim_headers"}},
		{"claims header also a claim header", `"claim_headers":{"X-Claims":"email"},"claims_header":"x-claims"`, []string{"claim_headers"}},
		{"scope mapped to no policy", `"scope_policies":{"read":[]}`, []string{"scope_policies"}},
		{"empty default policy", `"default_policies":[""]`, []string{"default_policies"}},
		{"metadata without claim", `"metadata_claims":{"tenant":""}`, []string{"metadata_claims"}},
		{"blank scope claim", `"scope_claim":" "`, []string{"scope_claim"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jwtauth.ParseSettings([]byte("{" + base + "," + tc.extra + "}"))
			if !errors.Is(err, jwtauth.ErrInvalidSettings) {
				t.Fatalf("error = %v, want invalid settings", err)
			}
			for _, field := range tc.fields {
				if !strings.Contains(err.Error(), field+":") {
					t.Errorf("error %q does not name %s", err, field)
				}
			}
		})
	}

	s, err := jwtauth.ParseSettings([]byte("{" + base + `,"policy_claim":"pol","scope_policies":{"r":["p"]},"default_policies":["d"],"metadata_claims":{"m":"email"},"claim_headers":{"X-Email":"email"},"claims_header":"X-Claims","strip_credential":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.PolicyClaim != "pol" || s.ScopeClaim != "scope" || s.ScopePolicies["r"][0] != "p" || s.DefaultPolicies[0] != "d" ||
		s.MetadataClaims["m"] != "email" || s.ClaimHeaders["X-Email"] != "email" || s.ClaimsHeader != "X-Claims" || !s.StripCredential {
		t.Errorf("settings = %+v", s)
	}
}
