package jwtauth

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// IssuerSettings is one trusted issuer and the source of its keys:
// exactly one of JWKSURLs, Discovery and Keys is set. Keys of one issuer
// never verify a token that names another.
type IssuerSettings struct {
	// Issuer is the exact value of the iss claim.
	Issuer string `json:"issuer"`

	// JWKSURLs are http or https URLs of the issuer's key sets.
	JWKSURLs []string `json:"jwks_urls,omitempty"`

	// Discovery finds the key set through OpenID Connect discovery: the
	// jwks_uri of {issuer}/.well-known/openid-configuration, whose own
	// issuer member must equal Issuer.
	Discovery bool `json:"discovery,omitempty"`

	// Keys is a JSON Web Key Set given inline, {"keys": [...]}. It is
	// never refreshed.
	Keys json.RawMessage `json:"keys,omitempty"`

	// fromList records that the entry came from the issuers list, so that
	// problems are reported as issuers[i].field.
	fromList bool
}

// issuerKeys is the key source of one trusted issuer. A source found
// through discovery may not be known yet: discovery is then tried again,
// at most once per UnknownKIDRefreshInterval, by the requests that need it.
type issuerKeys struct {
	source   IssuerSettings
	settings Settings
	hooks    fetchHooks
	now      func() time.Time

	// refreshCtx ends the refresh goroutines of the key sets.
	refreshCtx context.Context

	keys atomic.Pointer[keySet]

	mu          sync.Mutex
	nextAttempt time.Time
}

func newIssuerKeys(ctx context.Context, source IssuerSettings, s Settings, hooks fetchHooks, now func() time.Time) (*issuerKeys, error) {
	ik := &issuerKeys{source: source, settings: s, hooks: hooks, now: now, refreshCtx: ctx}
	switch {
	case len(source.JWKSURLs) > 0:
		keys, err := newRemoteKeySet(ctx, source.JWKSURLs, s, hooks)
		if err != nil {
			return nil, err
		}
		ik.keys.Store(keys)
	case source.Keys != nil:
		keys, err := newInlineKeySet(source.Keys, hooks)
		if err != nil {
			return nil, err
		}
		ik.keys.Store(keys)
	case source.Discovery:
		ik.mu.Lock()
		ik.discover(ctx)
		ik.mu.Unlock()
	}
	return ik, nil
}

// current returns the issuer's key set, or ErrKeysUnavailable while
// discovery has not succeeded. Only one request at a time retries it;
// the others get ErrKeysUnavailable at once.
func (ik *issuerKeys) current(ctx context.Context) (*keySet, error) {
	if keys := ik.keys.Load(); keys != nil {
		return keys, nil
	}
	if !ik.mu.TryLock() {
		return nil, ErrKeysUnavailable
	}
	defer ik.mu.Unlock()

	if keys := ik.keys.Load(); keys != nil {
		return keys, nil
	}
	if ik.now().Before(ik.nextAttempt) {
		return nil, ErrKeysUnavailable
	}

	// A client that disconnects must not cancel the retry and push the
	// next one back by a whole interval.
	ik.discover(context.WithoutCancel(ctx))
	if keys := ik.keys.Load(); keys != nil {
		return keys, nil
	}
	return nil, ErrKeysUnavailable
}

// discover finds the jwks_uri and creates the key set. The caller holds
// ik.mu. A failure is reported and sets the time of the next attempt.
func (ik *issuerKeys) discover(ctx context.Context) {
	fetchCtx, cancel := context.WithTimeout(ctx, ik.settings.FetchTimeout)
	defer cancel()

	docURL := strings.TrimSuffix(ik.source.Issuer, "/") + "/.well-known/openid-configuration"
	client := &http.Client{Timeout: ik.settings.FetchTimeout, CheckRedirect: sameOriginRedirects}
	jwksURL, err := discoverJWKSURL(fetchCtx, client, ik.source.Issuer, ik.settings.MaxJWKSBytes)
	if err != nil {
		ik.hooks.fetchError(docURL, err)
		ik.nextAttempt = ik.now().Add(ik.settings.UnknownKIDRefreshInterval)
		return
	}

	// The key set outlives this request: its refresh stops with the API.
	keys, err := newRemoteKeySet(ik.refreshCtx, []string{jwksURL}, ik.settings, ik.hooks)
	if err != nil {
		ik.hooks.fetchError(jwksURL, err)
		ik.nextAttempt = ik.now().Add(ik.settings.UnknownKIDRefreshInterval)
		return
	}
	ik.keys.Store(keys)
}

// hasKeys reports whether the issuer's key set holds at least one key.
func (ik *issuerKeys) hasKeys(ctx context.Context) bool {
	keys := ik.keys.Load()
	return keys != nil && keys.hasKeys(ctx)
}
