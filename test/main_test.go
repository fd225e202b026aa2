// Package e2e tests the plugin end to end: the real Tyk v5.8.1 gateway,
// real Redis and the real .so, with tokens from the development issuer's
// live JWKS.
//
// By default TestMain starts that stack on 127.0.0.1 from the build
// outputs (`make test` builds them first). To run the same tests against
// a stack that is already running, such as the compose stack, set
// E2E_GATEWAY_URL and E2E_ISSUER_URL (the addresses this test reaches
// them at), and E2E_REDIS_ADDR for the tests that read Redis.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/stack"
)

// env is the stack under test.
var env struct {
	gatewayURL string
	issuerURL  string
	redisAddr  string

	// local is the stack TestMain started, or nil for an external one.
	local *stack.Stack
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if url := os.Getenv("E2E_GATEWAY_URL"); url != "" {
		env.gatewayURL = url
		env.issuerURL = os.Getenv("E2E_ISSUER_URL")
		env.redisAddr = os.Getenv("E2E_REDIS_ADDR")
		if env.issuerURL == "" {
			fmt.Fprintln(os.Stderr, "e2e: E2E_GATEWAY_URL is set, so E2E_ISSUER_URL must be set too")
			return 2
		}
		return m.Run()
	}

	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	apps, err := filepath.Glob(filepath.Join(root, "test", "testdata", "apps", "*.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}

	// The gateway logs at debug level so that tests can find the plugin's
	// rejection reasons; the logs are shown only when a test fails.
	cfg := stack.Config{
		Root:               root,
		APIFiles:           append([]string{filepath.Join(root, "apidef.json")}, apps...),
		PolicyFile:         filepath.Join(root, "test", "testdata", "policies.json"),
		RequireRedisServer: os.Getenv("CI") == "true",
		LogLevel:           "debug",
	}
	s, err := stack.Start(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the stack:", err)
		return 1
	}
	defer s.Stop()

	env.local = s
	env.gatewayURL = s.GatewayURL
	env.issuerURL = s.IssuerURL
	env.redisAddr = s.RedisAddr
	fmt.Printf("e2e: gateway %s, issuer %s, Redis %s (%s)\n", s.GatewayURL, s.IssuerURL, s.RedisAddr, s.RedisKind)

	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "e2e: gateway and Redis output:")
		fmt.Fprintln(os.Stderr, s.Logs())
	}
	return code
}
