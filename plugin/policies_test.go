package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/TykTechnologies/tyk/config"
)

func TestPolicyCatalogueChecksIDsAndOrg(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "policies.json")
	writeFile(t, file, `{"gold": {"org_id": "org1"}, "foreign": {"org_id": "org2"}}`)

	folder := filepath.Join(dir, "policies")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(folder, "gold.json"), `{"id": "gold", "org_id": "org1"}`)
	writeFile(t, filepath.Join(folder, "foreign.json"), `{"id": "foreign", "org_id": "org2"}`)

	catalogues := map[string]*policyCatalogue{
		"policy file":   newPolicyCatalogue(config.PoliciesConfig{PolicySource: "file", PolicyRecordName: file}),
		"policy folder": newPolicyCatalogue(config.PoliciesConfig{PolicyPath: folder}),
	}
	for name, catalogue := range catalogues {
		t.Run(name, func(t *testing.T) {
			if err := catalogue.reload(); err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				ids     []string
				wantErr string
			}{
				{nil, ""},
				{[]string{"gold"}, ""},
				{[]string{"gold", "missing"}, `policy "missing" not found`},
				{[]string{"foreign"}, `policy "foreign" belongs to organisation "org2"`},
			}
			for _, tc := range cases {
				err := catalogue.check(tc.ids, "org1")
				if tc.wantErr == "" {
					if err != nil {
						t.Errorf("check(%v) = %v, want nil", tc.ids, err)
					}
					continue
				}
				if !errors.Is(err, errPolicyUnavailable) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("check(%v) = %v, want an error containing %q", tc.ids, err, tc.wantErr)
				}
			}
		})
	}

	t.Run("policies the gateway reloads", func(t *testing.T) {
		catalogue := catalogues["policy file"]
		writeFile(t, file, `{"silver": {"org_id": "org1"}}`)
		if err := catalogue.check([]string{"silver"}, "org1"); err == nil {
			t.Error("a policy added to the file counts before the gateway reloads")
		}
		if err := catalogue.reload(); err != nil {
			t.Fatal(err)
		}
		if err := catalogue.check([]string{"silver"}, "org1"); err != nil {
			t.Errorf("after a reload: %v", err)
		}
	})

	t.Run("dashboard policies are not checked", func(t *testing.T) {
		if c := newPolicyCatalogue(config.PoliciesConfig{PolicySource: "service"}); c.check([]string{"any"}, "org1") != nil {
			t.Error("a catalogue the plugin cannot read rejected a policy")
		}
	})
	t.Run("unreadable policy file", func(t *testing.T) {
		c := newPolicyCatalogue(config.PoliciesConfig{PolicyRecordName: filepath.Join(dir, "missing.json")})
		if err := c.reload(); err == nil {
			t.Error("reload of a missing policy file returned no error")
		}
		if err := c.check([]string{"gold"}, "org1"); !errors.Is(err, errPolicyUnavailable) {
			t.Errorf("check = %v, want errPolicyUnavailable", err)
		}
	})
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
