// Command hardened-probe is the health probe the build adds to an image whose spec says
// healthcheck.http: it GETs http://127.0.0.1:PORT/PATH, then [::1], and exits 0 on a 2xx answer.
//
// It takes a port and a path, never a host or a URL, so it cannot fetch anything from elsewhere: it is
// no curl for a shell to use. It uses syscall sockets (no net, net/http or TLS) to stay small.
// `hardened check` knows it by its path and its build info (audit/probe.go).
package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// timeout bounds one probe; the runtime's own healthcheck timeout may be shorter.
const timeout = 10 * time.Second

// hosts are the only addresses the probe connects to, in order.
var hosts = []string{"127.0.0.1", "::1"}

func main() {
	if len(os.Args) != 3 {
		fail("usage: hardened-probe PORT PATH")
	}
	code, err := probe(os.Args[1], os.Args[2], time.Now().Add(timeout))
	if err != nil {
		fail(err.Error())
	}
	if code < 200 || code > 299 {
		fail("GET " + os.Args[2] + ": status " + strconv.Itoa(code))
	}
	os.Stdout.WriteString("GET " + os.Args[2] + ": status " + strconv.Itoa(code) + "\n")
}

func fail(msg string) {
	os.Stderr.WriteString("hardened-probe: " + msg + "\n")
	os.Exit(1) // unhealthy, as a HEALTHCHECK reads it (2 is reserved)
}

// probe GETs path on the port of each loopback address until one answers, and returns the status code.
func probe(port, path string, deadline time.Time) (int, error) {
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return 0, errors.New("port " + strconv.Quote(port) + " is not from 1 to 65535")
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) {
		return 0, errors.New("path " + strconv.Quote(path) + " is not an absolute URL path")
	}
	var errs []error
	for _, h := range hosts {
		code, err := get(h, port, path, deadline)
		if err == nil {
			return code, nil
		}
		errs = append(errs, err)
	}
	return 0, errors.Join(errs...)
}

// get sends one HTTP/1.0 GET to host:port and reads the status line of the answer. It uses sockets
// directly: the net package would double the probe's size for one loopback connection.
func get(host, port, path string, deadline time.Time) (int, error) {
	fd, err := dial(host, port, time.Until(deadline))
	if err != nil {
		return 0, errors.New(host + " port " + port + ": " + err.Error())
	}
	defer syscall.Close(fd)
	req := "GET " + path + " HTTP/1.0\r\nHost: localhost:" + port + "\r\nUser-Agent: hardened-probe\r\nConnection: close\r\n\r\n"
	for b := []byte(req); len(b) > 0; {
		n, err := syscall.Write(fd, b)
		if err != nil {
			return 0, errors.New(host + " port " + port + ": " + err.Error())
		}
		b = b[n:]
	}
	line, err := statusLine(fd)
	if err != nil {
		return 0, errors.New(host + " port " + port + ": " + err.Error())
	}
	return parseStatus(line)
}

// dial connects a TCP socket to the loopback host, with timeout on the connect, every read and every write.
func dial(host, port string, timeout time.Duration) (int, error) {
	p, _ := strconv.Atoi(port)
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	if host == "::1" {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: p, Addr: [16]byte{15: 1}}
	} else {
		sa = &syscall.SockaddrInet4{Port: p, Addr: [4]byte{127, 0, 0, 1}}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	tv := syscall.NsecToTimeval(max(timeout, time.Millisecond).Nanoseconds())
	for _, opt := range []int{syscall.SO_SNDTIMEO, syscall.SO_RCVTIMEO} {
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
			syscall.Close(fd)
			return -1, err
		}
	}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// statusLine reads up to the first line break of the answer (at most 256 bytes).
func statusLine(fd int) (string, error) {
	buf := make([]byte, 0, 256)
	for len(buf) < cap(buf) {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err != nil {
			return "", err
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
		if i := strings.IndexByte(string(buf), '\n'); i >= 0 {
			return string(buf[:i]), nil
		}
	}
	return "", errors.New("no status line in the answer: " + strconv.Quote(string(buf)))
}

// parseStatus reads the code of a status line such as "HTTP/1.1 200 OK".
func parseStatus(line string) (int, error) {
	f := strings.Fields(line)
	if len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") && len(f[1]) == 3 {
		if code, err := strconv.Atoi(f[1]); err == nil {
			return code, nil
		}
	}
	return 0, errors.New("not an HTTP status line: " + strconv.Quote(strings.TrimSpace(line)))
}
