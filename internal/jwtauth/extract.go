package jwtauth

import (
	"fmt"
	"net/http"
	"strings"
)

// BearerToken returns the token of the request's Authorization header,
// written as "Bearer <token>" (RFC 6750 section 2.1). The scheme is
// matched case-insensitively, as RFC 9110 section 11.1 requires.
//
// A request without an Authorization header, or with another scheme such
// as Basic, has no bearer token: the error wraps ErrNoToken. A request with
// two Authorization headers, or a Bearer header whose token is empty or
// contains whitespace, gets an error wrapping ErrTokenMalformed.
func BearerToken(header http.Header) (string, error) {
	values := header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", fmt.Errorf("%w: %d Authorization headers", ErrTokenMalformed, len(values))
	}

	scheme, token, found := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken
	}

	// RFC 6750 allows exactly one space after the scheme; extra spaces or a
	// second word mean the client built the header wrongly.
	if !found || token == "" {
		return "", fmt.Errorf("%w: empty bearer token", ErrTokenMalformed)
	}
	if strings.ContainsAny(token, " \t") {
		return "", fmt.Errorf("%w: bearer token contains whitespace", ErrTokenMalformed)
	}
	return token, nil
}
