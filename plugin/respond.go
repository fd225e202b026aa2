package main

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// challenge writes error responses: an RFC 6750 WWW-Authenticate challenge
// for 401 and for every response with an RFC 6750 error code (400
// invalid_request, 403 insufficient_scope), and a JSON body in the
// gateway's own error format, {"error": "..."}, for every status.
type challenge struct {
	// scheme is `Bearer` or `Bearer realm="..."`, built once per API.
	scheme string
}

func newChallenge(realm string) challenge {
	if realm == "" {
		return challenge{scheme: "Bearer"}
	}
	// Settings validation has rejected realms with quotes or backslashes.
	return challenge{scheme: `Bearer realm="` + realm + `"`}
}

func (c challenge) write(w http.ResponseWriter, response jwtauth.ErrorResponse) {
	header := w.Header()
	if response.ErrorCode != "" || response.Status == http.StatusUnauthorized {
		header.Set("WWW-Authenticate", c.header(response))
	}
	header.Set("Content-Type", "application/json")
	header.Set("Cache-Control", "no-store")
	w.WriteHeader(response.Status)

	body, _ := json.Marshal(map[string]string{"error": response.Description})
	_, _ = w.Write(body)
}

// header builds the challenge, with the error parameters only when the
// request carried a credential (RFC 6750 section 3.1).
func (c challenge) header(response jwtauth.ErrorResponse) string {
	scheme := c.scheme
	if scheme == "" {
		scheme = "Bearer"
	}
	if response.ErrorCode == "" {
		return scheme
	}

	var b strings.Builder
	b.WriteString(scheme)
	if strings.Contains(scheme, " ") {
		b.WriteString(",")
	}
	b.WriteString(` error="`)
	b.WriteString(response.ErrorCode)
	b.WriteString(`", error_description="`)
	b.WriteString(response.Description)
	b.WriteString(`"`)
	return b.String()
}
