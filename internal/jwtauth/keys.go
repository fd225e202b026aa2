package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"slices"
	"sync"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// keySet holds one issuer's signing keys and picks the key that may
// verify a given token. Remote sets are kept fresh by jwkset's background
// refresh, set up as keyfunc does it; inline sets never change.
type keySet struct {
	// stores hold the keys of each source. Reading them never fetches.
	stores []jwkset.Storage

	// refresher reads like all stores together, but fetches the remote
	// sets again for an unknown kid, at most once per
	// UnknownKIDRefreshInterval. It is nil for inline keys.
	refresher jwkset.Storage

	// inFlight is closed when the fetch for an unknown kid that is under
	// way ends; nil when none is.
	mu       sync.Mutex
	inFlight chan struct{}
}

// newRemoteKeySet fetches every JWKS URL once (a failed first fetch is
// reported through hooks.fetchError, not returned, so that the API can
// start while the issuer is down) and starts one refresh goroutine per
// URL. The goroutines stop when ctx is cancelled.
func newRemoteKeySet(ctx context.Context, urls []string, s Settings, hooks fetchHooks) (*keySet, error) {
	client := hooks.client(s.MaxJWKSBytes)
	keys := &keySet{}
	byURL := make(map[string]jwkset.Storage, len(urls))
	for _, u := range urls {
		store, err := jwkset.NewStorageFromHTTP(u, jwkset.HTTPClientStorageOptions{
			Client:                    client,
			Ctx:                       ctx,
			HTTPTimeout:               s.FetchTimeout,
			NoErrorReturnFirstHTTPReq: true,
			RefreshErrorHandler:       func(_ context.Context, err error) { hooks.fetchError(u, err) },
			RefreshInterval:           s.RefreshInterval,
		})
		if err != nil {
			return nil, fmt.Errorf("create key set for %s: %w", u, err)
		}
		byURL[u] = store
		keys.stores = append(keys.stores, store)
	}

	refresher, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: byURL,

		// jwkset waits this long for the unknown-kid rate limiter and uses
		// the same deadline for the fetch that follows, so a fetch for an
		// unknown kid takes at most one fetch timeout.
		RateLimitWaitMax:  s.FetchTimeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(s.UnknownKIDRefreshInterval), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("create key set: %w", err)
	}
	kf, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: refresher})
	if err != nil {
		return nil, fmt.Errorf("create key set: %w", err)
	}
	keys.refresher = kf.Storage()
	return keys, nil
}

// newInlineKeySet builds a key set from a JWKS given in the settings,
// dropping the keys that could never verify, like a fetched set.
func newInlineKeySet(raw []byte, hooks fetchHooks) (*keySet, error) {
	filtered, err := filterKeySet(raw, func(kid, reason string) {
		hooks.keyIgnored("inline keys", kid, reason)
	})
	if err != nil {
		return nil, err
	}
	kf, err := keyfunc.NewJWKSetJSON(filtered)
	if err != nil {
		return nil, fmt.Errorf("inline keys: %w", err)
	}
	return &keySet{stores: []jwkset.Storage{kf.Storage()}}, nil
}

// keyFor returns a jwt.Keyfunc that finds the verification key of a token.
//
// A token with a kid gets the key with that kid; an unknown kid makes the
// key set fetch its remote sets again (see fetchUnknown). A token without
// a kid is tried against every key that fits its alg, as RFC 7515 allows
// when the issuer names no key.
//
// A key fits an alg when its use is "sig" or absent, its key_ops (if any)
// include "verify", its alg (if any) equals the token's, and its type and
// curve are the ones the alg needs. Symmetric and weak RSA keys never get
// into the set (see filterKeySet).
//
// When the key is found by kid, keyFor also stores it in used, so that the
// caller knows which key verified the token.
func (k *keySet) keyFor(ctx context.Context, used *crypto.PublicKey) jwt.Keyfunc {
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

		jwk, found := k.lookup(ctx, kid)
		if !found {
			jwk, found = k.fetchUnknown(ctx, kid)
		}
		if !found {
			return nil, k.missingKeyError(ctx, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid))
		}
		if key, ok := verificationKey(jwk, alg); ok {
			*used = key
			return key, nil
		}

		// Key IDs need not be unique in a set: another key with this kid
		// may fit the alg.
		for _, other := range k.all(ctx) {
			if other.Marshal().KID != kid {
				continue
			}
			if key, ok := verificationKey(other, alg); ok {
				*used = key
				return key, nil
			}
		}
		return nil, fmt.Errorf("%w: kid %q cannot verify %s", ErrKeyMismatch, kid, alg)
	}
}

// lookup finds a key by kid in the keys held now, without fetching.
func (k *keySet) lookup(ctx context.Context, kid string) (jwkset.JWK, bool) {
	for _, store := range k.stores {
		if jwk, err := store.KeyRead(ctx, kid); err == nil {
			return jwk, true
		}
	}
	return jwkset.JWK{}, false
}

// all returns every key held now, without fetching.
func (k *keySet) all(ctx context.Context) []jwkset.JWK {
	var keys []jwkset.JWK
	for _, store := range k.stores {
		set, err := store.KeyReadAll(ctx)
		if err == nil {
			keys = append(keys, set...)
		}
	}
	return keys
}

// fetchUnknown fetches the remote sets again for a kid they did not hold,
// and returns its key if the new sets have it. Only one such fetch runs at
// a time. Requests that arrive meanwhile wait for it and then look again,
// so a rotation at the issuer costs one fetch. No request is rejected
// because another one used up the rate limit a moment earlier.
//
// The fetch does not end with the caller's request: a client that
// disconnects must not cancel it after it has used up the rate limit.
func (k *keySet) fetchUnknown(ctx context.Context, kid string) (jwkset.JWK, bool) {
	if k.refresher == nil {
		return jwkset.JWK{}, false
	}

	k.mu.Lock()
	if running := k.inFlight; running != nil {
		k.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return jwkset.JWK{}, false
		}
		return k.lookup(ctx, kid)
	}
	done := make(chan struct{})
	k.inFlight = done
	k.mu.Unlock()

	defer func() {
		k.mu.Lock()
		k.inFlight = nil
		k.mu.Unlock()
		close(done)
	}()
	jwk, err := k.refresher.KeyRead(context.WithoutCancel(ctx), kid)
	return jwk, err == nil
}

// keysForAlg returns every key that fits alg, for a token without a kid.
// While the set is empty (the issuer was down), such a token triggers the
// same rate-limited fetch as an unknown kid, so that tokens without kid
// recover as soon as tokens with one do.
func (k *keySet) keysForAlg(ctx context.Context, alg string) (any, error) {
	all := k.all(ctx)
	if len(all) == 0 {
		// No key has this empty kid: the read ends in a fetch.
		k.fetchUnknown(ctx, "")
		all = k.all(ctx)
	}
	if len(all) == 0 {
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

// missingKeyError distinguishes a kid that is not in a usable key set (the
// caller's problem) from a key set that could not be fetched at all (ours).
func (k *keySet) missingKeyError(ctx context.Context, unknown error) error {
	if !k.hasKeys(ctx) {
		return ErrKeysUnavailable
	}
	return unknown
}

// hasKeys reports whether the set holds at least one key.
func (k *keySet) hasKeys(ctx context.Context) bool {
	return len(k.all(ctx)) > 0
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
