package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// keySet holds the issuer's signing keys, kept fresh by keyfunc's
// background refresh, and picks the key that may verify a given token.
type keySet struct {
	storage jwkset.Storage
}

// newKeySet fetches every JWKS URL once (a failed first fetch is reported
// through onFetchError, not returned, so that the API can start while the
// issuer is down) and starts one refresh goroutine per URL. The goroutines
// stop when ctx is cancelled.
func newKeySet(ctx context.Context, s Settings, onFetchError func(url string, err error)) (*keySet, error) {
	client := &http.Client{
		Transport: &limitedTransport{
			base:     http.DefaultTransport,
			maxBytes: s.MaxJWKSBytes,
		},
	}

	override := keyfunc.Override{
		Client:      client,
		HTTPTimeout: s.FetchTimeout,

		// jwkset waits this long for the unknown-kid rate limiter and uses
		// the same deadline for the fetch that follows, so a request with
		// an unknown kid is held for at most one fetch timeout.
		RateLimitWaitMax:  s.FetchTimeout,
		RefreshInterval:   s.RefreshInterval,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(s.UnknownKIDRefreshInterval), 1),
		RefreshErrorHandlerFunc: func(url string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				if onFetchError != nil {
					onFetchError(url, err)
				}
			}
		},
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, s.JWKSURLs, override)
	if err != nil {
		return nil, fmt.Errorf("create key set: %w", err)
	}
	return &keySet{storage: kf.Storage()}, nil
}

// keyFor returns a jwt.Keyfunc that finds the verification key of a token.
//
// A token with a kid gets the key with that kid; an unknown kid makes
// jwkset fetch the key sets again, at most once per
// UnknownKIDRefreshInterval. A token without a kid is tried against every
// key that fits its alg, as RFC 7515 allows when the issuer names no key.
//
// A key fits an alg when its use is "sig" or absent, its key_ops (if any)
// include "verify", its alg (if any) equals the token's, and its type and
// curve are the ones the alg needs. Symmetric keys never fit, because HMAC
// algorithms are never allowed.
func (k *keySet) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(token *jwt.Token) (any, error) {
		alg := token.Method.Alg()

		kidValue, hasKID := token.Header["kid"]
		if !hasKID {
			return k.keysForAlg(ctx, alg)
		}
		kid, ok := kidValue.(string)
		if !ok {
			return nil, fmt.Errorf("%w: kid header is not a string", ErrTokenMalformed)
		}

		jwk, err := k.storage.KeyRead(ctx, kid)
		if err != nil {
			return nil, k.missingKeyError(ctx, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid))
		}
		if key, ok := verificationKey(jwk, alg); ok {
			return key, nil
		}

		// Key IDs need not be unique in a set: another key with this kid
		// may fit the alg.
		all, _ := k.storage.KeyReadAll(ctx)
		for _, other := range all {
			if other.Marshal().KID != kid {
				continue
			}
			if key, ok := verificationKey(other, alg); ok {
				return key, nil
			}
		}
		return nil, fmt.Errorf("%w: kid %q cannot verify %s", ErrKeyMismatch, kid, alg)
	}
}

// keysForAlg returns every key that fits alg, for a token without a kid.
func (k *keySet) keysForAlg(ctx context.Context, alg string) (any, error) {
	all, err := k.storage.KeyReadAll(ctx)
	if err != nil || len(all) == 0 {
		return nil, ErrKeysUnavailable
	}

	var set jwt.VerificationKeySet
	for _, jwk := range all {
		if key, ok := verificationKey(jwk, alg); ok {
			set.Keys = append(set.Keys, key)
		}
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("%w: no key in the set fits %s and the token has no kid", ErrUnknownKey, alg)
	}
	return set, nil
}

// missingKeyError tells a kid that is not in a usable key set (the caller's
// problem) from a key set that could not be fetched at all (ours).
func (k *keySet) missingKeyError(ctx context.Context, unknown error) error {
	all, err := k.storage.KeyReadAll(ctx)
	if err != nil || len(all) == 0 {
		return ErrKeysUnavailable
	}
	return unknown
}

// hasKeys reports whether at least one key has been fetched.
func (k *keySet) hasKeys(ctx context.Context) bool {
	all, err := k.storage.KeyReadAll(ctx)
	return err == nil && len(all) > 0
}

// verificationKey returns the public key of jwk if it fits alg.
func verificationKey(jwk jwkset.JWK, alg string) (crypto.PublicKey, bool) {
	m := jwk.Marshal()
	if m.USE != "" && m.USE != jwkset.UseSig {
		return nil, false
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return nil, false
	}
	if m.ALG != "" && m.ALG.String() != alg {
		return nil, false
	}

	key := jwk.Key()
	if private, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = private.Public()
	}

	if !keyFitsAlg(key, alg) {
		return nil, false
	}
	return key, true
}

// keyFitsAlg checks the key type, and for ECDSA the curve, that alg needs
// (RFC 7518 section 3.1 and RFC 8037 section 3.1).
func keyFitsAlg(key crypto.PublicKey, alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES256":
		return ecdsaCurve(key) == elliptic.P256()
	case "ES384":
		return ecdsaCurve(key) == elliptic.P384()
	case "ES512":
		return ecdsaCurve(key) == elliptic.P521()
	case "EdDSA":
		_, ok := key.(ed25519.PublicKey)
		return ok
	}
	return false
}

func ecdsaCurve(key crypto.PublicKey) elliptic.Curve {
	if ec, ok := key.(*ecdsa.PublicKey); ok {
		return ec.Curve
	}
	return nil
}

// limitedTransport fails a key set fetch whose body is larger than
// maxBytes, so a broken or hostile issuer cannot make the gateway read an
// unbounded answer.
type limitedTransport struct {
	base     http.RoundTripper
	maxBytes int64
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.maxBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: Content-Length %d exceeds jwks_max_bytes %d", errTooLarge, resp.ContentLength, t.maxBytes)
	}
	resp.Body = &limitedBody{body: resp.Body, remaining: t.maxBytes}
	return resp, nil
}

var errTooLarge = errors.New("key set answer is too large")

// limitedBody returns errTooLarge once more than the limit has been read.
type limitedBody struct {
	body      io.ReadCloser
	remaining int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.remaining < 0 {
		return 0, errTooLarge
	}
	// Read one byte past the limit to tell "exactly at the limit" from "over".
	if int64(len(p)) > b.remaining+1 {
		p = p[:b.remaining+1]
	}
	n, err := b.body.Read(p)
	b.remaining -= int64(n)
	if b.remaining < 0 {
		return n, errTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error {
	return b.body.Close()
}
