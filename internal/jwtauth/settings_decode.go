package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// DecodeSettings reads the settings from an API definition's config_data,
// fills in defaults and validates them. The returned error wraps
// ErrInvalidSettings and names every bad field.
func DecodeSettings(configData map[string]any) (Settings, error) {
	raw, ok := configData[SettingsKey]
	if !ok {
		return Settings{}, fmt.Errorf("%w: config_data has no %q object", ErrInvalidSettings, SettingsKey)
	}

	// config_data arrives as generic JSON values: encode it again and decode
	// it field by field into the typed settings.
	encoded, err := json.Marshal(raw)
	if err != nil {
		return Settings{}, fmt.Errorf("%w: %v", ErrInvalidSettings, err)
	}
	return ParseSettings(encoded)
}

// ParseSettings decodes the JSON object found under config_data.jwks_auth,
// fills in defaults and validates it. Every problem is reported, not only
// the first: unknown keys (a misspelt setting must not be silently
// ignored), values of the wrong JSON type, and invalid values.
func ParseSettings(data []byte) (Settings, error) {
	var in settingsJSON
	problems := decodeObject(data, &in, "")
	if len(problems) == 1 && problems[0].field == "" {
		return Settings{}, fmt.Errorf("%w: %s %s", ErrInvalidSettings, SettingsKey, problems[0].message)
	}

	s, more := in.settings()

	// A field that could not be decoded has already been reported; its
	// zero value would only add a second, misleading complaint.
	reported := make(map[string]bool, len(problems))
	for _, p := range problems {
		reported[p.field] = true
	}
	for _, p := range append(more, s.problems()...) {
		if !reported[p.field] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return Settings{}, joinProblems(problems)
	}
	return s, nil
}

// settingsJSON is the settings as written in config_data. Optional values
// are pointers, so that a left-out value gets its default while an
// explicit zero is kept and validated.
type settingsJSON struct {
	Issuer                    string              `json:"issuer"`
	JWKSURLs                  []string            `json:"jwks_urls"`
	Discovery                 bool                `json:"discovery"`
	Keys                      json.RawMessage     `json:"keys"`
	Issuers                   []json.RawMessage   `json:"issuers"`
	Audiences                 []string            `json:"audiences"`
	AudienceMatch             *string             `json:"audience_match"`
	Algorithms                []string            `json:"algorithms"`
	IdentityClaim             *string             `json:"identity_claim"`
	RequireExp                *bool               `json:"require_exp"`
	MaxTokenLifetime          *string             `json:"max_token_lifetime"`
	RequiredClaims            []string            `json:"required_claims"`
	ClaimRules                []json.RawMessage   `json:"claim_rules"`
	TokenSources              []json.RawMessage   `json:"token_sources"`
	MaxTokenBytes             *int                `json:"max_token_bytes"`
	Leeway                    *string             `json:"leeway"`
	RefreshInterval           *string             `json:"jwks_refresh_interval"`
	UnknownKIDRefreshInterval *string             `json:"jwks_unknown_kid_refresh_interval"`
	FetchTimeout              *string             `json:"jwks_fetch_timeout"`
	MaxJWKSBytes              *int64              `json:"jwks_max_bytes"`
	Realm                     string              `json:"realm"`
	PolicyClaim               string              `json:"policy_claim"`
	ScopeClaim                *string             `json:"scope_claim"`
	ScopePolicies             map[string][]string `json:"scope_policies"`
	DefaultPolicies           []string            `json:"default_policies"`
	MetadataClaims            map[string]string   `json:"metadata_claims"`
	ClaimHeaders              map[string]string   `json:"claim_headers"`
	ClaimsHeader              string              `json:"claims_header"`
	StripCredential           bool                `json:"strip_credential"`
	TokenCacheEntries         *int                `json:"token_cache_entries"`
}

// settings applies the defaults, parses durations and decodes the list
// entries. It returns the problems found on the way, each naming its
// field.
func (in settingsJSON) settings() (Settings, []problem) {
	s := DefaultSettings()
	s.Audiences = in.Audiences
	s.RequiredClaims = in.RequiredClaims
	s.Realm = in.Realm
	s.PolicyClaim = in.PolicyClaim
	s.ScopePolicies = in.ScopePolicies
	s.DefaultPolicies = in.DefaultPolicies
	s.MetadataClaims = in.MetadataClaims
	s.ClaimHeaders = in.ClaimHeaders
	s.ClaimsHeader = in.ClaimsHeader
	s.StripCredential = in.StripCredential
	if in.Algorithms != nil {
		s.Algorithms = in.Algorithms
	}
	setIf(&s.AudienceMatch, in.AudienceMatch)
	setIf(&s.IdentityClaim, in.IdentityClaim)
	setIf(&s.RequireExp, in.RequireExp)
	setIf(&s.MaxTokenBytes, in.MaxTokenBytes)
	setIf(&s.MaxJWKSBytes, in.MaxJWKSBytes)
	setIf(&s.ScopeClaim, in.ScopeClaim)
	setIf(&s.TokenCacheEntries, in.TokenCacheEntries)

	var problems []problem
	durations := []struct {
		field string
		text  *string
		into  *time.Duration
	}{
		{"max_token_lifetime", in.MaxTokenLifetime, &s.MaxTokenLifetime},
		{"leeway", in.Leeway, &s.Leeway},
		{"jwks_refresh_interval", in.RefreshInterval, &s.RefreshInterval},
		{"jwks_unknown_kid_refresh_interval", in.UnknownKIDRefreshInterval, &s.UnknownKIDRefreshInterval},
		{"jwks_fetch_timeout", in.FetchTimeout, &s.FetchTimeout},
	}
	for _, d := range durations {
		if d.text == nil {
			continue
		}
		parsed, err := time.ParseDuration(*d.text)
		if err != nil {
			problems = append(problems, problem{d.field, fmt.Sprintf("%q is not a duration such as \"30s\" or \"15m\"", *d.text)})
			continue
		}
		*d.into = parsed
	}

	// The single-issuer form (issuer with jwks_urls, discovery or keys)
	// and the issuers list are alternatives.
	single := in.Issuer != "" || len(in.JWKSURLs) > 0 || in.Discovery || in.Keys != nil
	if single && in.Issuers != nil {
		problems = append(problems, problem{"issuers", "use either issuers or issuer with its key source, not both"})
	}
	if single {
		s.Issuers = []IssuerSettings{{Issuer: in.Issuer, JWKSURLs: in.JWKSURLs, Discovery: in.Discovery, Keys: in.Keys}}
	}
	for i, raw := range in.Issuers {
		var issuer IssuerSettings
		problems = append(problems, decodeObject(raw, &issuer, fmt.Sprintf("issuers[%d].", i))...)
		issuer.fromList = true
		s.Issuers = append(s.Issuers, issuer)
	}

	for i, raw := range in.ClaimRules {
		var rule ClaimRule
		problems = append(problems, decodeObject(raw, &rule, fmt.Sprintf("claim_rules[%d].", i))...)
		s.ClaimRules = append(s.ClaimRules, rule)
	}

	if in.TokenSources != nil {
		s.TokenSources = nil
		for i, raw := range in.TokenSources {
			var source TokenSource
			problems = append(problems, decodeObject(raw, &source, fmt.Sprintf("token_sources[%d].", i))...)
			s.TokenSources = append(s.TokenSources, source)
		}
	}
	return s, problems
}

func setIf[T any](into *T, value *T) {
	if value != nil {
		*into = *value
	}
}

// decodeObject decodes a JSON object into the struct target field by
// field, so that one value of the wrong type does not hide the others, and
// names every unknown key. Field names in problems start with prefix. A
// value that is not an object gives one problem with an empty field.
func decodeObject(data []byte, target any, prefix string) []problem {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return []problem{{strings.TrimSuffix(prefix, "."), "must be a JSON object"}}
	}

	var problems []problem
	value := reflect.ValueOf(target).Elem()
	known := make(map[string]bool, value.NumField())
	for i := 0; i < value.NumField(); i++ {
		name, _, _ := strings.Cut(value.Type().Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		known[name] = true
		raw, ok := fields[name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, value.Field(i).Addr().Interface()); err != nil {
			problems = append(problems, problem{prefix + name, describeJSONError(err)})
		}
	}

	var unknown []string
	for name := range fields {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		problems = append(problems, problem{prefix + name, "unknown setting"})
	}
	return problems
}

// describeJSONError words a decoding error of one field's value.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("expected %s, got JSON %s", typeErr.Type, typeErr.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
