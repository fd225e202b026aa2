package jwtauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func TestBearerToken(t *testing.T) {
	const jws = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"
	tests := []struct {
		name    string
		values  []string
		want    string
		wantErr error
	}{
		{"missing header", nil, "", jwtauth.ErrNoToken},
		{"empty header", []string{""}, "", jwtauth.ErrNoToken},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, "", jwtauth.ErrNoToken},
		{"scheme with bearer prefix", []string{"Bearerx abc"}, "", jwtauth.ErrNoToken},
		{"token without scheme", []string{jws}, "", jwtauth.ErrNoToken},
		{"tab after scheme", []string{"Bearer\tabc"}, "", jwtauth.ErrNoToken},
		{"bearer alone", []string{"Bearer"}, "", jwtauth.ErrTokenMalformed},
		{"bearer with empty token", []string{"Bearer "}, "", jwtauth.ErrTokenMalformed},
		{"typical token", []string{"Bearer " + jws}, jws, nil},
		{"lowercase scheme", []string{"bearer abc"}, "abc", nil},
		{"uppercase scheme", []string{"BEARER abc"}, "abc", nil},
		{"mixed case scheme", []string{"BeArEr abc"}, "abc", nil},
		{"token with padding", []string{"Bearer abc=="}, "abc==", nil},
		{"two words", []string{"Bearer a b"}, "", jwtauth.ErrTokenMalformed},
		{"double space", []string{"Bearer  abc"}, "", jwtauth.ErrTokenMalformed},
		{"trailing space", []string{"Bearer abc "}, "", jwtauth.ErrTokenMalformed},
		{"tab in token", []string{"Bearer a\tb"}, "", jwtauth.ErrTokenMalformed},
		{"line feed in token", []string{"Bearer a\nb"}, "", jwtauth.ErrTokenMalformed},
		{"form feed as token", []string{"Bearer \f"}, "", jwtauth.ErrTokenMalformed},
		{"no-break space in token", []string{"Bearer a\u00a0b"}, "", jwtauth.ErrTokenMalformed},
		{"NUL in token", []string{"Bearer a\x00b"}, "", jwtauth.ErrTokenMalformed},
		{"two bearer headers", []string{"Bearer a", "Bearer b"}, "", jwtauth.ErrAmbiguousCredentials},
		{"bearer and basic headers", []string{"Bearer a", "Basic b"}, "", jwtauth.ErrAmbiguousCredentials},
		{"token over size limit", []string{"Bearer " + strings.Repeat("a", jwtauth.DefaultMaxTokenBytes+1)}, "", jwtauth.ErrTokenTooLarge},
		{"token at size limit", []string{"Bearer " + strings.Repeat("a", jwtauth.DefaultMaxTokenBytes)}, strings.Repeat("a", jwtauth.DefaultMaxTokenBytes), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			for _, value := range tt.values {
				header.Add("Authorization", value)
			}

			token, err := jwtauth.BearerToken(header)

			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want one wrapping %q", err, tt.wantErr)
				}
				if token != "" {
					t.Errorf("token = %q together with an error, want empty", token)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if token != tt.want {
				t.Errorf("token = %q, want %q", token, tt.want)
			}
		})
	}
}

func TestExtractToken(t *testing.T) {
	bearer := jwtauth.TokenSource{Type: jwtauth.SourceHeader, Name: "Authorization", Scheme: "Bearer"}
	rawHeader := jwtauth.TokenSource{Type: jwtauth.SourceHeader, Name: "X-Api-Token"}
	query := jwtauth.TokenSource{Type: jwtauth.SourceQuery, Name: "access_token"}
	cookie := jwtauth.TokenSource{Type: jwtauth.SourceCookie, Name: "session"}
	all := []jwtauth.TokenSource{bearer, rawHeader, query, cookie}

	tests := []struct {
		name    string
		target  string
		headers map[string][]string
		sources []jwtauth.TokenSource
		want    string
		wantErr error
	}{
		{"bearer header", "/", map[string][]string{"Authorization": {"Bearer abc"}}, all, "abc", nil},
		{"raw header", "/", map[string][]string{"X-Api-Token": {"abc"}}, all, "abc", nil},
		{"query parameter", "/?access_token=abc", nil, all, "abc", nil},
		{"escaped query parameter", "/?access_token=a%2Eb%2Ec", nil, all, "a.b.c", nil},
		{"cookie", "/", map[string][]string{"Cookie": {"other=1; session=abc"}}, all, "abc", nil},
		{"no source has a token", "/?other=abc", map[string][]string{"Cookie": {"other=abc"}}, all, "", jwtauth.ErrNoToken},
		{"basic header ignored beside query", "/?access_token=abc", map[string][]string{"Authorization": {"Basic dXNlcjpwYXNz"}}, all, "abc", nil},
		{"header and query", "/?access_token=abc", map[string][]string{"Authorization": {"Bearer abc"}}, all, "", jwtauth.ErrAmbiguousCredentials},
		{"header and cookie", "/", map[string][]string{"X-Api-Token": {"abc"}, "Cookie": {"session=abc"}}, all, "", jwtauth.ErrAmbiguousCredentials},
		{"repeated query parameter", "/?access_token=a&access_token=b", nil, all, "", jwtauth.ErrAmbiguousCredentials},
		{"repeated cookie", "/", map[string][]string{"Cookie": {"session=a; session=b"}}, all, "", jwtauth.ErrAmbiguousCredentials},
		{"repeated raw header", "/", map[string][]string{"X-Api-Token": {"a", "b"}}, all, "", jwtauth.ErrAmbiguousCredentials},
		{"query source not read when not listed", "/?access_token=abc", nil, []jwtauth.TokenSource{bearer}, "", jwtauth.ErrNoToken},
		{"empty query parameter", "/?access_token=", nil, all, "", jwtauth.ErrTokenMalformed},
		{"query token with space", "/?access_token=a%20b", nil, all, "", jwtauth.ErrTokenMalformed},
		{"raw header with scheme", "/", map[string][]string{"X-Api-Token": {"Bearer abc"}}, all, "", jwtauth.ErrTokenMalformed},
		{"custom scheme", "/", map[string][]string{"Authorization": {"JWT abc"}}, []jwtauth.TokenSource{{Type: "header", Name: "Authorization", Scheme: "JWT"}}, "abc", nil},
		{"oversized query parameter", "/?access_token=" + strings.Repeat("a", 300), nil, all, "", jwtauth.ErrTokenTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://gateway.example"+tt.target, nil)
			for name, values := range tt.headers {
				for _, value := range values {
					r.Header.Add(name, value)
				}
			}

			token, _, err := jwtauth.ExtractToken(r, tt.sources, 256)

			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want one wrapping %q", err, tt.wantErr)
				}
				if token != "" {
					t.Errorf("token = %q together with an error, want empty", token)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if token != tt.want {
				t.Errorf("token = %q, want %q", token, tt.want)
			}
		})
	}
}
