package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
	"github.com/jwks-auth/tyk-jwks-auth/internal/stack"
)

// demoAPI holds the fields of the API definition that printTryIt reads.
type demoAPI struct {
	Proxy struct {
		ListenPath string `json:"listen_path"`
	} `json:"proxy"`
	ConfigData struct {
		Settings struct {
			Issuer    string   `json:"issuer"`
			Audiences []string `json:"audiences"`
		} `json:"jwks_auth"`
	} `json:"config_data"`
}

// printTryIt prints a token and curl commands for the API in apidefPath.
// It mints the token at the development issuer when the API trusts one of
// its realms, and otherwise prints where a token must come from.
func printTryIt(s *stack.Stack, apidefPath string) error {
	data, err := os.ReadFile(apidefPath)
	if err != nil {
		return err
	}
	var api demoAPI
	if err := json.Unmarshal(data, &api); err != nil {
		return fmt.Errorf("read %s: %w", apidefPath, err)
	}
	url := s.GatewayURL + strings.TrimSuffix(api.Proxy.ListenPath, "/") + "/anything"

	issuer := api.ConfigData.Settings.Issuer
	realm, isDevRealm := strings.CutPrefix(issuer, stack.ComposeIssuerURL+"/realms/")
	if !isDevRealm || realm == "" || strings.Contains(realm, "/") {
		fmt.Printf("The API trusts %q, not a realm of the development issuer: get a token there, then\n", issuer)
		fmt.Printf("curl -i %s -H 'Authorization: Bearer <token>'\n\n", url)
		return nil
	}

	request := devissuer.MintRequest{Subject: "demo-user", Audience: api.ConfigData.Settings.Audiences, TTL: "12h"}
	minted, err := s.Issuer.Mint(realm, request)
	if err != nil {
		return err
	}
	audience, _ := json.Marshal(request.Audience)

	fmt.Printf("Token for subject demo-user (valid 12h):\n%s\n\n", minted.AccessToken)
	fmt.Printf("With the token (200 when the settings are valid):\ncurl -i %s -H 'Authorization: Bearer %s'\n\n", url, minted.AccessToken)
	fmt.Printf("Without it (401):\ncurl -i %s\n\n", url)
	fmt.Printf("More tokens (fields: sub, aud, alg, ttl, iss, kid, nbf_in, claims; see the README):\n")
	fmt.Printf("curl -s -X POST %s/realms/%s/token -d '{\"sub\":\"alice\",\"aud\":%s}'\n\n", s.IssuerURL, realm, audience)
	return nil
}
