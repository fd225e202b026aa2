package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"sync"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/log"
	"github.com/sirupsen/logrus"
)

// definitionsKept is how many definition objects of one API stay mapped to
// a state. The gateway builds new definition objects on every reload, and
// requests that started before the reload still carry the previous one.
const definitionsKept = 2

// registry finds the state of the API a request belongs to. The fast path
// is one lookup by definition pointer. A pointer seen for the first time
// (a new API, or any reload) is compared with the API's recent settings by
// fingerprint, and only new settings build a new state. A reload that
// leaves the settings alone keeps the fetched keys and the session cache.
type registry struct {
	byDefinition sync.Map // *apidef.APIDefinition -> *apiState

	mu   sync.Mutex
	apis map[string]*apiRecord // by API ID

	catalogueOnce sync.Once
	catalogue     *policyCatalogue
}

// policyCatalogue returns the gateway's policies, shared by all APIs.
func (g *registry) policyCatalogue() *policyCatalogue {
	g.catalogueOnce.Do(func() {
		g.catalogue = newPolicyCatalogue(gatewayConfig().Policies)
	})
	return g.catalogue
}

// apiRecord holds the states of one API's recent settings and the
// definition objects that map to them, newest last.
type apiRecord struct {
	// mu serialises building states of this API, so that concurrent first
	// requests fetch the key sets once, and a slow issuer for one API does
	// not hold up the others.
	mu sync.Mutex

	// states maps a settings fingerprint to its state; fingerprints lists
	// them, newest last. A request that still carries an older definition
	// finds the state of its own settings, and never displaces the newest.
	states       map[string]*apiState
	fingerprints []string
	definitions  []*apidef.APIDefinition
}

// statesKept is how many settings of one API keep a live state: the
// current ones and the previous ones, for requests that started before a
// reload.
const statesKept = 2

func newRegistry() *registry {
	return &registry{apis: make(map[string]*apiRecord)}
}

// forDefinition returns the state for def, building it on first use.
func (g *registry) forDefinition(def *apidef.APIDefinition) *apiState {
	if state, ok := g.byDefinition.Load(def); ok {
		return state.(*apiState)
	}
	return g.provision(def)
}

func (g *registry) provision(def *apidef.APIDefinition) *apiState {
	g.mu.Lock()
	record, ok := g.apis[def.APIID]
	if !ok {
		record = &apiRecord{states: make(map[string]*apiState)}
		g.apis[def.APIID] = record
	}
	g.mu.Unlock()

	record.mu.Lock()
	defer record.mu.Unlock()

	// Another request may have provisioned the same definition meanwhile.
	if state, ok := g.byDefinition.Load(def); ok {
		return state.(*apiState)
	}

	// A new definition object means the gateway (re)loaded its APIs, and
	// with them its policies: read the policies again too.
	catalogue := g.policyCatalogue()
	if err := catalogue.reload(); err != nil {
		log.Get().WithFields(logrus.Fields{"prefix": "jwks-auth", "api_id": def.APIID, "error": err}).
			Error("cannot read the gateway's policies: requests that need a policy get 403")
	}

	fingerprint := fingerprintOf(def)
	state, known := record.states[fingerprint]
	if !known {
		state = newAPIState(def, fingerprint, catalogue)
		if len(record.fingerprints) > 0 {
			state.logger.Info("settings changed: the new settings take over")
		}
		record.states[fingerprint] = state
		record.fingerprints = append(record.fingerprints, fingerprint)
		if len(record.fingerprints) > statesKept {
			g.retire(record, record.fingerprints[0])
		}
	}

	g.byDefinition.Store(def, state)
	record.definitions = append(record.definitions, def)
	if len(record.definitions) > definitionsKept {
		g.byDefinition.Delete(record.definitions[0])
		record.definitions = record.definitions[1:]
	}
	return state
}

// retire stops the state of old settings and deletes the definitions
// that map to it. The caller holds record.mu.
func (g *registry) retire(record *apiRecord, fingerprint string) {
	state := record.states[fingerprint]
	delete(record.states, fingerprint)
	record.fingerprints = record.fingerprints[1:]

	kept := record.definitions[:0]
	for _, def := range record.definitions {
		if mapped, ok := g.byDefinition.Load(def); ok && mapped == state {
			g.byDefinition.Delete(def)
			continue
		}
		kept = append(kept, def)
	}
	record.definitions = kept
	state.stop()
}

// fingerprintOf hashes everything of a definition that the API state is
// built from. encoding/json writes map keys in sorted order, so equal
// settings give equal fingerprints.
func fingerprintOf(def *apidef.APIDefinition) string {
	versions := make([]string, 0, len(def.VersionData.Versions))
	for name := range def.VersionData.Versions {
		versions = append(versions, name)
	}
	sort.Strings(versions)

	inputs := struct {
		ConfigData         map[string]any
		ConfigDataDisabled bool
		OrgID              string
		Name               string
		Versions           []string
	}{def.ConfigData, def.ConfigDataDisabled, def.OrgID, def.Name, versions}

	encoded, err := json.Marshal(inputs)
	if err != nil {
		// Values decoded from JSON always encode again; if they somehow do
		// not, a unique fingerprint makes the state rebuild, which is safe.
		return "unencodable:" + err.Error()
	}
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:])
}
