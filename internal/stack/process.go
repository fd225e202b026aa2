package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// process is a child process that the stack started and must stop.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startProcess runs name with args in dir, its output going to out.
func startProcess(dir string, out io.Writer, name string, args ...string) (*process, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	stopWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM to the process (and only to it, by its PID), and
// SIGKILL if it has not exited after five seconds.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// startRedis runs Debian's redis-server when it is installed, without
// persistence, and otherwise an embedded Redis-compatible server.
func (s *Stack) startRedis(ctx context.Context, cfg Config) error {
	addr, err := listenAddr(cfg.RedisPort)
	if err != nil {
		return err
	}
	s.RedisAddr = addr

	binary, lookErr := exec.LookPath("redis-server")
	if lookErr != nil {
		if cfg.RequireRedisServer {
			return fmt.Errorf("redis-server is not installed (apt-get install redis-server): %w", lookErr)
		}
		embedded := miniredis.NewMiniRedis()
		if err := embedded.StartAddr(addr); err != nil {
			return fmt.Errorf("start embedded Redis on %s: %w", addr, err)
		}
		s.RedisKind = "embedded"
		s.stops = append(s.stops, embedded.Close)
		return nil
	}

	_, port, _ := net.SplitHostPort(addr)
	redis, err := startProcess(s.Dir, s.logs, binary,
		"--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", "--dir", s.Dir)
	if err != nil {
		return err
	}
	s.RedisKind = "redis-server"
	s.stops = append(s.stops, redis.stop)

	return waitFor(ctx, 10*time.Second, "redis-server", func() error {
		if redis.exited() {
			return errors.New("redis-server exited: " + lastLines(s.Logs(), 5))
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// startGateway writes tyk.conf and the API definitions into the stack's
// folder, starts build/tyk and waits until /hello returns 200.
func (s *Stack) startGateway(ctx context.Context, cfg Config) error {
	addr, err := listenAddr(cfg.GatewayPort)
	if err != nil {
		return err
	}
	s.GatewayURL = "http://" + addr

	if err := s.writeAPIs(cfg); err != nil {
		return err
	}
	confPath, err := s.writeGatewayConfig(cfg, addr)
	if err != nil {
		return err
	}

	gateway, err := startProcess(s.Dir, s.logs, gatewayBinary(cfg.Root), "--conf", confPath)
	if err != nil {
		return err
	}
	s.gateway = gateway
	s.stops = append(s.stops, gateway.stop)

	client := &http.Client{Timeout: time.Second}
	return waitFor(ctx, 60*time.Second, "gateway", func() error {
		if gateway.exited() {
			return errors.New("gateway exited: " + lastLines(s.Logs(), 20))
		}
		resp, err := client.Get(s.GatewayURL + "/hello")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/hello returned status %d", resp.StatusCode)
		}
		return nil
	})
}

// writeAPIs copies the API definitions into the app folder, pointing the
// compose host names and plugin path at the local stack.
func (s *Stack) writeAPIs(cfg Config) error {
	appDir := filepath.Join(s.Dir, "apps")
	if err := os.MkdirAll(appDir, 0o755); err != nil {
		return err
	}
	replacer := strings.NewReplacer(
		ComposeIssuerURL, s.IssuerURL,
		ComposeUpstreamURL, s.UpstreamURL,
		ComposePluginPath, pluginPath(cfg.Root),
	)
	for _, file := range cfg.APIFiles {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read API definition: %w", err)
		}
		if !json.Valid(data) {
			return fmt.Errorf("API definition %s is not valid JSON", file)
		}
		target := filepath.Join(appDir, filepath.Base(file))
		if err := os.WriteFile(target, []byte(replacer.Replace(string(data))), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeGatewayConfig writes a minimal tyk.conf for a single gateway with
// file-based APIs and policies.
func (s *Stack) writeGatewayConfig(cfg Config, addr string) (string, error) {
	s.Secret = randomSecret()
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	redisHost, redisPortText, _ := net.SplitHostPort(s.RedisAddr)
	redisPort, _ := strconv.Atoi(redisPortText)

	policyFile := cfg.PolicyFile
	if policyFile == "" {
		policyFile = filepath.Join(s.Dir, "policies.json")
		if err := os.WriteFile(policyFile, []byte("{}"), 0o644); err != nil {
			return "", err
		}
	}
	logLevel := cfg.LogLevel
	if logLevel == "" {
		logLevel = "info"
	}

	conf := map[string]any{
		"listen_address":    host,
		"listen_port":       port,
		"secret":            s.Secret,
		"node_secret":       randomSecret(),
		"template_path":     templatesDir(cfg.Root),
		"app_path":          filepath.Join(s.Dir, "apps"),
		"middleware_path":   filepath.Join(s.Dir, "middleware"),
		"pid_file_location": filepath.Join(s.Dir, "tyk.pid"),
		"log_level":         logLevel,
		"storage": map[string]any{
			"type": "redis",
			"host": redisHost,
			"port": redisPort,
		},
		"policies": map[string]any{
			"policy_source":      "file",
			"policy_record_name": policyFile,
		},
		"hash_keys":                     true,
		"enable_analytics":              false,
		"use_db_app_configs":            false,
		"enable_jsvm":                   false,
		"max_idle_connections_per_host": 500,

		// Rate limits counted exactly in Redis, so that a limit of 2
		// requests per 5 seconds means exactly that.
		"enable_redis_rolling_limiter": true,
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(s.Dir, "tyk.conf")
	return path, os.WriteFile(path, data, 0o644)
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lastLines returns the last n lines of text, for error messages.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
