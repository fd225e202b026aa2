package jwtauth

import (
	"fmt"
	"slices"
	"strings"
)

// Audience matching modes.
const (
	AudienceMatchAny = "any"
	AudienceMatchAll = "all"
)

// ClaimRule requires values in a claim, for authorization: a token that
// fails a rule is valid but not allowed (403 insufficient_scope).
type ClaimRule struct {
	// Claim names the claim, as a path: "scope", or "realm_access.roles"
	// for a member of a nested object. A claim whose own name contains dots
	// (such as "https://example.com/roles") is found by its whole name
	// first.
	Claim string `json:"claim"`

	// ContainsAny passes when the claim has at least one of these values.
	ContainsAny []string `json:"contains_any"`

	// ContainsAll passes when the claim has every one of these values.
	ContainsAll []string `json:"contains_all"`
}

// check applies the rule. A claim that is a string is split at spaces, as
// OAuth 2.0 writes scope (RFC 8693 section 4.2); an array must hold
// strings. A missing claim fails the rule.
func (r ClaimRule) check(claims map[string]any) error {
	value, ok := claimAt(claims, r.Claim)
	if !ok {
		return fmt.Errorf("%w: no %s claim", ErrInsufficientScope, r.Claim)
	}
	values, ok := stringValues(value)
	if !ok {
		return fmt.Errorf("%w: %s is neither a string nor an array of strings", ErrInsufficientScope, r.Claim)
	}

	for _, want := range r.ContainsAll {
		if !slices.Contains(values, want) {
			return fmt.Errorf("%w: %s lacks %q", ErrInsufficientScope, r.Claim, want)
		}
	}
	if len(r.ContainsAny) > 0 && !slices.ContainsFunc(r.ContainsAny, func(want string) bool {
		return slices.Contains(values, want)
	}) {
		return fmt.Errorf("%w: %s has none of %q", ErrInsufficientScope, r.Claim, r.ContainsAny)
	}
	return nil
}

// ClaimAt finds a claim by its whole name, or else by a dotted path into
// nested objects, as the settings' claim paths do.
func ClaimAt(claims map[string]any, path string) (any, bool) {
	return claimAt(claims, path)
}

// claimAt is ClaimAt.
func claimAt(claims map[string]any, path string) (any, bool) {
	if value, ok := claims[path]; ok {
		return value, true
	}
	var current any = claims
	for _, name := range strings.Split(path, ".") {
		object, ok := current.(map[string]any)
		if !ok {
			return nil, false
		}
		current, ok = object[name]
		if !ok {
			return nil, false
		}
	}
	return current, true
}

// stringValues reads a space-separated string or an array of strings.
func stringValues(value any) ([]string, bool) {
	switch v := value.(type) {
	case string:
		return strings.Fields(v), true
	case []any:
		values := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, false
			}
			values = append(values, s)
		}
		return values, true
	}
	return nil, false
}

// audiences reads the aud claim, a string or an array of strings
// (RFC 7519 section 4.1.3).
func audiences(claims map[string]any) ([]string, error) {
	value, ok := claims["aud"]
	if !ok {
		return nil, fmt.Errorf("%w: aud", ErrMissingClaim)
	}
	switch v := value.(type) {
	case string:
		return []string{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, fmt.Errorf("%w: aud is an empty array", ErrMissingClaim)
		}
		list := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("%w: aud contains a value that is not a string", ErrInvalidClaim)
			}
			list = append(list, s)
		}
		return list, nil
	}
	return nil, fmt.Errorf("%w: aud is neither a string nor an array of strings", ErrInvalidClaim)
}

// matchAudience checks aud against the configured audiences: with "any",
// one of them must be in aud; with "all", every one of them must be.
func matchAudience(aud, configured []string, mode string) error {
	if mode == AudienceMatchAll {
		for _, want := range configured {
			if !slices.Contains(aud, want) {
				return fmt.Errorf("%w: %q lacks %q", ErrWrongAudience, aud, want)
			}
		}
		return nil
	}
	for _, got := range aud {
		if slices.Contains(configured, got) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrWrongAudience, aud)
}
