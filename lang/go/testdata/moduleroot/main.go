// Command greeter is a main package at its module's root: go build names it greeter.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := flag.Int("port", 8080, "port to listen on, on loopback")
	check := flag.Bool("check", false, "exit 0 when the server on -port answers")
	flag.Parse()
	if *check {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", *port))
		if err != nil || resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		exe, _ := os.Executable()
		w.Header().Set("content-type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"uid": os.Getuid(), "exe": exe, "greeting": os.Getenv("GREETING")})
	})
	log.Fatal(http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), nil))
}
