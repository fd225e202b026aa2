package jwtauth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// PoliciesFor returns the Tyk policy IDs for a verified token: those named
// by PolicyClaim, then those ScopePolicies maps the token's scopes to, in
// the order of the sorted scope names. DefaultPolicies apply only when
// these give none. Each ID appears once.
//
// A PolicyClaim value that is neither a string nor an array of strings,
// or an ID that is empty or has control characters, is ErrInvalidClaim.
func (s *Settings) PoliciesFor(claims map[string]any) ([]string, error) {
	var policies []string
	add := func(id string) {
		if !slices.Contains(policies, id) {
			policies = append(policies, id)
		}
	}

	if s.PolicyClaim != "" {
		if value, ok := claimAt(claims, s.PolicyClaim); ok {
			ids, ok := stringList(value)
			if !ok {
				return nil, fmt.Errorf("%w: %s is neither a string nor an array of strings", ErrInvalidClaim, s.PolicyClaim)
			}
			for _, id := range ids {
				if id == "" || strings.ContainsFunc(id, unicode.IsControl) {
					return nil, fmt.Errorf("%w: %s contains an empty policy ID or one with control characters", ErrInvalidClaim, s.PolicyClaim)
				}
				add(id)
			}
		}
	}

	if len(s.ScopePolicies) > 0 {
		value, _ := claimAt(claims, s.ScopeClaim)
		scopes, _ := stringValues(value)
		mapped := make([]string, 0, len(s.ScopePolicies))
		for scope := range s.ScopePolicies {
			if slices.Contains(scopes, scope) {
				mapped = append(mapped, scope)
			}
		}
		sort.Strings(mapped)
		for _, scope := range mapped {
			for _, id := range s.ScopePolicies[scope] {
				add(id)
			}
		}
	}

	if len(policies) == 0 {
		for _, id := range s.DefaultPolicies {
			add(id)
		}
	}
	return policies, nil
}

// stringList reads a policy claim: one ID as a string, or an array of
// strings. Unlike scope, a string is not split at spaces.
func stringList(value any) ([]string, bool) {
	if s, ok := value.(string); ok {
		return []string{s}, true
	}
	return stringValues(value)
}

// HeaderValue encodes a claim value for an upstream header: a string as
// it is, an integer exactly, another number in its shortest decimal form,
// a boolean as true or false, and an array or object as compact JSON. ok is false for a value
// that must not be forwarded: null, or one with control characters (a
// header cannot carry them safely).
func HeaderValue(value any) (text string, ok bool) {
	switch v := value.(type) {
	case nil:
		return "", false
	case string:
		text = v
	case float64:
		text = strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		text = numberText(v)
	case bool:
		text = strconv.FormatBool(v)
	default:
		// JSON would escape control characters, but the value is refused
		// all the same, like a string with them.
		if hasControl(v) {
			return "", false
		}
		encoded, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		text = string(encoded)
	}
	if strings.ContainsFunc(text, unicode.IsControl) {
		return "", false
	}
	return text, true
}

// numberText writes an integer exactly as the token has it, at any size,
// and any other number in its shortest decimal form without exponent.
func numberText(n json.Number) string {
	text := n.String()
	if !strings.ContainsAny(text, ".eE") {
		return text
	}
	f, err := n.Float64()
	if err != nil {
		return text
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// hasControl reports whether a string anywhere in a JSON value, as a
// member name or a value, has a control character.
func hasControl(value any) bool {
	switch v := value.(type) {
	case string:
		return strings.ContainsFunc(v, unicode.IsControl)
	case []any:
		return slices.ContainsFunc(v, hasControl)
	case map[string]any:
		for name, item := range v {
			if hasControl(name) || hasControl(item) {
				return true
			}
		}
	}
	return false
}

// checkHeaderName reports whether name is a valid HTTP field name (RFC
// 9110 section 5.1: a token).
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("empty header name")
	}
	for _, r := range name {
		if r > unicode.MaxASCII || !strings.ContainsRune("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", r) {
			return fmt.Errorf("%q is not a valid header name", name)
		}
	}
	return nil
}

// canonicalHeader returns the canonical form of a header name.
func canonicalHeader(name string) string {
	return http.CanonicalHeaderKey(name)
}
