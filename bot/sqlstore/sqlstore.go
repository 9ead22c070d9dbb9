// Package sqlstore keeps the exchange log and feedback for reports: in an
// embedded SQLite database (pure Go, no cgo; WAL mode, so `supportbot
// report` can read it while the bot writes), or in PostgreSQL, which a
// fleet of replicas shares. The two run the same code and the same tests.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/supportbot/supportbot/bot"
	_ "modernc.org/sqlite"
)

// Store is the SQLite exchange log. Exchanges are written in batches by a
// background writer, so answering never waits for the disk.
type Store struct {
	db      *sql.DB
	pg      bool // PostgreSQL rather than SQLite
	mu      sync.Mutex
	pending []bot.Exchange // waiting for the writer
	// refused are handoffs taken back after their exchange went to the
	// writer; it marks them once it has written what it holds.
	refused []refusal
	// insertFull inserts rowsPerSQL exchanges, prepared once.
	insertFull *sql.Stmt
	// writeConn is the SQLite writer's own connection, with a page cache
	// that holds the indexes' hot pages (the pool's connections keep a
	// small one); nil with PostgreSQL, whose writer uses the pool, which
	// reconnects after an outage.
	writeConn *sql.Conn
	closed    bool
	closing   chan struct{}
	done      chan struct{}
	dropped   atomic.Int64
	writeErr  atomic.Pointer[error] // the last write that stored nothing
	// refuse, in tests, makes the database refuse a row as it would.
	refuse atomic.Pointer[func(bot.Exchange) error]
	once   sync.Once
	// sinceCheckpoint counts the rows written to SQLite's write-ahead log
	// since the writer last checkpointed it.
	sinceCheckpoint int
	lastCheckpoint  time.Time

	inbox     *sql.DB      // the inbox's database (inbox.go): db with PostgreSQL
	inboxOps  chan inboxOp // to the inbox writer
	inboxDone chan struct{}
}

// queueSize is how many exchanges may wait for the writer; past that they
// are counted as dropped rather than slowing answers down.
const queueSize = 8192

var (
	_ bot.Recorder       = (*Store)(nil)
	_ bot.HandoffRefuser = (*Store)(nil)
	_ bot.FeedbackStore  = (*Store)(nil)
)

// migrations bring the schema up to date, one version each, in order;
// written for SQLite and adapted to PostgreSQL by postgresDDL.
var migrations = []string{
	`CREATE TABLE exchanges (
		id INTEGER PRIMARY KEY,
		at INTEGER NOT NULL,           -- unix milliseconds
		channel TEXT NOT NULL,
		user_hash TEXT NOT NULL,
		text TEXT NOT NULL,            -- numbers masked
		lang TEXT NOT NULL,
		intent TEXT NOT NULL,
		confidence REAL NOT NULL,
		answer_id TEXT NOT NULL,
		fallback INTEGER NOT NULL,
		handoff INTEGER NOT NULL,
		latency_us INTEGER NOT NULL
	);
	CREATE INDEX exchanges_at ON exchanges(at);
	CREATE TABLE feedback (
		id INTEGER PRIMARY KEY,
		at INTEGER NOT NULL,
		channel TEXT NOT NULL,
		user_hash TEXT NOT NULL,
		intent TEXT NOT NULL,
		helpful INTEGER NOT NULL
	);
	CREATE INDEX feedback_at ON feedback(at);`,
	// Messages agents send to users from the admin console; web users
	// fetch theirs by polling.
	`CREATE TABLE agent_messages (
		id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: pages poll after an id
		at INTEGER NOT NULL,
		channel TEXT NOT NULL,
		user_hash TEXT NOT NULL,
		handoff_id TEXT NOT NULL,
		text TEXT NOT NULL             -- numbers masked
	);
	CREATE INDEX agent_messages_user ON agent_messages(user_hash, id);
	CREATE INDEX exchanges_user ON exchanges(user_hash, at);`,
	// The exchanges' index by user cost every logged message a page
	// written, and often one read, at each commit; transcripts read the
	// exchanges by time instead (see Transcripts).
	`DROP INDEX IF EXISTS exchanges_user;`,
	// Version 6 made the Slack inbox's table here; the inbox has a file of
	// its own now (inbox.go). The version stays, so databases made since
	// keep their numbers.
	`SELECT 1;`,
	// The handoff an exchange opened, so that one no person could take is
	// taken back (see HandoffRefused).
	`ALTER TABLE exchanges ADD COLUMN handoff_id TEXT NOT NULL DEFAULT '';`,
}

// Open opens (creating when needed) supportbot.db in dir and migrates it.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, "supportbot.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-512)"+
		// The writer checkpoints (see checkpoint); after one, the log file
		// is cut back to 16 MB.
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(16777216)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return start(ctx, db, false, path, dir)
}

// OpenPostgres connects to the PostgreSQL database at url (postgres://...)
// and migrates it.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(8)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return start(ctx, db, true, "postgres", "")
}

func start(ctx context.Context, db *sql.DB, pg bool, name, dir string) (*Store, error) {
	s := &Store{db: db, pg: pg, closing: make(chan struct{}), done: make(chan struct{}),
		inboxOps: make(chan inboxOp, 4*inboxBatch), inboxDone: make(chan struct{})}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", name, err)
	}
	var err error
	if !pg {
		if s.writeConn, err = db.Conn(ctx); err == nil {
			_, err = s.writeConn.ExecContext(ctx, `PRAGMA cache_size = -2048`) // KiB
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
	}
	// Prepared on the pool, not on writeConn: a transaction compiles a
	// statement of its own connection again on every use, but keeps a
	// pool statement compiled on each connection it has run on.
	if s.insertFull, err = db.PrepareContext(ctx, s.insertSQL(rowsPerSQL)); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %s: %w", name, err)
	}
	if s.inbox, err = openInbox(ctx, db, pg, dir); err != nil {
		s.insertFull.Close()
		db.Close()
		return nil, err
	}
	go s.writer()
	go s.inboxWriter()
	return s, nil
}

// q adapts a query written with ? placeholders to the database.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// postgresDDL adapts a SQLite migration to PostgreSQL.
func postgresDDL(m string) string {
	return strings.NewReplacer("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY", "at INTEGER", "at BIGINT",
		"latency_us INTEGER", "latency_us BIGINT", "fallback INTEGER", "fallback BOOLEAN", "handoff INTEGER", "handoff BOOLEAN",
		"helpful INTEGER", "helpful BOOLEAN", "REAL", "DOUBLE PRECISION",
		"BLOB", "BYTEA", "lease INTEGER", "lease BIGINT", "created INTEGER", "created BIGINT").Replace(m)
}

// Healthy reports whether the log can be written: the last write that
// failed in full (no row of its batch stored) makes it an error, until a
// write works again.
func (s *Store) Healthy() error {
	if err := s.writeErr.Load(); err != nil {
		return fmt.Errorf("exchange log cannot be written: %w", *err)
	}
	return nil
}

// Dropped counts exchanges that could not be stored.
func (s *Store) Dropped() int64 { return s.dropped.Load() }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this program (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		m := migrations[i]
		if s.pg {
			m = postgresDDL(m)
		}
		if hasColumn(ctx, tx, m) {
			m = `SELECT 1` // a build between versions added it already
		}
		if _, err := tx.ExecContext(ctx, m); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version) VALUES (?)`), i+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

var addColumn = regexp.MustCompile(`^ALTER TABLE (\w+) ADD COLUMN (\w+) `)

// hasColumn reports whether migration m adds a column the table has.
func hasColumn(ctx context.Context, tx *sql.Tx, m string) bool {
	g := addColumn.FindStringSubmatch(m)
	if g == nil {
		return false
	}
	// In a savepoint: with PostgreSQL a failed statement ends the
	// transaction otherwise.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT has_column`); err != nil {
		return false
	}
	_, err := tx.ExecContext(ctx, `SELECT `+g[2]+` FROM `+g[1]+` LIMIT 0`)
	if err != nil {
		tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT has_column`)
		return false
	}
	tx.ExecContext(ctx, `RELEASE SAVEPOINT has_column`)
	return true
}

// Close stores what is queued and closes the database.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
	})
	<-s.done
	<-s.inboxDone
	s.insertFull.Close()
	if s.writeConn != nil {
		s.writeConn.Close()
	}
	if s.inbox != s.db {
		s.inbox.Close()
	}
	return s.db.Close()
}

// Ping checks the database answers, for readiness.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Record implements bot.Recorder: it queues the exchange for the writer
// (text masked again there, in case) and never waits for the disk.
func (s *Store) Record(ctx context.Context, x bot.Exchange) error {
	s.mu.Lock()
	if s.closed || len(s.pending) >= queueSize {
		s.mu.Unlock()
		s.dropped.Add(1)
		return errQueueFull
	}
	s.pending = append(s.pending, x)
	s.mu.Unlock()
	return nil
}

var errQueueFull = errors.New("exchange log queue is full or closed; exchange not stored")

// refusal is a handoff taken back, and when.
type refusal struct {
	id string
	at time.Time
}

// refusalWindow is how long after its exchange a handoff may be taken
// back: the search for the exchange is limited to it, by the index on at.
const refusalWindow = time.Hour

// HandoffRefused implements bot.HandoffRefuser: the exchange that opened
// the handoff id no longer counts as a handoff. While that exchange waits
// for the writer it is changed there; otherwise the writer marks its row
// after its next flush.
func (s *Store) HandoffRefused(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	for i := range s.pending {
		if x := &s.pending[i]; x.HandoffID == id {
			x.Handoff = false
			return nil
		}
	}
	s.refused = append(s.refused, refusal{id, time.Now()})
	return nil
}

var errClosed = errors.New("exchange log is closed")

// markRefused marks the rows of handoffs taken back as no handoffs.
func (s *Store) markRefused(refused []refusal) {
	for _, r := range refused {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := s.db.ExecContext(ctx, s.q(`UPDATE exchanges SET handoff = ? WHERE handoff_id = ? AND at >= ?`),
			false, r.id, r.at.Add(-refusalWindow).UnixMilli())
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "supportbot: exchange log: mark a refused handoff: %v\n", err)
		}
	}
}

// SaveFeedback implements bot.FeedbackStore.
func (s *Store) SaveFeedback(ctx context.Context, f bot.Feedback) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO feedback (at, channel, user_hash, intent, helpful) VALUES (?, ?, ?, ?, ?)`),
		f.At.UnixMilli(), f.Channel, bot.HashUser(f.Channel, f.User), f.Intent, f.Helpful)
	return err
}

// Prune deletes what is older than retention; it returns the rows deleted.
func (s *Store) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	cut := time.Now().Add(-retention).UnixMilli()
	var n int64
	for _, table := range []string{"exchanges", "feedback", "agent_messages"} {
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE at < ?`), cut)
		if err != nil {
			return n, err
		}
		d, _ := res.RowsAffected()
		n += d
	}
	return n, nil
}
