package jwtauth_test

import (
	"errors"
	"net/http"
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
		{"no-break space in token", []string{"Bearer a\u00a0b"}, "", jwtauth.ErrTokenMalformed},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", jwtauth.ErrTokenMalformed},
		{"bearer and basic headers", []string{"Bearer a", "Basic b"}, "", jwtauth.ErrTokenMalformed},
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
