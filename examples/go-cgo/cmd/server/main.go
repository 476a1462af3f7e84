// Command server is the cgo example a hardened.yaml builds: an HTTP API that answers from an
// in-memory SQLite database, linked against Debian's libsqlite3 (build.packages brings the
// headers to the builder, runtime.libs the shared library to the image).
package main

/*
#cgo LDFLAGS: -lsqlite3
#include <sqlite3.h>
#include <stdlib.h>

// answer runs one query on a fresh in-memory database and leaves its integer result in out.
static int answer(const char *query, int *out) {
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc = sqlite3_open(":memory:", &db);
	if (rc != SQLITE_OK) return rc;
	rc = sqlite3_prepare_v2(db, query, -1, &st, 0);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return rc;
}
*/
import "C"

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
	"unsafe"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", ":8080"), "listen address")
	check := flag.Bool("check", false, "probe the running server's /healthz and exit 0 when it answers")
	flag.Parse()

	if *check {
		os.Exit(probe("http://127.0.0.1" + portOf(*addr) + "/healthz"))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		n, err := query("SELECT 6 * 7")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"message": "hello from a hardened image, answered by SQLite",
			"sqlite":  C.GoString(C.sqlite3_libversion()),
			"answer":  n,
			"uid":     os.Getuid(),
			"gid":     os.Getgid(),
		})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on %s as uid %d with SQLite %s", *addr, os.Getuid(), C.GoString(C.sqlite3_libversion()))
	log.Fatal(srv.ListenAndServe())
}

// query runs a SQL query that yields one integer on a fresh in-memory database.
func query(q string) (int, error) {
	cq := C.CString(q)
	defer C.free(unsafe.Pointer(cq))
	var out C.int
	if rc := C.answer(cq, &out); rc != C.SQLITE_OK {
		return 0, fmt.Errorf("sqlite: %s", C.GoString(C.sqlite3_errstr(rc)))
	}
	return int(out), nil
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
