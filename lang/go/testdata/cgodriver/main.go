// A small notes service as teams write them: an old go line, a SQLite store through a driver that
// works only with cgo, and a health route the platform probes.
package main

import (
	"database/sql"
	"encoding/json"
	"log"
	"net/http"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", "file::memory:?cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		var version string
		if err := db.QueryRow("select sqlite_version()").Scan(&version); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]interface{}{"UID": os.Getuid(), "SQLite": version})
	})
	if len(os.Args) > 1 { // another port, for a second instance beside the first
		log.Fatal(http.ListenAndServe(":"+os.Args[1], nil))
	}
	log.Fatal(http.ListenAndServe(":8080", nil))
}
