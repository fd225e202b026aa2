package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/user"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// maxRememberedWrites bounds the memory used to remember which sessions
// were written: past it, entries of expired tokens are dropped, and if that
// is not enough the whole record is dropped, which costs one extra session
// write per active caller.
const maxRememberedWrites = 100_000

// sessionFactory builds the Tyk session of a verified caller.
//
// The session key is the API's org ID followed by 32 hex digits of
// HMAC-SHA256(gateway secret, issuer and subject): the same caller gets
// the same key with every new token, so rate limits and quotas follow the
// caller; nobody without the gateway's secret can compute a caller's key
// and present it as an API key elsewhere on the gateway.
type sessionFactory struct {
	apiID    string
	apiName  string
	orgID    string
	versions []string
	secret   []byte
	hashKeys bool
	now      func() time.Time

	mu sync.Mutex
	// written maps a session key to the exp of the token whose session
	// was last written to Redis.
	written map[string]int64
}

func newSessionFactory(def *apidef.APIDefinition, secret []byte, hashKeys bool) *sessionFactory {
	versions := sortedKeys(def.VersionData.Versions)
	if len(versions) == 0 {
		versions = []string{"Default"}
	}
	return &sessionFactory{
		apiID:    def.APIID,
		apiName:  def.Name,
		orgID:    def.OrgID,
		versions: versions,
		secret:   secret,
		hashKeys: hashKeys,
		now:      time.Now,
		written:  make(map[string]int64),
	}
}

// sessionFor returns a new session for the caller, and whether it differs
// from the one last written for this caller (then the gateway must store
// it). The session grants this API only, without limits of its own, and
// expires with the token.
func (f *sessionFactory) sessionFor(id *jwtauth.Identity) (*user.SessionState, bool) {
	key := f.sessionKey(id.Issuer, id.Subject)
	expires := id.ExpiresAt.Unix()

	lifetime := expires - f.now().Unix()
	if lifetime < 1 {
		lifetime = 1
	}

	session := &user.SessionState{
		KeyID:            key,
		OrgID:            f.orgID,
		Alias:            id.Subject,
		Expires:          expires,
		SessionLifetime:  lifetime,
		Rate:             -1,
		Per:              -1,
		QuotaMax:         -1,
		QuotaRemaining:   -1,
		QuotaRenewalRate: -1,
		AccessRights: map[string]user.AccessDefinition{
			f.apiID: {APIID: f.apiID, APIName: f.apiName, Versions: f.versions},
		},
		MetaData: map[string]any{
			"jwt_issuer":  id.Issuer,
			"jwt_subject": id.Subject,
		},
	}
	return session, f.markWritten(key, expires)
}

// sessionKey derives the caller's session key from issuer and subject.
func (f *sessionFactory) sessionKey(issuer, subject string) string {
	mac := hmac.New(sha256.New, f.secret)
	mac.Write([]byte("jwks-auth session\x00"))
	mac.Write([]byte(issuer))
	mac.Write([]byte{0})
	mac.Write([]byte(subject))
	return f.orgID + hex.EncodeToString(mac.Sum(nil)[:16])
}

// markWritten records that the session for key now carries expires, and
// reports whether that is a change.
func (f *sessionFactory) markWritten(key string, expires int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()

	if f.written[key] == expires {
		return false
	}
	if len(f.written) >= maxRememberedWrites {
		f.forgetExpired()
	}
	f.written[key] = expires
	return true
}

// forgetExpired drops entries whose tokens have expired, or all entries if
// too many are still live. The caller holds f.mu.
func (f *sessionFactory) forgetExpired() {
	now := f.now().Unix()
	for key, expires := range f.written {
		if expires < now {
			delete(f.written, key)
		}
	}
	if len(f.written) >= maxRememberedWrites {
		clear(f.written)
	}
}
