package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// forward prepares an authenticated request for the upstream: it removes
// every client-sent copy of the headers the plugin sets, sets them from
// the verified claims, and removes the credential when the settings ask.
func (a *apiState) forward(r *http.Request, identity *jwtauth.Identity, source jwtauth.TokenSource) {
	s := &a.settings

	for header, claim := range s.ClaimHeaders {
		r.Header.Del(header)
		value, ok := jwtauth.ClaimAt(identity.Claims, claim)
		if !ok {
			continue
		}
		text, ok := jwtauth.HeaderValue(value)
		if !ok {
			a.logger.WithFields(logrus.Fields{"header": header, "claim": claim}).
				Debug("claim not forwarded: null, or has control characters")
			continue
		}
		r.Header.Set(header, text)
	}

	if s.ClaimsHeader != "" {
		r.Header.Del(s.ClaimsHeader)
		encoded, err := json.Marshal(identity.Claims)
		if err == nil {
			r.Header.Set(s.ClaimsHeader, base64.RawURLEncoding.EncodeToString(encoded))
		}
	}

	if s.StripCredential {
		jwtauth.RemoveCredential(r, source)
	}
}
