package jwtauth

import (
	"context"
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
	// fetch, from the refresh goroutines and from requests that triggered
	// an unknown-kid refresh. It must be safe for concurrent use.
	//
	// Defaults to doing nothing.
	OnFetchError func(url string, err error)
}

// Identity is the verified caller of a request.
type Identity struct {
	// Issuer is the token's iss claim.
	Issuer string

	// Subject is the value of the identity claim ("sub" by default).
	Subject string

	// ExpiresAt is the token's exp claim.
	ExpiresAt time.Time

	// KeyID is the token's kid header, or empty when it had none.
	KeyID string

	// Claims holds every claim of the token.
	Claims jwt.MapClaims
}

// Verifier checks tokens against one API's settings and its issuer's keys.
// It is safe for concurrent use.
type Verifier struct {
	settings Settings
	keys     *keySet
	parser   *jwt.Parser
}

// NewVerifier fetches the issuer's key sets once and starts refreshing them
// in the background until ctx is cancelled. A key set that cannot be
// fetched now does not make NewVerifier fail: tokens are answered with
// ErrKeysUnavailable until a fetch succeeds.
//
// The settings must have come from ParseSettings, or have passed Validate.
func NewVerifier(ctx context.Context, s Settings, opts Options) (*Verifier, error) {
	keys, err := newKeySet(ctx, s, opts.OnFetchError)
	if err != nil {
		return nil, err
	}

	parserOptions := []jwt.ParserOption{
		jwt.WithValidMethods(s.Algorithms),
		jwt.WithIssuer(s.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.Leeway),
		jwt.WithStrictDecoding(),
	}
	if opts.Now != nil {
		parserOptions = append(parserOptions, jwt.WithTimeFunc(opts.Now))
	}

	v := &Verifier{
		settings: s,
		keys:     keys,
		parser:   jwt.NewParser(parserOptions...),
	}
	return v, nil
}

// HasKeys reports whether at least one key has been fetched from the issuer.
func (v *Verifier) HasKeys(ctx context.Context) bool {
	return v.keys.hasKeys(ctx)
}

// Verify checks the token's signature and claims and returns the caller's
// identity. Every error wraps one of the sentinels in errors.go; the context
// bounds an unknown-kid refresh of the key set.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	claims := jwt.MapClaims{}
	parsed, err := v.parser.ParseWithClaims(token, claims, v.keys.keyFor(ctx))
	if err != nil {
		return nil, v.classify(parsed, err)
	}

	// aud may be a string or an array (RFC 7519 section 4.1.3).
	if len(v.settings.Audiences) > 0 {
		if err := v.checkAudience(claims); err != nil {
			return nil, err
		}
	}

	subject, err := v.identity(claims)
	if err != nil {
		return nil, err
	}

	// The parser has already required exp and checked that it is a number.
	expiresAt, _ := claims.GetExpirationTime()
	issuer, _ := claims.GetIssuer()
	kid, _ := parsed.Header["kid"].(string)

	identity := &Identity{
		Issuer:    issuer,
		Subject:   subject,
		ExpiresAt: expiresAt.Time,
		KeyID:     kid,
		Claims:    claims,
	}
	return identity, nil
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
	// what it is.
	if token != nil {
		alg, _ := token.Header["alg"].(string)
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

// checkAudience requires aud to contain at least one configured audience.
func (v *Verifier) checkAudience(claims jwt.MapClaims) error {
	audiences, err := claims.GetAudience()
	if err != nil {
		return fmt.Errorf("%w: aud is neither a string nor an array of strings", ErrInvalidClaim)
	}
	if len(audiences) == 0 {
		return fmt.Errorf("%w: aud", ErrMissingClaim)
	}
	for _, audience := range audiences {
		if slices.Contains(v.settings.Audiences, audience) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrWrongAudience, []string(audiences))
}

// identity returns the identity claim, which must be a non-empty string
// without control characters: it becomes a session alias and a log field.
func (v *Verifier) identity(claims jwt.MapClaims) (string, error) {
	name := v.settings.IdentityClaim
	value, ok := claims[name]
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
	for _, r := range subject {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("%w: %s contains a control character", ErrInvalidClaim, name)
		}
	}
	return subject, nil
}
