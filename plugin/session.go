package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/user"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// maxSessionLifetime caps how long a session is stored, in seconds. Tyk
// converts the lifetime to a time.Duration, which overflows after about
// 292 years and then stores the key with no expiry at all. A longer-lived
// token's session is written again when its caller comes back.
const maxSessionLifetime = 365 * 24 * 60 * 60

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
// caller. Without the gateway's secret no client can compute a caller's key
// and present it as an API key elsewhere on the gateway.
type sessionFactory struct {
	apiID    string
	apiName  string
	orgID    string
	versions []string
	secret   []byte
	hashKeys bool
	now      func() time.Time

	// metadataClaims maps meta_data names to claim paths.
	metadataClaims map[string]string

	mu sync.Mutex
	// written maps each session key to the expiry and content hash of the
	// session last handed to the gateway to store.
	written map[string]writtenSession
}

// writtenSession identifies a session as written: its expiry, and a hash
// of its policies and meta_data.
type writtenSession struct {
	expires int64
	content [sha256.Size]byte
}

func newSessionFactory(def *apidef.APIDefinition, secret []byte, hashKeys bool, metadataClaims map[string]string) *sessionFactory {
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
		written:  make(map[string]writtenSession),

		metadataClaims: metadataClaims,
	}
}

// sessionFor returns a new session for the caller, and whether it differs
// from the one last written for this caller (then the gateway must store
// it). The session grants this API only, without limits of its own,
// unless its policies grant more, and expires with the token.
func (f *sessionFactory) sessionFor(id *jwtauth.Identity, policies []string) (*user.SessionState, bool) {
	key := f.sessionKey(id.Issuer, id.Subject)

	// A token without exp (allowed by require_exp false) gives a session
	// that never expires, stored for the API's own session_lifetime.
	var expires, lifetime int64
	if !id.ExpiresAt.IsZero() {
		expires = id.ExpiresAt.Unix()
		lifetime = min(max(expires-f.now().Unix(), 1), maxSessionLifetime)
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
		MetaData: f.metadata(id),
	}
	if len(policies) > 0 {
		session.ApplyPolicies = policies
	}
	return session, f.markWritten(key, writtenSession{expires: expires, content: contentHash(policies, session.MetaData)})
}

// metadata returns the session's meta_data: the issuer, the subject, and
// the claims named by metadata_claims, encoded as for headers.
func (f *sessionFactory) metadata(id *jwtauth.Identity) map[string]any {
	metadata := map[string]any{
		"jwt_issuer":  id.Issuer,
		"jwt_subject": id.Subject,
	}
	for name, claim := range f.metadataClaims {
		value, ok := jwtauth.ClaimAt(id.Claims, claim)
		if !ok {
			continue
		}
		if text, ok := jwtauth.HeaderValue(value); ok {
			metadata[name] = text
		}
	}
	return metadata
}

// contentHash hashes the parts of a session that a new token may change
// besides its expiry. encoding/json sorts map keys, so equal content
// gives equal hashes.
func contentHash(policies []string, metadata map[string]any) [sha256.Size]byte {
	encoded, _ := json.Marshal(struct {
		Policies []string
		MetaData map[string]any
	}{policies, metadata})
	return sha256.Sum256(encoded)
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

// markWritten records the session written for key, and reports whether
// it differs from the previous one.
func (f *sessionFactory) markWritten(key string, session writtenSession) bool {
	f.mu.Lock()
	defer f.mu.Unlock()

	if previous, ok := f.written[key]; ok && previous == session {
		return false
	}
	if len(f.written) >= maxRememberedWrites {
		f.forgetExpired()
	}
	f.written[key] = session
	return true
}

// forgetExpired drops entries whose tokens have expired, or all entries if
// too many are still live. The caller holds f.mu.
func (f *sessionFactory) forgetExpired() {
	now := f.now().Unix()
	for key, session := range f.written {
		if session.expires < now {
			delete(f.written, key)
		}
	}
	if len(f.written) >= maxRememberedWrites {
		clear(f.written)
	}
}
