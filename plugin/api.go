package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/TykTechnologies/tyk/apidef"
	"github.com/TykTechnologies/tyk/config"
	"github.com/TykTechnologies/tyk/ctx"
	"github.com/TykTechnologies/tyk/log"
	"github.com/sirupsen/logrus"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

// apiState is everything one API needs per request, built once from its
// definition: the verifier with its refreshing key sets, the session
// template and the challenge header.
type apiState struct {
	fingerprint string
	logger      *logrus.Entry

	// settingsErr is set when the settings are unusable. Every request to
	// the API then gets a 500 response, and the verifier is nil.
	settingsErr error

	verifier *jwtauth.Verifier
	settings jwtauth.Settings
	policies *policyCatalogue

	// setHeaders holds, as headerVariable names, the upstream headers the
	// plugin sets, whose client copies it removes.
	setHeaders map[string]bool
	challenge  challenge
	sessions   *sessionFactory
	stop       context.CancelFunc
}

// newAPIState decodes and validates the API's settings and starts its key
// refresh. Bad settings are logged once, naming every bad field, and make
// the API fail closed; other APIs are not affected.
func newAPIState(def *apidef.APIDefinition, fingerprint string, catalogue *policyCatalogue) *apiState {
	logger := log.Get().WithFields(logrus.Fields{
		"prefix": "jwks-auth",
		"api_id": def.APIID,
	})
	state := &apiState{
		fingerprint: fingerprint,
		logger:      logger,
		stop:        func() {},
	}

	settings, err := settingsOf(def)
	if err != nil {
		state.settingsErr = err
		logger.WithError(err).Error("API disabled: every request gets a 500 response until the settings are fixed")
		return state
	}

	if len(settings.Audiences) == 0 {
		logger.Warn("no audiences configured: tokens the issuer minted for any other audience are accepted; set audiences")
	}

	refreshCtx, stop := context.WithCancel(context.Background())
	options := jwtauth.Options{
		OnFetchError: func(url string, err error) {
			logger.WithFields(logrus.Fields{"url": url, "error": err}).
				Warn("fetch of a key set or discovery document failed: requests use the keys fetched before, if any")
		},
		OnKeyIgnored: func(source, kid, reason string) {
			logger.WithFields(logrus.Fields{"source": source, "kid": kid, "reason": reason}).Warn("JWKS key ignored")
		},
	}
	verifier, err := jwtauth.NewVerifier(refreshCtx, settings, options)
	if err != nil {
		stop()
		state.settingsErr = err
		logger.WithError(err).Error("API disabled: cannot create its key set")
		return state
	}

	global := gatewayConfig()
	if global.Secret == "" {
		logger.Warn("the gateway has no secret: anyone who knows a caller's issuer and subject can compute its session key; set secret in tyk.conf")
	}
	state.verifier = verifier
	state.settings = settings
	state.setHeaders = make(map[string]bool)
	for header := range settings.ClaimHeaders {
		state.setHeaders[headerVariable(header)] = true
	}
	if settings.ClaimsHeader != "" {
		state.setHeaders[headerVariable(settings.ClaimsHeader)] = true
	}
	state.policies = catalogue
	warnUnknownPolicies(logger, catalogue, settings, def.OrgID)
	state.stop = stop
	state.challenge = newChallenge(settings.Realm)
	state.sessions = newSessionFactory(def, []byte(global.Secret), global.HashKeys, settings.MetadataClaims)

	issuers := make([]string, len(settings.Issuers))
	for i, issuer := range settings.Issuers {
		issuers[i] = issuer.Issuer
	}
	logger.WithFields(logrus.Fields{
		"iss":      issuers,
		"has_keys": verifier.HasKeys(refreshCtx),
	}).Info("API ready")
	return state
}

// policyUnavailable is the response for a request whose session would name
// a policy the gateway does not have. Tyk itself would return an empty 200.
var policyUnavailable = jwtauth.ErrorResponse{
	Status:      http.StatusForbidden,
	Description: "no access policy is available for this caller",
	Reason:      "policy_unavailable",
}

// warnUnknownPolicies logs the default and scope policies of the settings
// that the gateway does not have, when the API starts.
func warnUnknownPolicies(logger *logrus.Entry, catalogue *policyCatalogue, s jwtauth.Settings, orgID string) {
	if catalogue == nil {
		if len(s.DefaultPolicies) > 0 || len(s.ScopePolicies) > 0 || s.PolicyClaim != "" {
			logger.Warn("policies come from a Tyk Dashboard or MDCB, which the plugin cannot read: policy IDs are not checked")
		}
		return
	}
	ids := slices.Clone(s.DefaultPolicies)
	for _, scope := range sortedKeys(s.ScopePolicies) {
		ids = append(ids, s.ScopePolicies[scope]...)
	}
	for _, id := range ids {
		if err := catalogue.check([]string{id}, orgID); err != nil {
			logger.WithError(err).Warn("a policy in the settings is not available: its callers get 403")
		}
	}
}

// gatewayConfig returns the gateway's global configuration. The gateway
// sets config.Global at start; outside a gateway (in unit tests) it is nil.
func gatewayConfig() config.Config {
	if config.Global == nil {
		return config.Config{}
	}
	return config.Global()
}

// settingsOf decodes config_data.jwks_auth of a classic API definition.
func settingsOf(def *apidef.APIDefinition) (jwtauth.Settings, error) {
	if def.ConfigDataDisabled {
		return jwtauth.Settings{}, fmt.Errorf("%w: config_data_disabled is true, so the settings cannot be read", jwtauth.ErrInvalidSettings)
	}
	return jwtauth.DecodeSettings(def.ConfigData)
}

// authenticate verifies the request's token and either responds with an
// error or sets the caller's session for the gateway to continue.
func (a *apiState) authenticate(w http.ResponseWriter, r *http.Request) {
	if a.settingsErr != nil {
		a.challenge.write(w, jwtauth.ResponseFor(a.settingsErr))
		return
	}

	token, source, err := jwtauth.ExtractToken(r, a.settings.TokenSources, a.settings.MaxTokenBytes)
	if err != nil {
		a.reject(w, err)
		return
	}

	identity, err := a.verifier.Verify(r.Context(), token)
	if err != nil {
		a.reject(w, err)
		return
	}

	policies, err := a.settings.PoliciesFor(identity.Claims)
	if err != nil {
		a.reject(w, err)
		return
	}
	if err := a.policies.check(policies, a.sessions.orgID); err != nil {
		a.logger.WithFields(logrus.Fields{"reason": "policy_unavailable", "error": err, "iss": identity.Issuer, "sub": identity.Subject}).
			Warn("request rejected: fix the policy mapping or the gateway's policies")
		a.challenge.write(w, policyUnavailable)
		return
	}

	session, changed := a.sessions.sessionFor(identity, policies)
	a.forward(r, identity, source)

	// Only a changed session is written back to Redis: that write costs
	// more than the rest of the plugin. Passing hash_keys twice is how
	// ctx.SetSession takes it from the caller instead of reading the whole
	// global config on every request.
	hashKeys := a.sessions.hashKeys
	ctx.SetSession(r, session, changed, hashKeys, hashKeys)
}

// reject responds to a request that could not be authenticated. A bad token is
// the caller's problem and logged at debug level; a failure on our side is
// logged as a warning. The token itself is never logged.
func (a *apiState) reject(w http.ResponseWriter, err error) {
	response := jwtauth.ResponseFor(err)
	entry := a.logger.WithFields(logrus.Fields{"reason": response.Reason, "error": err})
	if jwtauth.IsRejection(err) {
		entry.Debug("request rejected")
	} else {
		entry.Warn("request not authenticated: the failure is on the server side")
	}
	a.challenge.write(w, response)
}

// writeUnsupportedDefinition responds to requests of APIs that did not give the
// plugin a classic API definition (Tyk OAS APIs).
func writeUnsupportedDefinition(w http.ResponseWriter, r *http.Request) {
	log.Get().WithField("prefix", "jwks-auth").WithField("path", r.URL.Path).
		Error("no classic API definition in the request context: Tyk OAS APIs are not supported")
	challenge{}.write(w, jwtauth.ResponseFor(jwtauth.ErrInvalidSettings))
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
