// Package stack starts the local development stack on 127.0.0.1: Redis,
// the development issuer, the echo upstream and the Tyk gateway with the
// plugin. `make run` and the end-to-end tests both use it.
package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
	"github.com/jwks-auth/tyk-jwks-auth/internal/upstream"
)

// Hosts and paths that the committed API definitions use inside the
// compose stack. Start rewrites them to the local addresses.
const (
	ComposeIssuerURL   = "http://issuer:8080"
	ComposeUpstreamURL = "http://upstream:8080"
	ComposePluginPath  = "/opt/tyk-gateway/middleware/jwks-auth.so"
)

// Config selects what to start and on which ports.
type Config struct {
	// Root is the repository root: build outputs are read from Root/build.
	Root string

	// APIFiles are the API definition files to load, in the compose form.
	APIFiles []string

	// PolicyFile is the policies file; defaults to none (an empty set).
	PolicyFile string

	// GatewayPort, IssuerPort, UpstreamPort and RedisPort default to free
	// ports chosen at start.
	GatewayPort, IssuerPort, UpstreamPort, RedisPort int

	// RequireRedisServer makes Start fail when redis-server is not
	// installed, instead of falling back to an embedded Redis.
	RequireRedisServer bool

	// LogLevel is the gateway's log_level; defaults to "info".
	LogLevel string

	// LogFile, when set, receives the gateway's and Redis's output as it
	// is written, besides the buffer that Logs returns.
	LogFile string

	// Progress, when set, is called with a line for each step.
	Progress func(format string, args ...any)
}

// Stack is a running stack. Stop it with Stop.
type Stack struct {
	GatewayURL  string
	IssuerURL   string
	UpstreamURL string
	RedisAddr   string

	// RedisKind is "redis-server" or "embedded".
	RedisKind string

	Issuer *devissuer.Issuer

	// Dir holds the generated gateway configuration and, in Dir/apps, the
	// API definitions.
	Dir string

	// Secret is the gateway's secret, for its control API (such as
	// POST /tyk/reload/group with the x-tyk-authorization header).
	Secret string

	logs    *syncBuffer
	gateway *process
	stops   []func()
}

// Start brings the whole stack up and returns once the gateway responds to its
// health check. On error, everything already started is stopped again.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	progress := cfg.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	s := &Stack{logs: &syncBuffer{}}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	if cfg.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.LogFile), 0o755); err != nil {
			return nil, err
		}
		file, err := os.Create(cfg.LogFile)
		if err != nil {
			return nil, fmt.Errorf("create log file: %w", err)
		}
		s.logs.copyTo = file
		s.stops = append(s.stops, func() { file.Close() })
	}

	s.Dir, err = os.MkdirTemp("", "jwks-auth-stack-")
	if err != nil {
		return nil, err
	}
	s.stops = append(s.stops, func() { os.RemoveAll(s.Dir) })

	if err := s.checkBuildOutputs(cfg.Root); err != nil {
		return nil, err
	}

	progress("starting Redis")
	if err := s.startRedis(ctx, cfg); err != nil {
		return nil, err
	}
	progress("Redis (%s) on %s", s.RedisKind, s.RedisAddr)

	issuerAddr, err := listenAddr(cfg.IssuerPort)
	if err != nil {
		return nil, err
	}
	s.IssuerURL = "http://" + issuerAddr
	s.Issuer = devissuer.New(s.IssuerURL)
	if err := s.serve(issuerAddr, s.Issuer.Handler()); err != nil {
		return nil, fmt.Errorf("start issuer: %w", err)
	}
	progress("development issuer on %s", s.IssuerURL)

	upstreamAddr, err := listenAddr(cfg.UpstreamPort)
	if err != nil {
		return nil, err
	}
	s.UpstreamURL = "http://" + upstreamAddr
	if err := s.serve(upstreamAddr, upstream.Handler()); err != nil {
		return nil, fmt.Errorf("start upstream: %w", err)
	}
	progress("echo upstream on %s", s.UpstreamURL)

	progress("starting the Tyk gateway with the plugin")
	if err := s.startGateway(ctx, cfg); err != nil {
		return nil, err
	}
	progress("gateway on %s", s.GatewayURL)
	return s, nil
}

// Stop stops everything Start started, newest first.
func (s *Stack) Stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// Logs returns everything the gateway and Redis have printed so far.
func (s *Stack) Logs() string {
	return s.logs.String()
}

func (s *Stack) checkBuildOutputs(root string) error {
	var missing []string
	for _, path := range []string{gatewayBinary(root), pluginPath(root), templatesDir(root)} {
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, path)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("build outputs missing: %v: run `make gateway plugin` first", missing)
	}
	return nil
}

// serve runs handler on addr until the stack stops.
func (s *Stack) serve(addr string, handler http.Handler) error {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	s.stops = append(s.stops, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
	})
	return nil
}

func gatewayBinary(root string) string { return filepath.Join(root, "build", "tyk") }
func pluginPath(root string) string    { return filepath.Join(root, "build", "jwks-auth.so") }
func templatesDir(root string) string  { return filepath.Join(root, "build", "templates") }

// listenAddr returns 127.0.0.1:port, choosing a free port when port is 0,
// and fails at once when the port is taken.
func listenAddr(port int) (string, error) {
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return "", fmt.Errorf("port %d on 127.0.0.1 is in use or not allowed: %w", port, err)
	}
	defer listener.Close()
	return listener.Addr().String(), nil
}

// waitFor polls check until it returns nil or the deadline passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w", what, timeout, err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// syncBuffer collects process output from several goroutines, and copies
// it to copyTo when that is set.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	copyTo io.Writer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.copyTo != nil {
		_, _ = b.copyTo.Write(p)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
