// Package upstream is the stub API behind the gateway in development and
// tests: it responds to every request with a JSON description of the request
// it received, so a test can see exactly what the gateway forwarded.
package upstream

import (
	"encoding/json"
	"net/http"
)

// Echo is the JSON body of the upstream's responses.
type Echo struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Query  string              `json:"query"`
	Header map[string][]string `json:"header"`
}

// Handler responds 200 with the request's Echo.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echo := Echo{
			Method: r.Method,
			Path:   r.URL.Path,
			Query:  r.URL.RawQuery,
			Header: r.Header,
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo)
	})
}
