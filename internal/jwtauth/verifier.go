package jwtauth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// Options change how a Verifier works without being per-API settings.
type Options struct {
	// Now returns the current time. It is meant for tests.
	//
	// Defaults to time.Now.
	Now func() time.Time

	// OnFetchError is called with the URL and error of every failed key set
	// or discovery fetch, from the refresh goroutines and from requests
	// that triggered a fetch. It must be safe for concurrent use.
	//
	// Defaults to doing nothing.
	OnFetchError func(url string, err error)

	// OnKeyIgnored is called for every key dropped from a key set (a
	// malformed or unsupported key, a symmetric key, a weak RSA key), with
	// the set's URL (or "inline keys"), the key's kid and the reason.
	//
	// Defaults to doing nothing.
	OnKeyIgnored func(source, kid, reason string)
}

// Identity is the verified caller of a request. The verifier may return
// the same Identity again for the same token, so it must not be modified.
type Identity struct {
	// Issuer is the token's iss claim.
	Issuer string

	// Subject is the value of the identity claim ("sub" by default).
	Subject string

	// ExpiresAt is the token's exp claim, or the zero time when the
	// settings allow tokens without exp and this one has none.
	ExpiresAt time.Time

	// KeyID is the token's kid header, or empty when it had none.
	KeyID string

	// Claims holds every claim of the token.
	Claims jwt.MapClaims

	// RawClaims is the token's payload segment as it was signed: the
	// claims as base64url-encoded JSON.
	RawClaims string
}

// Verifier checks tokens against one API's settings and its issuers'
// keys. It is safe for concurrent use.
type Verifier struct {
	settings Settings
	now      func() time.Time
	issuers  map[string]*trustedIssuer

	// cache is nil when TokenCacheEntries is 0.
	cache *tokenCache
}

// trustedIssuer pairs an issuer's keys with a parser that requires its iss.
type trustedIssuer struct {
	keys   *issuerKeys
	parser *jwt.Parser
}

// NewVerifier fetches the issuers' key sets once and starts refreshing
// them in the background until ctx is cancelled. A key set that cannot be
// fetched now does not make NewVerifier fail: its tokens are rejected with
// ErrKeysUnavailable until a fetch succeeds. Only unusable inline keys are
// an error.
//
// The settings are validated again, so that settings built in code get
// the same checks as those from ParseSettings.
func NewVerifier(ctx context.Context, s Settings, opts Options) (*Verifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	hooks := fetchHooks{onFetchError: opts.OnFetchError, onKeyIgnored: opts.OnKeyIgnored}

	v := &Verifier{settings: s, now: now, issuers: make(map[string]*trustedIssuer)}
	if s.TokenCacheEntries > 0 {
		v.cache = newTokenCache(s.TokenCacheEntries)
	}
	for _, source := range s.Issuers {
		keys, err := newIssuerKeys(ctx, source, s, hooks, now)
		if err != nil {
			return nil, err
		}
		v.issuers[source.Issuer] = &trustedIssuer{keys: keys, parser: newParser(s, source.Issuer, now)}
	}
	return v, nil
}

func newParser(s Settings, issuer string, now func() time.Time) *jwt.Parser {
	options := []jwt.ParserOption{
		jwt.WithValidMethods(s.Algorithms),
		jwt.WithIssuer(issuer),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.Leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(now),

		// Numbers stay json.Number, so that an integer claim above 2^53
		// reaches headers and meta_data exactly.
		jwt.WithJSONNumber(),
	}
	if s.RequireExp {
		options = append(options, jwt.WithExpirationRequired())
	}
	return jwt.NewParser(options...)
}

// HasKeys reports whether every issuer has at least one key.
func (v *Verifier) HasKeys(ctx context.Context) bool {
	for _, issuer := range v.issuers {
		if !issuer.keys.hasKeys(ctx) {
			return false
		}
	}
	return true
}

// Verify checks the token's signature and claims and returns the caller's
// identity. Every error wraps one of the sentinels in errors.go; the
// context bounds a key set fetch that an unknown kid triggers.
//
// Cheap checks run first: the token's size and shape, and its iss, which
// picks the only key set that may verify it. Keys are looked up only for
// a token of a trusted issuer.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	if len(token) > v.settings.MaxTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTokenTooLarge, len(token), v.settings.MaxTokenBytes)
	}

	// A token verified before needs no new signature check while its key
	// and time claims still hold (see tokenCache).
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = sha256.Sum256([]byte(token))
		if identity, ok := v.cache.lookup(ctx, sum, v.now(), v.settings.Leeway); ok {
			return identity, nil
		}
	}

	shape, err := inspect(token)
	if err != nil {
		return nil, err
	}
	if shape.issuer == "" {
		return nil, fmt.Errorf("%w: iss", ErrMissingClaim)
	}
	issuer, ok := v.issuers[shape.issuer]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrWrongIssuer, shape.issuer)
	}
	keys, err := issuer.keys.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: issuer %q: discovery has not succeeded yet", err, shape.issuer)
	}

	claims := jwt.MapClaims{}
	var usedKey crypto.PublicKey
	parsed, err := issuer.parser.ParseWithClaims(token, claims, keys.keyFor(ctx, &usedKey))
	if err != nil {
		err = v.classify(parsed, err)
		if errors.Is(err, ErrKeysUnavailable) {
			err = fmt.Errorf("%w: issuer %q: no key could be fetched from its key sets", err, shape.issuer)
		}
		return nil, err
	}
	identity, err := v.checkClaims(parsed, claims)
	if err != nil {
		return nil, err
	}
	identity.RawClaims = shape.payload

	if v.cache != nil && identity.KeyID != "" && usedKey != nil {
		entry := cachedToken{
			identity:  identity,
			keys:      issuer.keys,
			kid:       identity.KeyID,
			alg:       parsed.Method.Alg(),
			key:       usedKey,
			expiresAt: identity.ExpiresAt,
		}
		if nbf, err := claims.GetNotBefore(); err == nil && nbf != nil {
			entry.notBefore = nbf.Time
		}
		v.cache.store(sum, entry, v.now())
	}
	return identity, nil
}

// checkClaims applies the checks golang-jwt does not make, in the order a
// client would fix them: audience, lifetime, required claims, identity,
// then the authorization rules (403).
func (v *Verifier) checkClaims(token *jwt.Token, claims jwt.MapClaims) (*Identity, error) {
	if len(v.settings.Audiences) > 0 {
		aud, err := audiences(claims)
		if err != nil {
			return nil, err
		}
		if err := matchAudience(aud, v.settings.Audiences, v.settings.AudienceMatch); err != nil {
			return nil, err
		}
	}

	expiresAt, err := claims.GetExpirationTime()
	if err != nil {
		return nil, fmt.Errorf("%w: exp", ErrInvalidClaim)
	}
	if err := v.checkLifetime(claims, expiresAt); err != nil {
		return nil, err
	}

	for _, name := range v.settings.RequiredClaims {
		if value, ok := claimAt(claims, name); !ok || value == nil {
			return nil, fmt.Errorf("%w: %s", ErrMissingClaim, name)
		}
	}

	subject, err := v.identity(claims)
	if err != nil {
		return nil, err
	}

	for _, rule := range v.settings.ClaimRules {
		if err := rule.check(claims); err != nil {
			return nil, err
		}
	}

	issuer, _ := claims.GetIssuer()
	kid, _ := token.Header["kid"].(string)
	identity := &Identity{
		Issuer:  issuer,
		Subject: subject,
		KeyID:   kid,
		Claims:  claims,
	}
	if expiresAt != nil {
		identity.ExpiresAt = expiresAt.Time
	}
	return identity, nil
}

// checkLifetime enforces MaxTokenLifetime: exp may be at most that long
// after iat, which must then be present.
func (v *Verifier) checkLifetime(claims jwt.MapClaims, expiresAt *jwt.NumericDate) error {
	limit := v.settings.MaxTokenLifetime
	if limit == 0 {
		return nil
	}
	issuedAt, err := claims.GetIssuedAt()
	if err != nil {
		return fmt.Errorf("%w: iat", ErrInvalidClaim)
	}
	if issuedAt == nil {
		return fmt.Errorf("%w: iat is required to check max_token_lifetime", ErrMissingClaim)
	}
	if expiresAt == nil {
		return fmt.Errorf("%w: exp is required to check max_token_lifetime", ErrMissingClaim)
	}
	if lifetime := expiresAt.Sub(issuedAt.Time); lifetime > limit {
		return fmt.Errorf("%w: lifetime %s exceeds max_token_lifetime %s", ErrLifetimeTooLong, lifetime, limit)
	}
	return nil
}

// classify turns a golang-jwt error into one of this package's sentinels,
// keeping the original error for logs.
func (v *Verifier) classify(token *jwt.Token, err error) error {
	ours := []error{
		ErrKeysUnavailable, ErrUnknownKey, ErrKeyMismatch, ErrTokenMalformed,
	}
	for _, sentinel := range ours {
		if errors.Is(err, sentinel) {
			return err
		}
	}

	if errors.Is(err, jwt.ErrTokenMalformed) {
		return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}

	// An alg outside the allow-list (including "none" and HS*) fails in
	// golang-jwt as "signature invalid" or "unverifiable"; report it as
	// what it is. A header without a string alg is malformed.
	if token != nil {
		alg, ok := token.Header["alg"].(string)
		if !ok || alg == "" {
			return fmt.Errorf("%w: no alg in the header", ErrTokenMalformed)
		}
		if !slices.Contains(v.settings.Algorithms, alg) {
			return fmt.Errorf("%w: %q", ErrAlgorithmNotAllowed, alg)
		}
	}

	mapping := []struct {
		theirs error
		ours   error
	}{
		{jwt.ErrTokenSignatureInvalid, ErrSignatureInvalid},
		{jwt.ErrTokenExpired, ErrTokenExpired},
		{jwt.ErrTokenNotValidYet, ErrTokenNotYetValid},
		{jwt.ErrTokenUsedBeforeIssued, ErrTokenNotYetValid},
		{jwt.ErrTokenRequiredClaimMissing, ErrMissingClaim},
		{jwt.ErrTokenInvalidIssuer, ErrWrongIssuer},
		{jwt.ErrTokenInvalidClaims, ErrInvalidClaim},
		{jwt.ErrTokenUnverifiable, ErrTokenMalformed},
	}
	for _, m := range mapping {
		if errors.Is(err, m.theirs) {
			return fmt.Errorf("%w: %v", m.ours, err)
		}
	}
	return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
}

// identity returns the identity claim, which must be a non-empty string
// without control characters: it becomes a session alias and a log field.
func (v *Verifier) identity(claims jwt.MapClaims) (string, error) {
	name := v.settings.IdentityClaim
	value, ok := claimAt(claims, name)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrMissingClaim, name)
	}
	subject, ok := value.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s is not a string", ErrInvalidClaim, name)
	}
	if subject == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrMissingClaim, name)
	}
	// Format characters (such as U+202E, which reverses the text after
	// it) and line separators would let an identity read as another in
	// logs and headers.
	for _, r := range subject {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "", fmt.Errorf("%w: %s contains a control or format character", ErrInvalidClaim, name)
		}
	}
	return subject, nil
}
