// Package devissuer is a development identity provider: it serves JSON Web
// Key Sets and mints signed JWTs on request. It takes the place of a real issuer
// (Auth0, Keycloak, Okta, Zuplo) in `make run`, the compose stack and the
// end-to-end tests.
//
// WARNING: it mints a token for anyone who requests one, with any subject and
// claims. Never expose it beyond a development machine.
//
// Each realm is an independent issuer with its own keys, created on first
// use, so that tests can rotate one realm's keys without disturbing others:
//
//	GET  /realms/{realm}/.well-known/openid-configuration
//	GET  /realms/{realm}/.well-known/jwks.json
//	POST /realms/{realm}/token   mint a token (JSON MintRequest in the body)
//	POST /realms/{realm}/rotate  replace the signing key of one algorithm
//	POST /realms/{realm}/raw-keys  append JWK objects to the key set as given
//
// A realm's iss value is the public URL followed by /realms/{realm}.
package devissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithms are the signing algorithms every realm has a key for.
var Algorithms = []string{"RS256", "ES256", "EdDSA"}

// Issuer serves any number of realms. It is safe for concurrent use.
type Issuer struct {
	publicURL string

	mu     sync.Mutex
	realms map[string]*realm
}

// realm holds one issuer's keys. published is what its JWKS lists; active
// maps each algorithm to the key that signs new tokens.
type realm struct {
	active    map[string]*signingKey
	published []*signingKey
	rotations int

	// extra are raw JWK objects appended to the key set as given, for
	// tests of unsupported and malformed keys.
	extra []json.RawMessage
}

type signingKey struct {
	kid     string
	alg     string
	use     string
	private crypto.Signer
}

// New returns an issuer whose iss values and discovery documents start
// with publicURL, the address the gateway uses to reach it.
func New(publicURL string) *Issuer {
	return &Issuer{
		publicURL: strings.TrimSuffix(publicURL, "/"),
		realms:    make(map[string]*realm),
	}
}

// IssuerURL returns the iss value of a realm.
func (i *Issuer) IssuerURL(realmName string) string {
	return i.publicURL + "/realms/" + realmName
}

// JWKSURL returns the URL of a realm's key set.
func (i *Issuer) JWKSURL(realmName string) string {
	return i.IssuerURL(realmName) + "/.well-known/jwks.json"
}

// MintRequest describes a token to mint. Only Subject is needed; the
// other fields override what a real issuer would do, for tests.
type MintRequest struct {
	// Subject is the sub claim. Leave it empty and set Claims["sub"] to
	// mint tokens with an unusual sub.
	Subject string `json:"sub"`

	// Audience is the aud claim, written as an array when it has more than
	// one entry. Defaults to no aud claim.
	Audience []string `json:"aud"`

	// Algorithm selects the signing key: RS256, ES256 or EdDSA.
	// Defaults to RS256.
	Algorithm string `json:"alg"`

	// TTL is the token's lifetime, as a Go duration string; negative values
	// mint expired tokens. Defaults to "1h".
	TTL string `json:"ttl"`

	// Issuer overrides the iss claim. Defaults to the realm's URL.
	Issuer string `json:"iss"`

	// KeyID overrides the kid header; "-" leaves kid out. Defaults to the
	// signing key's ID.
	KeyID string `json:"kid"`

	// NotBefore, as a duration from now, sets nbf. Defaults to no nbf.
	NotBefore string `json:"nbf_in"`

	// Claims are added to the token last, so they override everything
	// above, including exp and iat; a null value removes the claim.
	Claims map[string]any `json:"claims"`

	// Header fields are added to the JOSE header last; a null value
	// removes the field. Tests use it for crit, jku, x5u, jwk and typ.
	Header map[string]any `json:"header"`

	// RawPayload, when set, is signed verbatim as the payload instead of
	// the claims above, so tests can mint JSON that encoding/json would
	// never write, such as duplicate keys.
	RawPayload string `json:"raw_payload"`
}

// MintResponse is the token endpoint's response body, shaped like an OAuth 2.0
// token response (RFC 6749 section 5.1).
type MintResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	KeyID       string `json:"kid"`
}

// Mint signs a token for a realm.
func (i *Issuer) Mint(realmName string, req MintRequest) (MintResponse, error) {
	alg := req.Algorithm
	if alg == "" {
		alg = "RS256"
	}
	ttl := time.Hour
	if req.TTL != "" {
		parsed, err := time.ParseDuration(req.TTL)
		if err != nil {
			return MintResponse{}, fmt.Errorf("ttl: %w", err)
		}
		ttl = parsed
	}

	key, err := i.activeKey(realmName, alg)
	if err != nil {
		return MintResponse{}, err
	}

	now := time.Now()
	claims := jwt.MapClaims{
		"iss": i.IssuerURL(realmName),
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	if req.Subject != "" {
		claims["sub"] = req.Subject
	}
	if req.Issuer != "" {
		claims["iss"] = req.Issuer
	}
	switch len(req.Audience) {
	case 0:
	case 1:
		claims["aud"] = req.Audience[0]
	default:
		claims["aud"] = req.Audience
	}
	if req.NotBefore != "" {
		offset, err := time.ParseDuration(req.NotBefore)
		if err != nil {
			return MintResponse{}, fmt.Errorf("nbf_in: %w", err)
		}
		claims["nbf"] = now.Add(offset).Unix()
	}
	for name, value := range req.Claims {
		if value == nil {
			delete(claims, name)
			continue
		}
		claims[name] = value
	}

	token := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	switch req.KeyID {
	case "":
		token.Header["kid"] = key.kid
	case "-":
	default:
		token.Header["kid"] = req.KeyID
	}

	for name, value := range req.Header {
		if value == nil {
			delete(token.Header, name)
			continue
		}
		token.Header[name] = value
	}

	signed, err := sign(token, req.RawPayload, key.private)
	if err != nil {
		return MintResponse{}, fmt.Errorf("sign: %w", err)
	}
	kid, _ := token.Header["kid"].(string)
	return MintResponse{AccessToken: signed, TokenType: "Bearer", ExpiresIn: int64(ttl.Seconds()), KeyID: kid}, nil
}

// sign returns the compact JWS of token, with rawPayload as its payload
// when it is not empty.
func sign(token *jwt.Token, rawPayload string, key crypto.Signer) (string, error) {
	if rawPayload == "" {
		return token.SignedString(key)
	}
	header, err := json.Marshal(token.Header)
	if err != nil {
		return "", err
	}
	signingInput := encode(header) + "." + encode([]byte(rawPayload))
	signature, err := token.Method.Sign(signingInput, key)
	if err != nil {
		return "", err
	}
	return signingInput + "." + encode(signature), nil
}

// RotateOptions change the key that Rotate creates.
type RotateOptions struct {
	// KeepOld keeps the previous key in the key set; by default it is
	// removed, so tokens it signed stop verifying once the gateway
	// refreshes.
	KeepOld bool

	// RSABits is the size of a new RS256 key. Defaults to 2048.
	RSABits int

	// Use is the new key's "use" in the key set. Defaults to "sig".
	Use string
}

// Rotate gives a realm a new signing key for alg and returns its kid.
func (i *Issuer) Rotate(realmName, alg string, keepOld bool) (string, error) {
	return i.RotateWith(realmName, alg, RotateOptions{KeepOld: keepOld})
}

// RotateWith is Rotate with options for unusual keys.
func (i *Issuer) RotateWith(realmName, alg string, opts RotateOptions) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()

	r, err := i.realmLocked(realmName)
	if err != nil {
		return "", err
	}
	old, ok := r.active[alg]
	if !ok {
		return "", fmt.Errorf("unsupported alg %q: use one of %s", alg, strings.Join(Algorithms, ", "))
	}

	r.rotations++
	key, err := newSigningKey(realmName, alg, r.rotations, opts.RSABits)
	if err != nil {
		return "", err
	}
	key.use = opts.Use
	r.active[alg] = key
	if !opts.KeepOld {
		r.published = removeKey(r.published, old)
	}
	r.published = append(r.published, key)
	return key.kid, nil
}

func (i *Issuer) activeKey(realmName, alg string) (*signingKey, error) {
	i.mu.Lock()
	defer i.mu.Unlock()

	r, err := i.realmLocked(realmName)
	if err != nil {
		return nil, err
	}
	key, ok := r.active[alg]
	if !ok {
		return nil, fmt.Errorf("unsupported alg %q: use one of %s", alg, strings.Join(Algorithms, ", "))
	}
	return key, nil
}

// realmLocked returns a realm, creating it with fresh keys on first use.
// The caller holds i.mu.
func (i *Issuer) realmLocked(name string) (*realm, error) {
	if r, ok := i.realms[name]; ok {
		return r, nil
	}
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, fmt.Errorf("invalid realm name %q", name)
	}

	r := &realm{active: make(map[string]*signingKey)}
	for _, alg := range Algorithms {
		key, err := newSigningKey(name, alg, 0, 0)
		if err != nil {
			return nil, err
		}
		r.active[alg] = key
		r.published = append(r.published, key)
	}
	i.realms[name] = r
	return r, nil
}

func newSigningKey(realmName, alg string, generation, rsaBits int) (*signingKey, error) {
	if rsaBits == 0 {
		rsaBits = 2048
	}
	var private crypto.Signer
	var err error
	switch alg {
	case "RS256":
		private, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case "ES256":
		private, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, private, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unsupported alg %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	kid := fmt.Sprintf("%s-%s-%d", realmName, strings.ToLower(alg), generation)
	return &signingKey{kid: kid, alg: alg, private: private}, nil
}

func removeKey(keys []*signingKey, gone *signingKey) []*signingKey {
	kept := keys[:0:0]
	for _, k := range keys {
		if k != gone {
			kept = append(kept, k)
		}
	}
	return kept
}

// jwks returns a realm's public key set.
func (i *Issuer) jwks(realmName string) (map[string]any, error) {
	i.mu.Lock()
	defer i.mu.Unlock()

	r, err := i.realmLocked(realmName)
	if err != nil {
		return nil, err
	}
	keys := make([]any, 0, len(r.published)+len(r.extra))
	for _, k := range r.published {
		keys = append(keys, publicJWK(k))
	}
	for _, raw := range r.extra {
		keys = append(keys, raw)
	}
	return map[string]any{"keys": keys}, nil
}

// AddRawKeys appends JWK objects to a realm's key set exactly as given.
func (i *Issuer) AddRawKeys(realmName string, keys []json.RawMessage) error {
	i.mu.Lock()
	defer i.mu.Unlock()

	r, err := i.realmLocked(realmName)
	if err != nil {
		return err
	}
	r.extra = append(r.extra, keys...)
	return nil
}

// Handler serves the endpoints listed in the package documentation.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /realms/{realm}/.well-known/jwks.json", i.serveJWKS)
	mux.HandleFunc("GET /realms/{realm}/.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("POST /realms/{realm}/token", i.serveToken)
	mux.HandleFunc("POST /realms/{realm}/rotate", i.serveRotate)
	mux.HandleFunc("POST /realms/{realm}/raw-keys", i.serveRawKeys)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := i.jwks(r.PathValue("realm"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, set)
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("realm")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                i.IssuerURL(name),
		"jwks_uri":                              i.JWKSURL(name),
		"token_endpoint":                        i.IssuerURL(name) + "/token",
		"id_token_signing_alg_values_supported": Algorithms,
	})
}

func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	var req MintRequest
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
			return
		}
	}
	resp, err := i.Mint(r.PathValue("realm"), req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (i *Issuer) serveRotate(w http.ResponseWriter, r *http.Request) {
	alg := r.URL.Query().Get("alg")
	if alg == "" {
		alg = "RS256"
	}
	query := r.URL.Query()
	opts := RotateOptions{KeepOld: query.Get("keep_old") == "true", Use: query.Get("use")}
	if bits := query.Get("rsa_bits"); bits != "" {
		n, err := strconv.Atoi(bits)
		if err != nil || n < 512 || n > 8192 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "rsa_bits must be a number from 512 to 8192"})
			return
		}
		opts.RSABits = n
	}
	kid, err := i.RotateWith(r.PathValue("realm"), alg, opts)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"kid": kid})
}

func (i *Issuer) serveRawKeys(w http.ResponseWriter, r *http.Request) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&set); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
		return
	}
	if err := i.AddRawKeys(r.PathValue("realm"), set.Keys); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"added": len(set.Keys)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
