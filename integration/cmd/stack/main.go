// Command stack runs the local build stack (registry, buildkitd, buildx builder, stand-in base images) that the
// integration tests and "make demo" use.
//
//	stack up [--state DIR]              start it (idempotent) and push the stand-ins
//	stack down [--state DIR]            stop it, remove the buildx builder, keep the caches
//	stack status [--state DIR]          print stack.json if the stack is healthy
//	stack env [--state DIR]             print export lines for a shell: eval "$(stack env)"
//	stack build-frontend [--state DIR] [--repo DIR]  build the frontend image from ./frontend.Dockerfile and push it as hardenedbuild/hardened:1
//	stack serve --state DIR ...         the detached process "up" starts (not for direct use)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/hardenedbuild/hardened/integration/stack"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "stack %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: stack up|down|status|env|build-frontend [--state DIR]")
	os.Exit(2)
}

func run(ctx context.Context, sub string, args []string) error {
	fs := flag.NewFlagSet(sub, flag.ExitOnError)
	state := fs.String("state", "", "state directory (default <repo>/.stack)")
	buildkitd := fs.String("buildkitd", "", "buildkitd binary (serve only)")
	portHint := fs.Int("port-hint", 0, "registry port to try first (serve only)")
	repo := fs.String("repo", "", "repository whose Dockerfile build-frontend builds (default: the stack's)")
	fs.Parse(args)
	if fs.NArg() > 0 {
		usage()
	}
	opts := stack.Options{StateDir: *state, Log: os.Stderr}

	switch sub {
	case "serve":
		log.SetPrefix("serve: ")
		if *state == "" || *buildkitd == "" {
			return errors.New("serve needs --state and --buildkitd")
		}
		return stack.Serve(ctx, stack.ServeOptions{StateDir: *state, Buildkitd: *buildkitd, PortHint: *portHint})
	case "up":
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		opts.Exe = exe
		s, err := stack.Up(ctx, opts)
		if err != nil {
			return err
		}
		printEnv(s)
		return nil
	case "down":
		return stack.Stop(ctx, opts)
	case "status":
		s, err := stack.Load(*state)
		if err != nil {
			return err
		}
		data, _ := json.MarshalIndent(s, "", "  ")
		fmt.Println(string(data))
		return nil
	case "env":
		s, err := stack.Load(*state)
		if err != nil {
			return err
		}
		printEnv(s)
		return nil
	case "build-frontend":
		s, err := stack.Load(*state)
		if err != nil {
			return err
		}
		s.SetLog(os.Stderr)
		digest, err := s.BuildFrontend(ctx, *repo)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "pushed %s@%s\n", s.FrontendRef(), digest)
		fmt.Println(digest)
		return nil
	default:
		usage()
		return nil
	}
}

func printEnv(s *stack.Stack) {
	for _, kv := range s.Env() {
		fmt.Printf("export %s\n", kv)
	}
}
