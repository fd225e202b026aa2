package jwtauth

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Validate checks every field and reports all problems at once, each
// prefixed with its field name. The error wraps ErrInvalidSettings.
func (s *Settings) Validate() error {
	if problems := s.problems(); len(problems) > 0 {
		return joinProblems(problems)
	}
	return nil
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

// problems lists every invalid value. An entry of a list is reported under
// the list's key, with its index in the message.
func (s *Settings) problems() []problem {
	var problems []problem
	add := func(field, format string, args ...any) {
		problems = append(problems, problem{field, fmt.Sprintf(format, args...)})
	}

	if len(s.Issuers) == 0 {
		add("issuer", "missing: set issuer with jwks_urls, discovery or keys, or list issuers")
	}
	seen := make(map[string]bool)
	for i, issuer := range s.Issuers {
		field := "issuer"
		if len(s.Issuers) > 1 || issuer.fromList {
			field = fmt.Sprintf("issuers[%d]", i)
		}
		for _, p := range issuer.problems() {
			add(issuerField(field, p.field), "%s", p.message)
		}
		if seen[issuer.Issuer] && issuer.Issuer != "" {
			add(field, "%q is listed twice", issuer.Issuer)
		}
		seen[issuer.Issuer] = true
	}

	for i, audience := range s.Audiences {
		if audience == "" {
			add("audiences", "[%d] is an empty string", i)
		}
	}
	switch s.AudienceMatch {
	case AudienceMatchAny:
	case AudienceMatchAll:
		if len(s.Audiences) == 0 {
			add("audience_match", `"all" needs audiences`)
		}
	default:
		add("audience_match", "%q is neither \"any\" nor \"all\"", s.AudienceMatch)
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
	if s.MaxTokenLifetime < 0 {
		add("max_token_lifetime", "%s is negative", s.MaxTokenLifetime)
	}
	for i, claim := range s.RequiredClaims {
		if strings.TrimSpace(claim) == "" {
			add("required_claims", "[%d] is blank", i)
		}
	}
	for i, rule := range s.ClaimRules {
		if strings.TrimSpace(rule.Claim) == "" {
			add("claim_rules", "[%d] has no claim", i)
		}
		if len(rule.ContainsAny) == 0 && len(rule.ContainsAll) == 0 {
			add("claim_rules", "[%d] needs contains_any or contains_all", i)
		}
	}

	problems = append(problems, tokenSourceProblems(s.TokenSources)...)
	if s.MaxTokenBytes < minMaxTokenBytes || s.MaxTokenBytes > maxMaxTokenBytes {
		add("max_token_bytes", "%d is outside %d to %d", s.MaxTokenBytes, minMaxTokenBytes, maxMaxTokenBytes)
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
	if s.TokenCacheEntries < 0 || s.TokenCacheEntries > maxTokenCacheEntries {
		add("token_cache_entries", "%d is outside 0 to %d", s.TokenCacheEntries, maxTokenCacheEntries)
	}
	if s.MaxJWKSBytes <= 0 {
		add("jwks_max_bytes", "%d is not a positive number of bytes", s.MaxJWKSBytes)
	}
	if strings.ContainsAny(s.Realm, "\"\\\r\n") {
		add("realm", "contains a quote, backslash or line break")
	}
	problems = append(problems, s.sessionProblems()...)
	return problems
}

// sessionProblems checks the session and upstream settings.
func (s *Settings) sessionProblems() []problem {
	var problems []problem
	add := func(field, format string, args ...any) {
		problems = append(problems, problem{field, fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(s.ScopeClaim) == "" {
		add("scope_claim", "blank: leave it out to use \"scope\"")
	}
	for scope, ids := range s.ScopePolicies {
		if scope == "" || len(ids) == 0 || slices.Contains(ids, "") {
			add("scope_policies", "%q needs a non-empty list of policy IDs", scope)
		}
	}
	if slices.Contains(s.DefaultPolicies, "") {
		add("default_policies", "contains an empty policy ID")
	}
	for name, claim := range s.MetadataClaims {
		if name == "" || strings.TrimSpace(claim) == "" {
			add("metadata_claims", "%q: both the meta_data name and the claim are required", name)
		}
	}

	// A claim header must not overwrite a credential the plugin reads.
	credentialHeaders := make(map[string]bool)
	for _, source := range s.TokenSources {
		if source.Type == SourceHeader {
			credentialHeaders[canonicalHeader(source.Name)] = true
		}
	}
	for header, claim := range s.ClaimHeaders {
		if err := checkHeaderName(header); err != nil {
			add("claim_headers", "%v", err)
		} else if credentialHeaders[canonicalHeader(header)] {
			add("claim_headers", "%q is a token source", header)
		}
		if strings.TrimSpace(claim) == "" {
			add("claim_headers", "%q has no claim", header)
		}
		if s.ClaimsHeader != "" && canonicalHeader(header) == canonicalHeader(s.ClaimsHeader) {
			add("claim_headers", "%q is also claims_header", header)
		}
	}
	if s.ClaimsHeader != "" {
		if err := checkHeaderName(s.ClaimsHeader); err != nil {
			add("claims_header", "%v", err)
		} else if credentialHeaders[canonicalHeader(s.ClaimsHeader)] {
			add("claims_header", "%q is a token source", s.ClaimsHeader)
		}
	}
	return problems
}

// issuerField names a field of an issuer entry: "jwks_urls" for the
// single-issuer form, "issuers[1].jwks_urls" in a list.
func issuerField(entry, field string) string {
	if entry == "issuer" {
		return field
	}
	return entry + "." + field
}

// problems checks one issuer entry.
func (is IssuerSettings) problems() []problem {
	var problems []problem
	add := func(field, format string, args ...any) {
		problems = append(problems, problem{field, fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(is.Issuer) == "" {
		add("issuer", "missing: set it to the exact iss value of the identity provider's tokens")
	}

	sources := 0
	if len(is.JWKSURLs) > 0 {
		sources++
	}
	if is.Discovery {
		sources++
	}
	if is.Keys != nil {
		sources++
	}
	if sources != 1 {
		add("jwks_urls", "set exactly one key source: jwks_urls, discovery or keys")
	}

	for i, raw := range is.JWKSURLs {
		if err := checkHTTPURL(raw); err != nil {
			add("jwks_urls", "[%d] %v", i, err)
		}
	}
	if is.Discovery {
		if err := checkHTTPURL(is.Issuer); err != nil {
			add("discovery", "needs an issuer that is a URL: %v", err)
		}
	}
	if is.Keys != nil {
		var reasons []string
		filtered, err := filterKeySet(is.Keys, func(kid, reason string) {
			reasons = append(reasons, fmt.Sprintf("kid %q: %s", kid, reason))
		})
		switch {
		case err != nil:
			add("keys", "%v", err)
		case string(filtered) == `{"keys":[]}`:
			add("keys", "no usable key (%s)", strings.Join(reasons, "; "))
		}
	}
	return problems
}

// tokenSourceProblems checks the token sources.
func tokenSourceProblems(sources []TokenSource) []problem {
	var problems []problem
	if len(sources) == 0 {
		problems = append(problems, problem{"token_sources", "empty: leave it out to read Authorization: Bearer"})
	}
	seen := make(map[TokenSource]bool)
	for i, source := range sources {
		bad := func(format string, args ...any) {
			problems = append(problems, problem{"token_sources", fmt.Sprintf("[%d] ", i) + fmt.Sprintf(format, args...)})
		}
		switch source.Type {
		case SourceHeader, SourceQuery, SourceCookie:
		default:
			bad("type %q is not header, query or cookie", source.Type)
		}
		if strings.TrimSpace(source.Name) == "" {
			bad("has no name")
		}
		if source.Scheme != "" && source.Type != SourceHeader {
			bad("scheme is only for headers")
		}
		if strings.ContainsAny(source.Scheme, " \t") {
			bad("scheme %q contains whitespace", source.Scheme)
		}
		key := source
		key.Name = strings.ToLower(key.Name)
		if seen[key] {
			bad("repeats another source")
		}
		seen[key] = true
	}
	return problems
}

// checkHTTPURL accepts only absolute http and https URLs with a host.
func checkHTTPURL(raw string) error {
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
// implements. HMAC is rejected with its own reason: a key set is public, so
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
