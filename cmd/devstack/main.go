// Command devstack runs the plugin for real on this machine: Redis, the
// development issuer, the echo upstream and the Tyk gateway with the
// plugin on apidef.json, all on 127.0.0.1. It prints a token and a curl
// command, and stops everything it started on Ctrl-C. `make run` runs it.
//
// Ports come from the environment: GATEWAY_PORT (default 8080),
// ISSUER_PORT (default 8081), UPSTREAM_PORT (default 8082) and REDIS_PORT
// (default 6380). APIDEF selects the API definition files, separated by
// commas (default apidef.json); the commands printed are for the first.
// POLICIES names a Tyk policies file (default: no policies), and
// LOG_LEVEL the gateway's log level (default info). The gateway's and
// Redis's output goes to build/devstack.log.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jwks-auth/tyk-jwks-auth/internal/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := configFromEnv()
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := stack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Stop()

	fmt.Printf("\nReady. Gateway: %s\n", s.GatewayURL)
	fmt.Printf("Gateway log (level %s): %s\n\n", cfg.LogLevel, cfg.LogFile)
	if err := printTryIt(s, cfg.APIFiles[0]); err != nil {
		return err
	}
	fmt.Println("Press Ctrl-C to stop.")

	<-ctx.Done()
	fmt.Println("\nstopping")
	return nil
}

func configFromEnv() (stack.Config, error) {
	root, err := os.Getwd()
	if err != nil {
		return stack.Config{}, err
	}
	apidefs := []string{filepath.Join(root, "apidef.json")}
	if list := os.Getenv("APIDEF"); list != "" {
		apidefs = strings.Split(list, ",")
	}

	logLevel := os.Getenv("LOG_LEVEL")
	if logLevel == "" {
		logLevel = "info"
	}
	cfg := stack.Config{
		Root:       root,
		APIFiles:   apidefs,
		PolicyFile: os.Getenv("POLICIES"),
		LogLevel:   logLevel,
		LogFile:    filepath.Join(root, "build", "devstack.log"),
		Progress: func(format string, args ...any) {
			fmt.Printf("==> "+format+"\n", args...)
		},
	}
	ports := []struct {
		env      string
		fallback int
		into     *int
	}{
		{"GATEWAY_PORT", 8080, &cfg.GatewayPort},
		{"ISSUER_PORT", 8081, &cfg.IssuerPort},
		{"UPSTREAM_PORT", 8082, &cfg.UpstreamPort},
		{"REDIS_PORT", 6380, &cfg.RedisPort},
	}
	for _, p := range ports {
		*p.into = p.fallback
		text := os.Getenv(p.env)
		if text == "" {
			continue
		}
		port, err := strconv.Atoi(text)
		if err != nil || port <= 0 || port > 65535 {
			return stack.Config{}, fmt.Errorf("%s=%q is not a TCP port", p.env, text)
		}
		*p.into = port
	}
	return cfg, nil
}
