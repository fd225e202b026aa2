package jwtauth

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// Token source types.
const (
	SourceHeader = "header"
	SourceQuery  = "query"
	SourceCookie = "cookie"
)

// TokenSource is one place of a request where a token may be.
type TokenSource struct {
	// Type is "header", "query" (a URL query parameter) or "cookie".
	Type string `json:"type"`

	// Name is the header, query parameter or cookie name.
	Name string `json:"name"`

	// Scheme, for a header, is the authentication scheme written before
	// the token, matched case-insensitively ("Bearer"). Empty means the
	// whole header value is the token. A header value with another scheme
	// (such as Basic) is not a credential for this plugin.
	Scheme string `json:"scheme"`
}

// DefaultTokenSources reads the token from "Authorization: Bearer <token>".
var DefaultTokenSources = []TokenSource{{Type: SourceHeader, Name: "Authorization", Scheme: "Bearer"}}

// DefaultMaxTokenBytes is the default token size limit.
const DefaultMaxTokenBytes = 8192

// ExtractToken returns the one token the request carries in sources.
//
// Every source is read, not only the first that has a value. A request
// with a credential in two places, or two values in one place (two
// Authorization headers, a repeated query parameter or cookie), is
// rejected with ErrAmbiguousCredentials: the plugin never guesses. A value longer than maxBytes (plus the scheme) is rejected
// with ErrTokenTooLarge before anything else looks at it.
//
// It returns the token and the source it came from.
func ExtractToken(r *http.Request, sources []TokenSource, maxBytes int) (string, TokenSource, error) {
	var found []string
	var from TokenSource
	for _, source := range sources {
		values := source.values(r)
		if len(values) > 1 {
			return "", TokenSource{}, fmt.Errorf("%w: %d values of %s %q", ErrAmbiguousCredentials, len(values), source.Type, source.Name)
		}
		if len(values) == 0 {
			continue
		}

		value := values[0]
		if len(value) > maxBytes+len(source.Scheme)+1 {
			return "", TokenSource{}, fmt.Errorf("%w: %s %q has %d bytes, the limit is %d", ErrTokenTooLarge, source.Type, source.Name, len(value), maxBytes)
		}
		token, ours, err := source.token(value)
		if err != nil {
			return "", TokenSource{}, err
		}
		if ours {
			found = append(found, token)
			from = source
		}
	}

	switch len(found) {
	case 0:
		return "", TokenSource{}, ErrNoToken
	case 1:
	default:
		return "", TokenSource{}, fmt.Errorf("%w: tokens in %d sources", ErrAmbiguousCredentials, len(found))
	}

	token := found[0]
	if len(token) > maxBytes {
		return "", TokenSource{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTokenTooLarge, len(token), maxBytes)
	}
	return token, from, nil
}

// RemoveCredential deletes the credential of source from the request, so
// that it does not reach the upstream: the header, the query parameter or
// the cookie. Only the credential's own name=value pairs are cut out of
// the raw query and Cookie headers; everything else stays byte for byte.
func RemoveCredential(r *http.Request, source TokenSource) {
	switch source.Type {
	case SourceHeader:
		r.Header.Del(source.Name)
	case SourceQuery:
		r.URL.RawQuery = withoutPairs(r.URL.RawQuery, "&", source.Name, unescapeQuery)
		r.RequestURI = r.URL.RequestURI()
	case SourceCookie:
		values := r.Header.Values("Cookie")
		r.Header.Del("Cookie")
		for _, value := range values {
			if kept := withoutPairs(value, ";", source.Name, strings.TrimSpace); kept != "" {
				r.Header.Add("Cookie", strings.TrimSpace(kept))
			}
		}
	}
}

// withoutPairs returns list, a sequence of name=value pairs joined by sep,
// without the pairs whose name (after normalize) is name.
func withoutPairs(list, sep, name string, normalize func(string) string) string {
	pairs := strings.Split(list, sep)
	kept := pairs[:0]
	for _, pair := range pairs {
		key, _, _ := strings.Cut(pair, "=")
		if normalize(key) != name {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, sep)
}

// unescapeQuery decodes a query parameter name, as url.ParseQuery does.
func unescapeQuery(key string) string {
	if decoded, err := url.QueryUnescape(key); err == nil {
		return decoded
	}
	return key
}

// values returns the raw values the request has for the source.
func (s TokenSource) values(r *http.Request) []string {
	switch s.Type {
	case SourceHeader:
		return r.Header.Values(s.Name)
	case SourceQuery:
		return r.URL.Query()[s.Name]
	case SourceCookie:
		var values []string
		for _, cookie := range r.Cookies() {
			if cookie.Name == s.Name {
				values = append(values, cookie.Value)
			}
		}
		return values
	}
	return nil
}

// token takes the token out of one raw value. ours is false for a header
// value with another scheme, which belongs to some other authentication.
func (s TokenSource) token(value string) (token string, ours bool, err error) {
	if s.Type == SourceHeader && s.Scheme != "" {
		scheme, rest, found := strings.Cut(value, " ")
		if !strings.EqualFold(scheme, s.Scheme) {
			return "", false, nil
		}
		if !found {
			rest = ""
		}
		value = rest
	}

	// RFC 6750 allows exactly one space after the scheme; extra spaces or
	// a second word mean the client built the credential wrongly.
	if value == "" {
		return "", false, fmt.Errorf("%w: empty token in %s %q", ErrTokenMalformed, s.Type, s.Name)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", false, fmt.Errorf("%w: token in %s %q contains whitespace or a control character", ErrTokenMalformed, s.Type, s.Name)
	}
	return value, true, nil
}

// BearerToken returns the token of "Authorization: Bearer <token>", with
// the default size limit. It is ExtractToken with the default source.
func BearerToken(header http.Header) (string, error) {
	r := &http.Request{Header: header}
	token, _, err := ExtractToken(r, DefaultTokenSources, DefaultMaxTokenBytes)
	return token, err
}
