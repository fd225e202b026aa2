package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
	"github.com/jwks-auth/tyk-jwks-auth/internal/upstream"
)

var client = &http.Client{Timeout: 15 * time.Second}

// mint requests a token of realm from the issuer's token endpoint.
func mint(t testing.TB, realm string, req devissuer.MintRequest) string {
	t.Helper()
	return mintResponse(t, realm, req).AccessToken
}

func mintResponse(t testing.TB, realm string, req devissuer.MintRequest) devissuer.MintResponse {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(env.issuerURL+"/realms/"+realm+"/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("mint token: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(resp.Body)
		t.Fatalf("mint token: issuer answered %d: %s", resp.StatusCode, text)
	}
	var minted devissuer.MintResponse
	if err := json.NewDecoder(resp.Body).Decode(&minted); err != nil {
		t.Fatalf("mint token: %v", err)
	}
	return minted
}

// rotate gives realm a new key for alg at the issuer and removes the old one.
func rotate(t testing.TB, realm, alg string) string {
	t.Helper()
	resp, err := client.Post(env.issuerURL+"/realms/"+realm+"/rotate?alg="+alg, "", nil)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	defer resp.Body.Close()
	var rotated struct{ Kid string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&rotated) != nil {
		t.Fatalf("rotate: issuer answered %d", resp.StatusCode)
	}
	return rotated.Kid
}

// claimsOf decodes the payload of a compact JWS without verifying it.
func claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	return claims
}

// response is the gateway's response to a test request.
type response struct {
	status int
	header http.Header
	body   string
}

// get sends GET path to the gateway with the given Authorization header
// values (none when empty).
func get(t testing.TB, path string, authorization ...string) response {
	t.Helper()
	return advRequest{path: path, headers: http.Header{"Authorization": authorization}}.send(t)
}

// bearer returns the Authorization header value for token.
func bearer(token string) string {
	return "Bearer " + token
}

// wantProxied checks that the gateway let the request through to the
// upstream and that the upstream saw path.
func wantProxied(t testing.TB, got response, path string) {
	t.Helper()
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", got.status, got.body)
	}
	var echo upstream.Echo
	if err := json.Unmarshal([]byte(got.body), &echo); err != nil {
		t.Fatalf("body is not the upstream's echo: %v: %s", err, got.body)
	}
	if echo.Path != path {
		t.Errorf("upstream path = %q, want %q", echo.Path, path)
	}
}

// wantRejected checks status, WWW-Authenticate and body exactly.
func wantRejected(t testing.TB, got response, status int, challenge, body string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status = %d, want %d; body %s", got.status, status, got.body)
	}
	if h := got.header.Get("WWW-Authenticate"); h != challenge {
		t.Errorf("WWW-Authenticate = %q, want %q", h, challenge)
	}
	if got.body != body {
		t.Errorf("body = %s, want %s", got.body, body)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// invalidToken is the challenge for a rejected token.
func invalidToken(description string) string {
	return `Bearer error="invalid_token", error_description="` + description + `"`
}

// errorBody is the gateway-style JSON error body.
func errorBody(description string) string {
	return `{"error":"` + description + `"}`
}

// redisCommand sends one command to Redis and returns its reply: a string,
// an int64, nil, or a []any of those. It speaks just enough RESP for the
// tests' KEYS, GET and TTL.
func redisCommand(t testing.TB, args ...string) any {
	t.Helper()
	if env.redisAddr == "" {
		t.Skip("E2E_REDIS_ADDR is not set, so Redis cannot be inspected in this run")
	}
	conn, err := net.DialTimeout("tcp", env.redisAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to Redis: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))

	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatalf("Redis %s: %v", args[0], err)
	}
	reply, err := readReply(bufio.NewReader(conn))
	if err != nil {
		t.Fatalf("Redis %s: %v", args[0], err)
	}
	return reply
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, fmt.Errorf("redis error: %s", line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		data := make([]byte, n+2)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
		return string(data[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		items := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			item, err := readReply(r)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		}
		return items, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
