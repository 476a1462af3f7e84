// Command server is the example service a hardened.yaml builds: a small HTTP API on
// chi, with a -check mode the image's exec-form HEALTHCHECK runs (distroless has no curl).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", ":8080"), "listen address")
	check := flag.Bool("check", false, "probe the running server's /healthz and exit 0 when it answers")
	flag.Parse()

	if *check {
		os.Exit(probe("http://127.0.0.1" + portOf(*addr) + "/healthz"))
	}

	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"message": "hello from a hardened image",
			"uid":     os.Getuid(),
			"gid":     os.Getgid(),
		})
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })

	srv := &http.Server{Addr: *addr, Handler: r, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on %s as uid %d", *addr, os.Getuid())
	log.Fatal(srv.ListenAndServe())
}

func probe(url string) int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i:]
		}
	}
	return ":" + addr
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
