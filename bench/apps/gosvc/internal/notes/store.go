// Package notes is the service's domain: notes kept in PostgreSQL, served over HTTP.
package notes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Note is one stored note.
type Note struct {
	ID      int64     `json:"id"`
	Title   string    `json:"title" validate:"required,max=200"`
	Body    string    `json:"body" validate:"max=10000"`
	Tags    []string  `json:"tags" validate:"max=10,dive,alphanum,max=32"`
	Created time.Time `json:"created"`
}

// ErrNotFound is a note id the table does not hold.
var ErrNotFound = errors.New("note not found")

// Store keeps notes in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// OpenStore makes the pool; pgxpool connects lazily, so no database is needed until the first query.
func OpenStore(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool}, nil
}

func (s *Store) Close() { s.pool.Close() }

// Migrate creates the table when it is missing.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS notes (
		id bigserial PRIMARY KEY, title text NOT NULL, body text NOT NULL DEFAULT '',
		tags text[] NOT NULL DEFAULT '{}', created timestamptz NOT NULL DEFAULT now())`)
	return err
}

func (s *Store) Create(ctx context.Context, n Note) (Note, error) {
	row := s.pool.QueryRow(ctx, `INSERT INTO notes (title, body, tags) VALUES ($1, $2, $3) RETURNING id, created`,
		n.Title, n.Body, n.Tags)
	err := row.Scan(&n.ID, &n.Created)
	return n, err
}

func (s *Store) Get(ctx context.Context, id int64) (Note, error) {
	var n Note
	err := s.pool.QueryRow(ctx, `SELECT id, title, body, tags, created FROM notes WHERE id = $1`, id).
		Scan(&n.ID, &n.Title, &n.Body, &n.Tags, &n.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, ErrNotFound
	}
	return n, err
}

// List is the newest notes first, at most limit of them.
func (s *Store) List(ctx context.Context, limit int) ([]Note, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, title, body, tags, created FROM notes ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Note])
}

// Ping says whether the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
