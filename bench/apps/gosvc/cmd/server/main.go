// Command server is the bench's realistic Go service: a notes API on chi with PostgreSQL through pgx,
// Prometheus metrics, zap logs, validated input and a rate limit. It exists so the bench's Go figures
// include the compile of a real dependency graph; examples/go stays small.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/caarlos0/env/v11"
	"go.uber.org/zap"

	"example.com/hardened-gosvc/internal/notes"
)

// config comes from the environment only, so the image needs no config file.
type config struct {
	Addr        string        `env:"ADDR" envDefault:":8080"`
	DatabaseURL string        `env:"DATABASE_URL" envDefault:"postgres://notes@127.0.0.1:5432/notes?sslmode=disable"`
	RatePerSec  float64       `env:"RATE_PER_SECOND" envDefault:"50"`
	Shutdown    time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s"`
	Debug       bool          `env:"DEBUG"`
}

func main() {
	check := flag.Bool("check", false, "probe the running server's /healthz and exit 0 when it answers")
	migrate := flag.Bool("migrate", false, "create the notes table when it is missing and exit (a deploy job runs it)")
	flag.Parse()
	var cfg config
	if err := env.Parse(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(2)
	}
	if *check {
		os.Exit(notes.Probe("http://127.0.0.1" + notes.PortOf(cfg.Addr) + "/healthz"))
	}
	if err := run(cfg, *migrate); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(cfg config, migrate bool) error {
	log, err := newLogger(cfg.Debug)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The pool connects on first use, so the service starts (and answers /healthz) before the database is up.
	store, err := notes.OpenStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if migrate {
		return store.Migrate(ctx)
	}
	api := notes.NewAPI(store, log, cfg.RatePerSec)
	srv := &http.Server{Addr: cfg.Addr, Handler: api.Routes(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", zap.String("addr", cfg.Addr), zap.Int("uid", os.Getuid()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newLogger(debug bool) (*zap.Logger, error) {
	c := zap.NewProductionConfig()
	if debug {
		c.Level = zap.NewAtomicLevelAt(zap.DebugLevel)
	}
	return c.Build()
}
