package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/TykTechnologies/tyk/config"
)

// errPolicyUnavailable marks a session policy that the gateway does not
// have, or that belongs to another organisation.
var errPolicyUnavailable = errors.New("policy is not available")

// policyCatalogue mirrors the policies the gateway loaded from its policy
// file or folder, so that the plugin can check a session's policy IDs
// before handing the session over.
//
// The check is needed because Tyk v5.8.1 responds to a request whose
// session names an unknown policy, or a policy of another organisation,
// with an empty 200 and never calls the upstream. The gateway reads its
// policies at start and on every reload. The registry calls reload at the
// first request of each API with a new definition, which the gateway
// builds on those same occasions.
type policyCatalogue struct {
	// path is the policy file, or the folder when dir is true.
	path string
	dir  bool

	mu   sync.RWMutex
	orgs map[string]string // policy ID -> org ID
	err  error
}

// newPolicyCatalogue returns the catalogue for the gateway's policy
// configuration, or nil when the policies come from a Tyk Dashboard or
// MDCB, which the plugin cannot read.
func newPolicyCatalogue(policies config.PoliciesConfig) *policyCatalogue {
	switch {
	case policies.PolicySource == "service" || policies.PolicySource == "rpc":
		return nil
	case policies.PolicyPath != "":
		return &policyCatalogue{path: policies.PolicyPath, dir: true}
	case policies.PolicyRecordName != "":
		return &policyCatalogue{path: policies.PolicyRecordName}
	}
	// The gateway loads no policies at all: every policy ID is unknown.
	return &policyCatalogue{orgs: map[string]string{}}
}

// reload reads the policies again, the way the gateway does, and returns
// the error of a policy source it cannot read.
func (c *policyCatalogue) reload() error {
	if c == nil || c.path == "" {
		return nil
	}
	orgs, err := c.read()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.orgs, c.err = orgs, err
	return err
}

func (c *policyCatalogue) read() (map[string]string, error) {
	type policy struct {
		ID    string `json:"id"`
		OrgID string `json:"org_id"`
	}
	orgs := make(map[string]string)

	// A policy file maps IDs to policies; a folder has one policy per
	// file, identified by its id member.
	if !c.dir {
		data, err := os.ReadFile(c.path)
		if err != nil {
			return nil, err
		}
		var byID map[string]policy
		if err := json.Unmarshal(data, &byID); err != nil {
			return nil, fmt.Errorf("policy file %s: %w", c.path, err)
		}
		for id, p := range byID {
			orgs[id] = p.OrgID
		}
		return orgs, nil
	}

	paths, err := filepath.Glob(filepath.Join(c.path, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var p policy
		if json.Unmarshal(data, &p) == nil {
			orgs[p.ID] = p.OrgID
		}
	}
	return orgs, nil
}

// check returns an error naming the first policy that is unknown or
// belongs to another organisation than orgID. A nil catalogue checks
// nothing.
func (c *policyCatalogue) check(ids []string, orgID string) error {
	if c == nil || len(ids) == 0 {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()

	if c.err != nil {
		return fmt.Errorf("%w: cannot read the gateway's policies: %v", errPolicyUnavailable, c.err)
	}
	for _, id := range ids {
		org, ok := c.orgs[id]
		if !ok {
			return fmt.Errorf("%w: policy %q not found", errPolicyUnavailable, id)
		}
		if org != orgID {
			return fmt.Errorf("%w: policy %q belongs to organisation %q, the API to %q", errPolicyUnavailable, id, org, orgID)
		}
	}
	return nil
}
