package jwtauth

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/MicahParks/jwkset"
)

// minRSABits is the smallest RSA modulus a key set may use (RFC 7518
// section 3.3 requires 2048 bits for RS256).
const minRSABits = 2048

// errTooLarge marks a response body over the configured size limit.
var errTooLarge = errors.New("response body is too large")

// fetchHooks reports what happens while key sets are fetched.
type fetchHooks struct {
	onFetchError func(url string, err error)
	onKeyIgnored func(source, kid, reason string)
}

func (h fetchHooks) fetchError(url string, err error) {
	if h.onFetchError != nil {
		h.onFetchError(url, err)
	}
}

func (h fetchHooks) keyIgnored(source, kid, reason string) {
	if h.onKeyIgnored != nil {
		h.onKeyIgnored(source, kid, reason)
	}
}

// client returns the HTTP client for key set fetches: responses over
// maxBytes fail, and keys that could never verify are dropped from a
// set before jwkset reads it.
func (h fetchHooks) client(maxBytes int64) *http.Client {
	return &http.Client{
		Transport:     &keySetTransport{base: http.DefaultTransport, maxBytes: maxBytes, hooks: h},
		CheckRedirect: sameOriginRedirects,
	}
}

// maxRedirects bounds the redirects a key set or discovery fetch follows.
const maxRedirects = 3

// sameOriginRedirects follows a redirect only to the scheme, host and port
// of the configured URL: keys come from the configured sources and
// nowhere else, and never over plain HTTP when HTTPS was configured.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("redirect from %s to another origin (%s://%s) is not followed", first.Redacted(), req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// keySetTransport reads a key set response whole, up to maxBytes, and
// rewrites it through filterKeySet. jwkset rejects a whole set when one
// key in it is malformed; filtering first keeps the good keys usable.
type keySetTransport struct {
	base     http.RoundTripper
	maxBytes int64
	hooks    fetchHooks
}

func (t *keySetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := readLimited(resp.Body, t.maxBytes)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read key set from %s: %w", req.URL.Redacted(), err)
	}

	if resp.StatusCode == http.StatusOK {
		source := req.URL.Redacted()
		body, err = filterKeySet(body, func(kid, reason string) {
			t.hooks.keyIgnored(source, kid, reason)
		})
		if err != nil {
			return nil, fmt.Errorf("key set from %s: %w", source, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// readLimited reads all of r, failing once more than maxBytes arrive.
func readLimited(r io.Reader, maxBytes int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: more than jwks_max_bytes (%d bytes)", errTooLarge, maxBytes)
	}
	return data, nil
}

// filterKeySet returns the JWKS in data without the keys that must never
// verify a token: keys jwkset cannot read (malformed, or of an unsupported
// type), symmetric keys, whose secret a public set would give away, and
// RSA keys under minRSABits. It reports each dropped key to ignored.
func filterKeySet(data []byte, ignored func(kid, reason string)) ([]byte, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}

	kept := make([]json.RawMessage, 0, len(set.Keys))
	for _, raw := range set.Keys {
		var head struct {
			KTY string `json:"kty"`
			KID string `json:"kid"`
		}
		_ = json.Unmarshal(raw, &head)

		if reason := unusableKey(raw, head.KTY); reason != "" {
			ignored(head.KID, reason)
			continue
		}
		kept = append(kept, raw)
	}
	return json.Marshal(map[string]any{"keys": kept})
}

// unusableKey returns why a raw JWK must be dropped, or "".
func unusableKey(raw json.RawMessage, kty string) string {
	if kty == "oct" {
		return "symmetric (oct) keys are never used from a key set"
	}
	jwk, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
	if err != nil {
		return "cannot be read: " + err.Error()
	}
	key := jwk.Key()
	if private, ok := key.(*rsa.PrivateKey); ok {
		key = &private.PublicKey
	}
	if public, ok := key.(*rsa.PublicKey); ok && public.N.BitLen() < minRSABits {
		return fmt.Sprintf("RSA key of %d bits, at least %d are required", public.N.BitLen(), minRSABits)
	}
	return ""
}

// discoverJWKSURL reads the issuer's OpenID Connect discovery document
// ({issuer}/.well-known/openid-configuration) and returns its jwks_uri.
// The document must name the same issuer (OpenID Connect Discovery 1.0
// section 4.3), so that one issuer cannot hand out another's keys.
func discoverJWKSURL(ctx context.Context, client *http.Client, issuer string, maxBytes int64) (string, error) {
	docURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return "", fmt.Errorf("discovery for %s: %w", issuer, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("discovery for %s: %w", issuer, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("discovery for %s: %s returned status %d", issuer, docURL, resp.StatusCode)
	}
	body, err := readLimited(resp.Body, maxBytes)
	if err != nil {
		return "", fmt.Errorf("discovery for %s: %w", issuer, err)
	}

	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery for %s: not a JSON object: %w", issuer, err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("discovery for %s: the document names issuer %q", issuer, doc.Issuer)
	}
	parsed, err := url.Parse(doc.JWKSURI)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return "", fmt.Errorf("discovery for %s: jwks_uri %q is not an http or https URL", issuer, doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}
