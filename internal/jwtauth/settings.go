package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// SettingsKey is the config_data key under which an API definition holds
// this plugin's settings. Other keys of config_data belong to other
// middleware and are left alone.
const SettingsKey = "jwks_auth"

// Settings configure token verification for one API. They are decoded from
// config_data.jwks_auth of the API definition; durations are written as Go
// duration strings such as "30s" or "15m".
type Settings struct {
	// Issuer is the exact value the iss claim must have. Required.
	Issuer string `json:"issuer"`

	// JWKSURLs are the http or https URLs of the issuer's JSON Web Key Sets.
	// Keys from all of them are trusted for Issuer. At least one is required.
	JWKSURLs []string `json:"jwks_urls"`

	// Audiences are accepted values of the aud claim: a token is accepted
	// when its aud (a string or an array) contains at least one of them.
	//
	// Defaults to none, and then aud is not checked.
	Audiences []string `json:"audiences"`

	// Algorithms is the allow-list of JWS alg values. HMAC (HS*) and "none"
	// are not accepted, because keys come from a public key set.
	//
	// Defaults to RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512 and EdDSA.
	Algorithms []string `json:"algorithms"`

	// IdentityClaim names the claim that identifies the caller. Its value
	// must be a non-empty string; it becomes the session's alias and keys
	// the session, so rate limits and quotas follow it.
	//
	// Defaults to "sub".
	IdentityClaim string `json:"identity_claim"`

	// Leeway is the clock skew allowed when checking exp, nbf and iat.
	//
	// Defaults to 30s.
	Leeway time.Duration

	// RefreshInterval is how often each key set is fetched in the background.
	//
	// Defaults to 15m.
	RefreshInterval time.Duration

	// UnknownKIDRefreshInterval is the shortest time between two extra
	// fetches caused by tokens whose kid is not in the key set. The limit
	// stops a flood of forged kids from hammering the issuer.
	//
	// Defaults to 1m.
	UnknownKIDRefreshInterval time.Duration

	// FetchTimeout bounds each fetch of a key set.
	//
	// Defaults to 5s.
	FetchTimeout time.Duration

	// MaxJWKSBytes is the largest key set answer that is read; a larger one
	// fails the fetch and the last good keys stay in use.
	//
	// Defaults to 1048576 (1 MiB).
	MaxJWKSBytes int64 `json:"jwks_max_bytes"`

	// Realm is the realm parameter of the WWW-Authenticate challenge.
	//
	// Defaults to none, and then the challenge has no realm.
	Realm string `json:"realm"`
}

// Defaults of the optional settings.
var (
	DefaultAlgorithms = []string{
		"RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512",
		"EdDSA",
	}
)

const (
	DefaultIdentityClaim             = "sub"
	DefaultLeeway                    = 30 * time.Second
	DefaultRefreshInterval           = 15 * time.Minute
	DefaultUnknownKIDRefreshInterval = time.Minute
	DefaultFetchTimeout              = 5 * time.Second
	DefaultMaxJWKSBytes              = 1 << 20
)

// Bounds on settings that would otherwise make the plugin unsafe or useless.
const (
	maxLeeway             = 5 * time.Minute
	minRefreshInterval    = time.Second
	minUnknownKIDInterval = time.Second
	maxFetchTimeout       = time.Minute
)

// DecodeSettings reads the settings from an API definition's config_data,
// fills in defaults and validates them. Unknown keys under jwks_auth are an
// error, so a misspelt setting cannot be silently ignored. The returned
// error wraps ErrInvalidSettings and names every bad field.
func DecodeSettings(configData map[string]any) (Settings, error) {
	raw, ok := configData[SettingsKey]
	if !ok {
		return Settings{}, fmt.Errorf("%w: config_data has no %q object", ErrInvalidSettings, SettingsKey)
	}

	// config_data arrives as generic JSON values: encode it again and decode
	// into the typed struct, which also rejects unknown fields.
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
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return Settings{}, fmt.Errorf("%w: %s must be a JSON object", ErrInvalidSettings, SettingsKey)
	}

	in, problems := decodeFields(fields)
	s, durationProblems := in.settings()
	problems = append(problems, durationProblems...)

	// A field that could not be decoded has already been reported; its
	// zero value would only add a second, misleading complaint.
	reported := make(map[string]bool, len(problems))
	for _, p := range problems {
		reported[p.field] = true
	}
	for _, p := range s.problems() {
		if !reported[p.field] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return Settings{}, joinProblems(problems)
	}
	return s, nil
}

// problem is one invalid setting: field is its key under jwks_auth.
type problem struct {
	field   string
	message string
}

func joinProblems(problems []problem) error {
	texts := make([]string, len(problems))
	for i, p := range problems {
		texts[i] = p.field + ": " + p.message
	}
	return fmt.Errorf("%w: %s", ErrInvalidSettings, strings.Join(texts, "; "))
}

// decodeFields decodes each known field on its own, so that one value of
// the wrong type does not hide the others, and names every unknown key.
func decodeFields(fields map[string]json.RawMessage) (settingsJSON, []problem) {
	var in settingsJSON
	var problems []problem

	target := reflect.ValueOf(&in).Elem()
	known := make(map[string]bool, target.NumField())
	for i := 0; i < target.NumField(); i++ {
		name := target.Type().Field(i).Tag.Get("json")
		known[name] = true
		raw, ok := fields[name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, target.Field(i).Addr().Interface()); err != nil {
			problems = append(problems, problem{name, describeJSONError(err)})
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
		problems = append(problems, problem{name, "unknown setting"})
	}
	return in, problems
}

// settingsJSON mirrors Settings as it is written in config_data: optional
// values are pointers, so that a left-out value gets its default while an
// explicit zero is kept and validated.
type settingsJSON struct {
	Issuer                    string   `json:"issuer"`
	JWKSURLs                  []string `json:"jwks_urls"`
	Audiences                 []string `json:"audiences"`
	Algorithms                []string `json:"algorithms"`
	IdentityClaim             *string  `json:"identity_claim"`
	Leeway                    *string  `json:"leeway"`
	RefreshInterval           *string  `json:"jwks_refresh_interval"`
	UnknownKIDRefreshInterval *string  `json:"jwks_unknown_kid_refresh_interval"`
	FetchTimeout              *string  `json:"jwks_fetch_timeout"`
	MaxJWKSBytes              *int64   `json:"jwks_max_bytes"`
	Realm                     string   `json:"realm"`
}

// settings applies the defaults and parses the durations. It returns the
// problems of values that could not be parsed, each naming its field.
func (in settingsJSON) settings() (Settings, []problem) {
	s := Settings{
		Issuer:                    in.Issuer,
		JWKSURLs:                  in.JWKSURLs,
		Audiences:                 in.Audiences,
		Algorithms:                in.Algorithms,
		IdentityClaim:             DefaultIdentityClaim,
		Leeway:                    DefaultLeeway,
		RefreshInterval:           DefaultRefreshInterval,
		UnknownKIDRefreshInterval: DefaultUnknownKIDRefreshInterval,
		FetchTimeout:              DefaultFetchTimeout,
		MaxJWKSBytes:              DefaultMaxJWKSBytes,
		Realm:                     in.Realm,
	}
	if s.Algorithms == nil {
		s.Algorithms = slices.Clone(DefaultAlgorithms)
	}
	if in.IdentityClaim != nil {
		s.IdentityClaim = *in.IdentityClaim
	}
	if in.MaxJWKSBytes != nil {
		s.MaxJWKSBytes = *in.MaxJWKSBytes
	}

	var problems []problem
	durations := []struct {
		field string
		text  *string
		into  *time.Duration
	}{
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
	return s, problems
}

// Validate checks every field and reports all problems at once, each
// prefixed with its field name. The error wraps ErrInvalidSettings.
func (s *Settings) Validate() error {
	if problems := s.problems(); len(problems) > 0 {
		return joinProblems(problems)
	}
	return nil
}

// problems lists every invalid value. An entry of a list is reported under
// the list's key, with its index in the message.
func (s *Settings) problems() []problem {
	var problems []problem
	add := func(field, format string, args ...any) {
		problems = append(problems, problem{field, fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(s.Issuer) == "" {
		add("issuer", "missing: set it to the exact iss value of the identity provider's tokens")
	}

	if len(s.JWKSURLs) == 0 {
		add("jwks_urls", "missing: list at least one URL of the issuer's JWKS")
	}
	for i, raw := range s.JWKSURLs {
		if err := checkJWKSURL(raw); err != nil {
			add("jwks_urls", "[%d] %v", i, err)
		}
	}

	for i, audience := range s.Audiences {
		if audience == "" {
			add("audiences", "[%d] is an empty string", i)
		}
	}

	if len(s.Algorithms) == 0 {
		add("algorithms", "empty: leave it out to get the default asymmetric algorithms")
	}
	for i, alg := range s.Algorithms {
		if err := checkAlgorithm(alg); err != nil {
			add("algorithms", "[%d] %v", i, err)
		}
	}

	if strings.TrimSpace(s.IdentityClaim) == "" {
		add("identity_claim", "blank: leave it out to use \"sub\"")
	}

	if d := s.Leeway; d < 0 || d > maxLeeway {
		add("leeway", "%s is outside 0s to %s", d, maxLeeway)
	}
	if d := s.RefreshInterval; d < minRefreshInterval {
		add("jwks_refresh_interval", "%s is shorter than %s", d, minRefreshInterval)
	}
	if d := s.UnknownKIDRefreshInterval; d < minUnknownKIDInterval {
		add("jwks_unknown_kid_refresh_interval", "%s is shorter than %s", d, minUnknownKIDInterval)
	}
	if d := s.FetchTimeout; d <= 0 || d > maxFetchTimeout {
		add("jwks_fetch_timeout", "%s is outside 1ns to %s", d, maxFetchTimeout)
	}
	if s.MaxJWKSBytes <= 0 {
		add("jwks_max_bytes", "%d is not a positive number of bytes", s.MaxJWKSBytes)
	}
	if strings.ContainsAny(s.Realm, "\"\\\r\n") {
		add("realm", "contains a quote, backslash or line break")
	}

	return problems
}

// checkJWKSURL accepts only absolute http and https URLs with a host.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%q is not an http or https URL", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

// checkAlgorithm accepts the asymmetric JWS algorithms that golang-jwt
// implements. HMAC is refused with its own reason: a key set is public, so
// a symmetric key in it would let anyone sign tokens.
func checkAlgorithm(alg string) error {
	switch {
	case strings.HasPrefix(alg, "HS"):
		return fmt.Errorf("%q is not allowed: HMAC keys cannot come from a public key set", alg)
	case strings.EqualFold(alg, "none"):
		return fmt.Errorf("%q is not allowed: unsigned tokens are never accepted", alg)
	case !slices.Contains(DefaultAlgorithms, alg):
		return fmt.Errorf("%q is not supported: use one of %s", alg, strings.Join(DefaultAlgorithms, ", "))
	}
	return nil
}

// describeJSONError words a decoding error of one field's value.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("expected %s, got JSON %s", typeErr.Type, typeErr.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
