// Command devissuer serves the development issuer of internal/devissuer on
// its own, for the compose stack. It mints tokens for anyone who requests one:
// never expose it beyond a development machine.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/devissuer"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	publicURL := flag.String("public-url", "http://127.0.0.1:8081",
		"URL the gateway reaches this issuer at; iss values and JWKS URLs start with it")
	flag.Parse()

	issuer := devissuer.New(*publicURL)
	server := &http.Server{Addr: *listen, Handler: issuer.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("devissuer: listening on %s, iss values start with %s/realms/", *listen, *publicURL)
	log.Fatal(server.ListenAndServe())
}
