package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
)

// reloadGateway requests that the gateway reload its APIs and policies.
func reloadGateway(t testing.TB) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.gatewayURL+"/tyk/reload/group", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-tyk-authorization", env.local.Secret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: gateway answered %d", resp.StatusCode)
	}
}

// The reload API (testdata/apps/reload.json) starts with audience
// reload-v1. The test changes its definition to reload-v2 and reloads the
// gateway while requests keep coming: the new settings must take over,
// and no request may fail on the way.
func TestSettingsChangeOnReloadUnderLoad(t *testing.T) {
	if env.local == nil {
		t.Skip("needs the gateway's API folder and secret, which only a stack this test started exposes")
	}
	const path = "/reload/x"
	tokenFor := func(audience string) string {
		return mint(t, "reload", devissuer.MintRequest{Subject: "frank", Audience: []string{audience}})
	}
	v1, v2 := tokenFor("reload-v1"), tokenFor("reload-v2")

	wantProxied(t, get(t, path, bearer(v1)), "/x")
	wrongAudience := func(got response) {
		t.Helper()
		wantRejected(t, got, http.StatusUnauthorized,
			invalidToken("token audience is not accepted"), errorBody("token audience is not accepted"))
	}
	wrongAudience(get(t, path, bearer(v2)))

	// Requests with a token of the demo API run during both reloads; the
	// demo API's settings do not change, so every one must pass.
	demo := demoToken(t, nil)
	var stop atomic.Bool
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				sent.Add(1)
				if got := get(t, demoPath, bearer(demo)); got.status != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}

	// A reload without changes keeps everything working.
	reloadGateway(t)
	time.Sleep(500 * time.Millisecond)
	wantProxied(t, get(t, path, bearer(v1)), "/x")

	// Change the audience in the definition file and reload.
	file := filepath.Join(env.local.Dir, "apps", "reload.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), `"reload-v1"`, `"reload-v2"`, 1)
	if changed == string(data) {
		t.Fatal("reload.json does not contain the audience reload-v1")
	}
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	reloadGateway(t)

	deadline := time.Now().Add(20 * time.Second)
	for get(t, path, bearer(v2)).status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the changed audience did not take effect within 20s of the reload")
		}
		time.Sleep(100 * time.Millisecond)
	}
	wrongAudience(get(t, path, bearer(v1)))

	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests to an unchanged API failed during the reloads", failed.Load(), sent.Load())
	}
	t.Logf("%d requests to the demo API during two reloads, none failed", sent.Load())
}
