package main

import (
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// forward prepares an authenticated request for the upstream: it removes
// every client-sent copy of the headers the plugin sets, sets them from
// the verified claims, and removes the credential when the settings ask.
func (a *apiState) forward(r *http.Request, identity *jwtauth.Identity, source jwtauth.TokenSource) {
	s := &a.settings
	removeClientCopies(r.Header, a.setHeaders)

	for header, claim := range s.ClaimHeaders {
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
		r.Header.Set(s.ClaimsHeader, identity.RawClaims)
	}

	if s.StripCredential {
		jwtauth.RemoveCredential(r, source)
	}
}

// removeClientCopies deletes every request header whose name matches one
// of names, ignoring case and taking "_" for "-". CGI, WSGI, PHP and Rack
// upstreams see X_User and X-User as the same variable, so a client must
// not slip a copy in under either spelling.
func removeClientCopies(header http.Header, names map[string]bool) {
	if len(names) == 0 {
		return
	}
	for name := range header {
		if names[headerVariable(name)] {
			delete(header, name)
		}
	}
}

// headerVariable is the name under which CGI-style servers see a header.
func headerVariable(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}
