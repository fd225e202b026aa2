// Command echo serves the stub upstream of internal/upstream on its own,
// for the compose stack: it responds to every request with a JSON description
// of the request it received.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/jwks-auth/tyk-jwks-auth/internal/upstream"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8082", "address to listen on")
	flag.Parse()

	server := &http.Server{Addr: *listen, Handler: upstream.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("echo: listening on %s", *listen)
	log.Fatal(server.ListenAndServe())
}
