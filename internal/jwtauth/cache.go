package jwtauth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultTokenCacheEntries is the default size of the verified-token cache.
const DefaultTokenCacheEntries = 10000

// tokenCache remembers tokens that verified, so that a client sending the
// same token again costs a hash and a key lookup instead of a signature
// verification (45 to 90 µs, see docs/BENCHMARKS.md).
//
// An entry is used only while nothing that made the token valid has
// changed: its time claims are checked again against the clock, and the
// key that verified it must still be in the issuer's set, with the same
// key material. A key removed or replaced at the issuer therefore stops
// cached tokens as soon as the set is refreshed, as it stops new ones.
// Only tokens with a kid are cached, because for the others the parser
// does not tell which key verified them.
type tokenCache struct {
	max int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

// cachedToken is a verified token and what its validity depends on.
type cachedToken struct {
	identity  *Identity
	keys      *issuerKeys
	kid       string
	alg       string
	key       crypto.PublicKey
	notBefore time.Time // zero when the token has no nbf
	expiresAt time.Time // zero when the token has no exp
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, entries: make(map[[sha256.Size]byte]cachedToken)}
}

// lookup returns the identity of a cached token that is still valid at
// now. A stale entry is dropped, and the caller verifies the token in
// full, which gives the right error.
func (c *tokenCache) lookup(ctx context.Context, sum [sha256.Size]byte, now time.Time, leeway time.Duration) (*Identity, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	entry, ok := c.entries[sum]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}

	valid := (entry.notBefore.IsZero() || !now.Before(entry.notBefore.Add(-leeway))) &&
		(entry.expiresAt.IsZero() || !now.After(entry.expiresAt.Add(leeway))) &&
		entry.keyStillTrusted(ctx)
	if !valid {
		c.mu.Lock()
		delete(c.entries, sum)
		c.mu.Unlock()
		return nil, false
	}
	return entry.identity, true
}

// keyStillTrusted reports whether the issuer's current set still holds the
// key that verified the token. It never fetches: a token whose key has
// gone is verified in full, which fetches as for any unknown kid.
func (e cachedToken) keyStillTrusted(ctx context.Context) bool {
	keys := e.keys.keys.Load()
	if keys == nil {
		return false
	}
	jwk, found := keys.lookup(ctx, e.kid)
	if !found {
		return false
	}
	current, ok := verificationKey(jwk, e.alg)
	if !ok {
		return false
	}
	equal, ok := current.(interface{ Equal(crypto.PublicKey) bool })
	return ok && equal.Equal(e.key)
}

// store remembers a verified token. When the cache is full, entries of
// expired tokens go first, and if that frees nothing the cache starts
// over: a full cache costs one verification per token, never memory.
func (c *tokenCache) store(sum [sha256.Size]byte, entry cachedToken, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	if len(c.entries) >= c.max {
		for key, e := range c.entries {
			if !e.expiresAt.IsZero() && now.After(e.expiresAt) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[sum] = entry
}
