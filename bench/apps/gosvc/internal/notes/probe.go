package notes

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// Probe is the -check mode the image's exec-form HEALTHCHECK runs (distroless has no curl): 0 when url answers 200.
func Probe(url string) int {
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

// PortOf is the ":port" of a listen address.
func PortOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":" + addr
}
