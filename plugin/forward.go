package main

import (
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

	// The payload segment is the verified claims as base64url JSON
	// already, byte for byte as the issuer signed them.
	if s.ClaimsHeader != "" {
		r.Header.Del(s.ClaimsHeader)
		r.Header.Set(s.ClaimsHeader, identity.RawClaims)
	}

	if s.StripCredential {
		jwtauth.RemoveCredential(r, source)
	}
}
