package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeService is the part of a service that `docker-compose config`
// prints and this test reads.
type composeService struct {
	Image       string            `yaml:"image"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
}

// No Docker engine runs where the tests run, so the compose stack cannot
// be started here. This test checks what can be checked without one. The
// real compose parser must accept the file, and the images must be Tyk's
// official v5.8.1 ones. Every file the stack mounts must exist and be where
// the gateway and the API definitions expect it.
func TestComposeFileMountsWhatExists(t *testing.T) {
	compose, err := exec.LookPath("docker-compose")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-compose is not installed (apt-get install docker-compose); CI must check the compose file")
		}
		t.Skip("docker-compose is not installed; `apt-get install docker-compose` to check docker-compose.yml")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(compose, "-f", filepath.Join(root, "docker-compose.yml"), "config")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if exitErr, ok := err.(*exec.ExitError); ok {
			stderr = string(exitErr.Stderr)
		}
		t.Fatalf("docker-compose config rejected the file: %v\n%s", err, stderr)
	}
	var config struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(out, &config); err != nil {
		t.Fatalf("cannot read docker-compose config output: %v", err)
	}

	for _, name := range []string{"build", "redis", "issuer", "upstream", "gateway"} {
		if _, ok := config.Services[name]; !ok {
			t.Errorf("service %q is missing", name)
		}
	}
	if got := config.Services["gateway"].Image; got != "tykio/tyk-gateway:v5.8.1" {
		t.Errorf("gateway image = %q, want the official tykio/tyk-gateway:v5.8.1", got)
	}
	build := config.Services["build"]
	if build.Image != "tykio/tyk-plugin-compiler:v5.8.1" {
		t.Errorf("build image = %q, want the official tykio/tyk-plugin-compiler:v5.8.1", build.Image)
	}

	// Every bind mount's source must exist in the repository.
	for name, service := range config.Services {
		for _, volume := range service.Volumes {
			source := strings.Split(volume, ":")[0]
			if !filepath.IsAbs(source) {
				continue // a named volume
			}
			if _, err := os.Stat(source); err != nil {
				t.Errorf("service %s mounts %s, which does not exist", name, source)
			}
		}
	}

	// The build service's script exists, is executable and writes the
	// plugin into the volume the gateway mounts as its middleware folder.
	if len(build.Entrypoint) != 1 || build.Entrypoint[0] != "/plugin-source/scripts/compose-build.sh" {
		t.Errorf("build entrypoint = %v, want /plugin-source/scripts/compose-build.sh", build.Entrypoint)
	}
	if info, err := os.Stat(filepath.Join(root, "scripts", "compose-build.sh")); err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("scripts/compose-build.sh is missing or not executable")
	}
	outVolume := volumeAt(build, build.Environment["OUT"])
	if outVolume == "" || volumeAt(config.Services["gateway"], "/opt/tyk-gateway/middleware") != outVolume {
		t.Errorf("the build service's OUT folder is not the gateway's middleware folder")
	}

	gatewayMounts := mountTargets(config.Services["gateway"])
	wantMounts := map[string]string{
		"/opt/tyk-gateway/tyk.conf":               filepath.Join(root, "deploy", "tyk.conf"),
		"/opt/tyk-gateway/policies/policies.json": filepath.Join(root, "test", "testdata", "policies.json"),
		"/opt/tyk-gateway/apps/apidef.json":       filepath.Join(root, "apidef.json"),
	}
	apps, _ := filepath.Glob(filepath.Join(root, "test", "testdata", "apps", "*.json"))
	for _, app := range apps {
		wantMounts["/opt/tyk-gateway/apps/"+filepath.Base(app)] = app
	}
	for target, source := range wantMounts {
		if gatewayMounts[target] != source {
			t.Errorf("gateway mounts %q at %s, want %s", gatewayMounts[target], target, source)
		}
	}

	// tyk.conf must point the gateway at the folders the stack mounts.
	var conf struct {
		AppPath  string `json:"app_path"`
		Policies struct {
			RecordName string `json:"policy_record_name"`
		} `json:"policies"`
		Storage struct {
			Host string `json:"host"`
		} `json:"storage"`
	}
	data, err := os.ReadFile(filepath.Join(root, "deploy", "tyk.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		t.Fatalf("deploy/tyk.conf is not JSON: %v", err)
	}
	if conf.AppPath != "/opt/tyk-gateway/apps" {
		t.Errorf("tyk.conf app_path = %q, want /opt/tyk-gateway/apps", conf.AppPath)
	}
	if conf.Policies.RecordName != "/opt/tyk-gateway/policies/policies.json" {
		t.Errorf("tyk.conf policy_record_name = %q, want the mounted policies file", conf.Policies.RecordName)
	}
	if _, ok := config.Services[conf.Storage.Host]; !ok {
		t.Errorf("tyk.conf storage host %q is not a compose service", conf.Storage.Host)
	}
}

// mountTargets maps each mount target of a service to its source.
func mountTargets(service composeService) map[string]string {
	targets := make(map[string]string)
	for _, volume := range service.Volumes {
		parts := strings.Split(volume, ":")
		if len(parts) >= 2 {
			targets[parts[1]] = parts[0]
		}
	}
	return targets
}

// volumeAt returns the source mounted at target in service.
func volumeAt(service composeService, target string) string {
	return mountTargets(service)[target]
}
