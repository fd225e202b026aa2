package jwtauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// testNow is the clock of every verifier in these tests, so that token
// times are fixed and no test waits for time to pass.
var testNow = time.Date(2025, time.June, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// testClock is a clock that the test moves forward by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: testNow} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// signer is a private key with the kid and JWS algorithm that tokens
// signed by it carry.
type signer struct {
	kid     string
	method  jwt.SigningMethod
	private crypto.Signer
}

// withKID returns a copy of s whose tokens carry kid, so a token can name
// another key than the one that signed it. An empty kid leaves the kid
// header out.
func (s signer) withKID(kid string) signer {
	s.kid = kid
	return s
}

// jwk returns the public JWK of s, with its kid and no use, alg or key_ops.
func (s signer) jwk() map[string]any {
	return publicJWK(s.kid, s.private.Public())
}

// jwkWith returns the public JWK of s with extra members such as "use".
func (s signer) jwkWith(extra map[string]any) map[string]any {
	m := s.jwk()
	for name, value := range extra {
		m[name] = value
	}
	return m
}

// testKeys are generated once per test binary: RSA generation is slow
// enough that doing it per test would dominate the run time.
type testKeys struct {
	rsa  [3]*rsa.PrivateKey
	p256 [2]*ecdsa.PrivateKey
	p384 *ecdsa.PrivateKey
	p521 *ecdsa.PrivateKey
	ed   [2]ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
	keysErr  error
)

// generatedKeys returns the shared test keys, generating them on first use.
func generatedKeys(t testing.TB) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		keysErr = generateKeys(&keys)
	})
	if keysErr != nil {
		t.Fatalf("generate test keys: %v", keysErr)
	}
	return &keys
}

func generateKeys(k *testKeys) error {
	var err error
	for i := range k.rsa {
		if k.rsa[i], err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return err
		}
	}
	for i := range k.p256 {
		if k.p256[i], err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return err
		}
	}
	if k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		return err
	}
	if k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader); err != nil {
		return err
	}
	for i := range k.ed {
		if _, k.ed[i], err = ed25519.GenerateKey(rand.Reader); err != nil {
			return err
		}
	}
	return nil
}

// Signers for the common cases, each with its own kid.
func rs256(t testing.TB) signer {
	t.Helper()
	return signer{kid: "rsa-1", method: jwt.SigningMethodRS256, private: generatedKeys(t).rsa[0]}
}

func es256(t testing.TB) signer {
	t.Helper()
	return signer{kid: "ec-p256-1", method: jwt.SigningMethodES256, private: generatedKeys(t).p256[0]}
}

func es384(t testing.TB) signer {
	t.Helper()
	return signer{kid: "ec-p384", method: jwt.SigningMethodES384, private: generatedKeys(t).p384}
}

func es512(t testing.TB) signer {
	t.Helper()
	return signer{kid: "ec-p521", method: jwt.SigningMethodES512, private: generatedKeys(t).p521}
}

func eddsa(t testing.TB) signer {
	t.Helper()
	return signer{kid: "ed25519-1", method: jwt.SigningMethodEdDSA, private: generatedKeys(t).ed[0]}
}

// publicJWK encodes a public key as a JWK (RFC 7517, RFC 7518 section 6,
// RFC 8037 section 2), with kid when it is not empty.
func publicJWK(kid string, public crypto.PublicKey) map[string]any {
	b64 := base64.RawURLEncoding.EncodeToString
	m := map[string]any{}
	switch key := public.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64(key.N.Bytes())
		m["e"] = b64(big.NewInt(int64(key.E)).Bytes())
	case *ecdsa.PublicKey:
		// Coordinates are written at the full size of the curve (RFC 7518
		// section 6.2.1.2), with leading zero bytes kept.
		size := (key.Curve.Params().BitSize + 7) / 8
		m["kty"] = "EC"
		m["crv"] = key.Curve.Params().Name
		m["x"] = b64(key.X.FillBytes(make([]byte, size)))
		m["y"] = b64(key.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = b64(key)
	default:
		panic(fmt.Sprintf("publicJWK: unsupported key type %T", public))
	}
	if kid != "" {
		m["kid"] = kid
	}
	return m
}

// jwksBody encodes keys as a JWK Set document.
func jwksBody(t testing.TB, keys ...map[string]any) []byte {
	t.Helper()
	if keys == nil {
		keys = []map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatalf("encode JWKS: %v", err)
	}
	return body
}

// testIssuer is an identity provider on 127.0.0.1: it serves a JWKS and an
// OpenID Connect discovery document that the test can change while a
// verifier uses them, counts the requests for each, and signs tokens.
type testIssuer struct {
	server *httptest.Server

	// issuer is the iss value of its tokens (the server's URL), and jwksURL
	// the URL of its JWKS.
	issuer  string
	jwksURL string

	mu sync.Mutex

	// body is the JWKS document served with status 200.
	body []byte

	// status, when not 200, is sent with a short error body in place of the JWKS.
	status int

	// streamed sends the body in chunks without a Content-Length header.
	streamed bool

	// discoveryStatus is the status of the discovery document, and
	// discoveryDocument, when not nil, replaces its contents.
	discoveryStatus   int
	discoveryDocument map[string]any

	requests          int
	discoveryRequests int
}

// newTestIssuer starts an issuer serving the public keys of signers. The
// server is closed when the test ends.
func newTestIssuer(t testing.TB, signers ...signer) *testIssuer {
	t.Helper()
	i := &testIssuer{status: http.StatusOK, discoveryStatus: http.StatusOK}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", i.serveJWKS)
	mux.HandleFunc("/.well-known/openid-configuration", i.serveDiscovery)
	i.server = httptest.NewServer(mux)
	t.Cleanup(i.server.Close)

	i.issuer = i.server.URL
	i.jwksURL = i.server.URL + "/jwks"
	i.setKeys(t, jwksOf(signers)...)
	return i
}

func jwksOf(signers []signer) []map[string]any {
	keys := make([]map[string]any, 0, len(signers))
	for _, s := range signers {
		keys = append(keys, s.jwk())
	}
	return keys
}

func (i *testIssuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	i.requests++
	body := i.body
	status := i.status
	streamed := i.streamed
	i.mu.Unlock()

	if status != http.StatusOK {
		http.Error(w, "issuer is failing on purpose", status)
		return
	}

	w.Header().Set("Content-Type", "application/json")
	if !streamed {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
		return
	}

	// Flushing after the first chunk commits the response without a
	// Content-Length, so the body arrives chunked and its size is unknown
	// until it has been read.
	flusher, _ := w.(http.Flusher)
	for len(body) > 0 {
		n := min(len(body), 1024)
		_, _ = w.Write(body[:n])
		if flusher != nil {
			flusher.Flush()
		}
		body = body[n:]
	}
}

func (i *testIssuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	i.discoveryRequests++
	status := i.discoveryStatus
	document := i.discoveryDocument
	if document == nil {
		document = map[string]any{"issuer": i.issuer, "jwks_uri": i.jwksURL}
	}
	i.mu.Unlock()

	if status != http.StatusOK {
		http.Error(w, "discovery is failing on purpose", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(document)
}

// setDiscovery sets the status of the discovery document and, unless
// document is nil, its contents.
func (i *testIssuer) setDiscovery(status int, document map[string]any) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.discoveryStatus = status
	i.discoveryDocument = document
}

// discoveryRequestCount returns how many discovery requests the issuer
// has received.
func (i *testIssuer) discoveryRequestCount() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.discoveryRequests
}

// setKeys replaces the served JWKS with keys.
func (i *testIssuer) setKeys(t testing.TB, keys ...map[string]any) {
	t.Helper()
	i.setBody(jwksBody(t, keys...))
}

// setSigners replaces the served JWKS with the public keys of signers.
func (i *testIssuer) setSigners(t testing.TB, signers ...signer) {
	t.Helper()
	i.setKeys(t, jwksOf(signers)...)
}

// setBody replaces the served document with body, which need not be JSON.
func (i *testIssuer) setBody(body []byte) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.body = slices.Clone(body)
}

// setStatus makes the issuer respond to JWKS requests with status. Status
// 200 serves the JWKS again.
func (i *testIssuer) setStatus(status int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.status = status
}

// setStreamed chooses whether the body is sent chunked without a
// Content-Length header.
func (i *testIssuer) setStreamed(streamed bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.streamed = streamed
}

// requestCount returns how many JWKS requests the issuer has received.
func (i *testIssuer) requestCount() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.requests
}

// claims returns valid claims for this issuer at testNow: subject
// "user-1", issued and valid from now, expiring in 10 minutes.
func (i *testIssuer) claims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": i.issuer,
		"sub": "user-1",
		"iat": testNow.Unix(),
		"nbf": testNow.Unix(),
		"exp": testNow.Add(10 * time.Minute).Unix(),
	}
}

// claimsWith returns i.claims() with changes applied. A nil value removes
// the claim.
func (i *testIssuer) claimsWith(changes map[string]any) jwt.MapClaims {
	claims := i.claims()
	for name, value := range changes {
		if value == nil {
			delete(claims, name)
			continue
		}
		claims[name] = value
	}
	return claims
}

// settings returns valid settings that trust this issuer's JWKS URL.
func (i *testIssuer) settings() jwtauth.Settings {
	return testSettings(i.source())
}

// testSettings returns valid settings for issuers. The unknown-kid refresh
// interval is an hour, so a test gets exactly one unknown-kid fetch unless
// it lowers the interval.
func testSettings(issuers ...jwtauth.IssuerSettings) jwtauth.Settings {
	s := jwtauth.DefaultSettings()
	s.Issuers = issuers
	s.UnknownKIDRefreshInterval = time.Hour
	s.FetchTimeout = 2 * time.Second
	return s
}

// source returns the issuer entry that trusts this issuer's JWKS URL.
func (i *testIssuer) source() jwtauth.IssuerSettings {
	return jwtauth.IssuerSettings{Issuer: i.issuer, JWKSURLs: []string{i.jwksURL}}
}

// sign returns a compact JWS of claims signed by s, with s.kid as the kid
// header unless it is empty.
func sign(t testing.TB, s signer, claims jwt.MapClaims) string {
	t.Helper()
	return signWithHeader(t, s, claims, nil)
}

// signWithHeader is sign with extra header members. A nil value removes
// the member. The alg header always names s.method.
func signWithHeader(t testing.TB, s signer, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	token := jwt.NewWithClaims(s.method, claims)
	if s.kid != "" {
		token.Header["kid"] = s.kid
	}
	for name, value := range header {
		if value == nil {
			delete(token.Header, name)
			continue
		}
		token.Header[name] = value
	}
	signed, err := token.SignedString(s.private)
	if err != nil {
		t.Fatalf("sign %s token: %v", s.method.Alg(), err)
	}
	return signed
}

// signRaw signs header and payload exactly as written, so a test can sign
// JSON that a map cannot express, such as a repeated member name.
func signRaw(t testing.TB, s signer, header, payload string) string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	signingString := b64([]byte(header)) + "." + b64([]byte(payload))
	signature, err := s.method.Sign(signingString, s.private)
	if err != nil {
		t.Fatalf("sign raw %s token: %v", s.method.Alg(), err)
	}
	return signingString + "." + b64(signature)
}

// rawToken joins the base64url encodings of header and payload JSON with
// signature, which is used as written.
func rawToken(header, payload, signature string) string {
	b64 := base64.RawURLEncoding.EncodeToString
	return b64([]byte(header)) + "." + b64([]byte(payload)) + "." + signature
}

// ignoredKeys records the calls of Options.OnKeyIgnored.
type ignoredKeys struct {
	mu    sync.Mutex
	calls []ignoredKey
}

type ignoredKey struct {
	source, kid, reason string
}

func (k *ignoredKeys) record(source, kid, reason string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, ignoredKey{source: source, kid: kid, reason: reason})
}

func (k *ignoredKeys) all() []ignoredKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.calls)
}

// fetchErrors records the calls of Options.OnFetchError.
type fetchErrors struct {
	mu    sync.Mutex
	calls []fetchError
}

type fetchError struct {
	url string
	err error
}

func (f *fetchErrors) record(url string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fetchError{url: url, err: err})
}

func (f *fetchErrors) all() []fetchError {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fetchErrors) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// newVerifier validates s and builds a verifier with the fixed test clock
// unless opts sets one. Its refresh goroutines stop when the test ends.
func newVerifier(t testing.TB, s jwtauth.Settings, opts jwtauth.Options) *jwtauth.Verifier {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatalf("test settings are invalid: %v", err)
	}
	if opts.Now == nil {
		opts.Now = fixedClock
	}

	// Cleanups run last-registered first, so the refresh goroutines stop
	// before the issuer's server closes.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	v, err := jwtauth.NewVerifier(ctx, s, opts)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// verify calls v.Verify with a context that bounds any fetch it causes.
func verify(t testing.TB, v *jwtauth.Verifier, token string) (*jwtauth.Identity, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return v.Verify(ctx, token)
}

// requireVerified fails the test unless token verifies, and returns its identity.
func requireVerified(t testing.TB, v *jwtauth.Verifier, token string) *jwtauth.Identity {
	t.Helper()
	identity, err := verify(t, v, token)
	if err != nil {
		t.Fatalf("Verify: unexpected error %v", err)
	}
	if identity == nil {
		t.Fatal("Verify returned neither an identity nor an error")
	}
	return identity
}

// requireRejected fails the test unless Verify returns an error wrapping want.
func requireRejected(t testing.TB, v *jwtauth.Verifier, token string, want error) {
	t.Helper()
	identity, err := verify(t, v, token)
	if !errors.Is(err, want) {
		t.Fatalf("Verify error = %v, want one wrapping %q", err, want)
	}
	if identity != nil {
		t.Errorf("Verify returned identity %+v together with error %v", identity, err)
	}
}

// eventually polls condition every 20ms until it returns true, and fails
// the test with message if it has not after timeout.
func eventually(t testing.TB, timeout time.Duration, message string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, message)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
