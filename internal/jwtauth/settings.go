package jwtauth

import (
	"slices"
	"time"
)

// SettingsKey is the config_data key under which an API definition holds
// this plugin's settings. Other keys of config_data belong to other
// middleware and are left alone.
const SettingsKey = "jwks_auth"

// Settings configure token verification for one API. ParseSettings reads
// them from config_data.jwks_auth of the API definition and fills in the
// defaults; the README lists the JSON keys.
type Settings struct {
	// Issuers are the trusted issuers, each with its own key source. At
	// least one is required.
	Issuers []IssuerSettings

	// Audiences are accepted values of the aud claim. When set, aud is
	// required.
	//
	// Defaults to none, and then aud is not checked.
	Audiences []string

	// AudienceMatch is "any" (aud must contain one of Audiences) or "all"
	// (aud must contain every one of them).
	//
	// Defaults to "any".
	AudienceMatch string

	// Algorithms is the allow-list of JWS alg values. HMAC (HS*) and "none"
	// are never accepted, because keys come from public key sets.
	//
	// Defaults to DefaultAlgorithms.
	Algorithms []string

	// IdentityClaim names the claim that identifies the caller, by the
	// same path rules as ClaimRule.Claim. Its value must be a non-empty
	// string without control characters.
	//
	// Defaults to "sub".
	IdentityClaim string

	// RequireExp rejects tokens without exp.
	//
	// Defaults to true.
	RequireExp bool

	// MaxTokenLifetime, when not zero, rejects tokens whose exp is more
	// than this after their iat; iat is then required.
	//
	// Defaults to 0: no limit.
	MaxTokenLifetime time.Duration

	// RequiredClaims must be present in every token (by ClaimRule.Claim
	// paths); a token without one is rejected with 401.
	//
	// Defaults to none.
	RequiredClaims []string

	// ClaimRules authorize valid tokens; a token that fails one is
	// rejected with 403 insufficient_scope.
	//
	// Defaults to none.
	ClaimRules []ClaimRule

	// TokenSources are the places a token may be, all of them read for
	// every request: a request with tokens in two is rejected.
	//
	// Defaults to DefaultTokenSources (Authorization: Bearer).
	TokenSources []TokenSource

	// MaxTokenBytes is the largest token accepted, checked before parsing.
	//
	// Defaults to DefaultMaxTokenBytes.
	MaxTokenBytes int

	// Leeway is the clock skew allowed when checking exp, nbf and iat.
	//
	// Defaults to 30s.
	Leeway time.Duration

	// RefreshInterval is how often each key set is fetched in the background.
	//
	// Defaults to 15m.
	RefreshInterval time.Duration

	// UnknownKIDRefreshInterval is the shortest time between two extra
	// fetches caused by tokens whose kid is not in the key set, and between
	// two retries of a failed discovery. The limit stops a flood of forged
	// kids from hammering the issuer.
	//
	// Defaults to 1m.
	UnknownKIDRefreshInterval time.Duration

	// FetchTimeout bounds each fetch of a key set or discovery document.
	//
	// Defaults to 5s.
	FetchTimeout time.Duration

	// MaxJWKSBytes is the largest key set or discovery response that is
	// read. A larger one fails the fetch, so the last good keys stay in use.
	//
	// Defaults to 1048576 (1 MiB).
	MaxJWKSBytes int64

	// Realm is the realm parameter of the WWW-Authenticate challenge.
	//
	// Defaults to none, and then the challenge has no realm.
	Realm string

	// TokenCacheEntries is how many verified tokens are remembered, so
	// that a repeated token skips its signature check; 0 turns the cache
	// off. See tokenCache for when an entry stops counting.
	//
	// Defaults to DefaultTokenCacheEntries.
	TokenCacheEntries int

	// PolicyClaim names the claim (a path) that lists Tyk policy IDs for
	// the caller's session, as a string or an array of strings.
	//
	// Defaults to none.
	PolicyClaim string

	// ScopeClaim names the claim (a path) that ScopePolicies reads: a
	// space-separated string or an array of strings.
	//
	// Defaults to "scope".
	ScopeClaim string

	// ScopePolicies maps a scope to the policy IDs a token with that scope
	// gets.
	//
	// Defaults to none.
	ScopePolicies map[string][]string

	// DefaultPolicies are the policy IDs of a session when neither
	// PolicyClaim nor ScopePolicies gives any.
	//
	// Defaults to none.
	DefaultPolicies []string

	// MetadataClaims copies claims into the session's meta_data: each key
	// is a meta_data name, each value a claim path.
	//
	// Defaults to none.
	MetadataClaims map[string]string

	// ClaimHeaders sets upstream request headers from claims: each key is
	// a header name, each value a claim path. Copies of these headers sent
	// by the client are always removed.
	//
	// Defaults to none.
	ClaimHeaders map[string]string

	// ClaimsHeader, when set, names a header that carries every verified
	// claim to the upstream as base64url-encoded JSON. A client's copy is
	// removed.
	//
	// Defaults to none.
	ClaimsHeader string

	// StripCredential removes the credential (header, query parameter or
	// cookie) before the request goes to the upstream.
	//
	// Defaults to false.
	StripCredential bool
}

// DefaultAlgorithms are the asymmetric JWS algorithms golang-jwt
// implements, all allowed unless the settings narrow them.
var DefaultAlgorithms = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// Defaults of the optional settings without a Default variable above.
const (
	DefaultIdentityClaim             = "sub"
	DefaultLeeway                    = 30 * time.Second
	DefaultRefreshInterval           = 15 * time.Minute
	DefaultUnknownKIDRefreshInterval = time.Minute
	DefaultFetchTimeout              = 5 * time.Second
	DefaultMaxJWKSBytes              = 1 << 20
)

// DefaultSettings returns settings with every default filled in and no
// issuer: add at least one to Issuers before use.
func DefaultSettings() Settings {
	return Settings{
		AudienceMatch:             AudienceMatchAny,
		Algorithms:                slices.Clone(DefaultAlgorithms),
		IdentityClaim:             DefaultIdentityClaim,
		RequireExp:                true,
		TokenSources:              slices.Clone(DefaultTokenSources),
		MaxTokenBytes:             DefaultMaxTokenBytes,
		Leeway:                    DefaultLeeway,
		RefreshInterval:           DefaultRefreshInterval,
		UnknownKIDRefreshInterval: DefaultUnknownKIDRefreshInterval,
		FetchTimeout:              DefaultFetchTimeout,
		MaxJWKSBytes:              DefaultMaxJWKSBytes,
		ScopeClaim:                "scope",
		TokenCacheEntries:         DefaultTokenCacheEntries,
	}
}

// Bounds on settings that would otherwise make the plugin unsafe or useless.
const (
	maxLeeway             = 5 * time.Minute
	minRefreshInterval    = time.Second
	minUnknownKIDInterval = time.Second
	maxFetchTimeout       = time.Minute
	minMaxTokenBytes      = 256
	maxMaxTokenBytes      = 1 << 20
	maxTokenCacheEntries  = 1000000
)
