// Command hardened checks hardened.yaml files without building them and prints the JSON Schema
// editors use to complete and check them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hardenedbuild/hardened/spec"
)

// knownLanguages are the languages lint accepts; the llb package owns the real list, and the CLI
// does not import it to stay free of BuildKit.
var knownLanguages = []string{"go"}

const usage = `hardened checks hardened.yaml build specs.

Usage:
  hardened lint [FILE...]   check each spec (default hardened.yaml); exit 1 on problems
  hardened schema           print the JSON Schema of hardened.yaml
  hardened help             print this help

Exit status: 0 when all is well, 1 when a spec has problems or cannot be read, 2 on a usage error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, returning its exit status, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened", stderr)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "lint":
		return lint(rest, stdout, stderr)
	case "schema":
		return schema(rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hardened: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // run prints the one usage text itself
	return fs
}

// parseFlags parses args; when it returns false the command is over with the given status.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0, false
	}
	fmt.Fprintf(stderr, "\n%s", usage)
	return 2, false
}

// lint loads each file as a build would and reports every problem, one per line.
func lint(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened lint", stderr)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"hardened.yaml"}
	}
	status := 0
	for _, name := range files {
		if !lintFile(name, stdout, stderr) {
			status = 1
		}
	}
	return status
}

func lintFile(name string, stdout, stderr io.Writer) bool {
	data, err := readSpec(name)
	if err != nil {
		fmt.Fprintf(stderr, "hardened: %v\n", err)
		return false
	}
	if _, err := spec.Load(name, data, spec.WithLanguages(knownLanguages...)); err != nil {
		fmt.Fprintln(stderr, err)
		return false
	}
	fmt.Fprintf(stdout, "%s: ok\n", name)
	return true
}

// readSpec reads at most one byte past spec.MaxFileSize, enough for Load to refuse a huge file
// without holding all of it.
func readSpec(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, spec.MaxFileSize+1))
}

func schema(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("hardened schema", stderr)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hardened: schema takes no arguments\n\n%s", usage)
		return 2
	}
	out, err := spec.Schema()
	if err != nil {
		fmt.Fprintf(stderr, "hardened: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "hardened: %v\n", err)
		return 1
	}
	return 0
}
