// Command configsvc reads its settings from config/app.yml and a page from templates/index.html in
// its working directory, as services whose Dockerfile copies them next to the binary do, and will not
// start without them.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
)

// setting reads one "key: value" line of a flat YAML file.
func setting(file, key string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("%s: no %s", file, key)
}

func main() {
	port := flag.Int("port", 8080, "port to listen on, on loopback")
	flag.Parse()
	greeting, err := setting("config/app.yml", "greeting")
	if err != nil {
		log.Fatal(err)
	}
	page, err := os.ReadFile("templates/index.html")
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"uid": os.Getuid(), "greeting": greeting, "page": string(page)})
	})
	log.Fatal(http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), nil))
}
