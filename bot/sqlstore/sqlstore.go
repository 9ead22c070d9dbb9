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
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/phone"
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

	inboxOps  chan inboxOp // to the inbox writer (inbox.go)
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
	inboxDDL,
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
	return start(ctx, db, false, path)
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
	return start(ctx, db, true, "postgres")
}

func start(ctx context.Context, db *sql.DB, pg bool, name string) (*Store, error) {
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

// writer stores what Record queued every flushEvery, in transactions of
// multi-row inserts: under load a few commits a second instead of one per
// message. Record only appends under a lock and never wakes the writer: a
// channel send per message would hand the CPU to the writer goroutine on
// every answer, which with few cores delays other requests by whole
// scheduler time slices (the p99 of /checknum went from 2 ms to 15 ms).
func (s *Store) writer() {
	defer close(s.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	var spare []bot.Exchange
	for {
		stop := false
		select {
		case <-tick.C:
		case <-s.closing:
			stop = true
		}
		s.mu.Lock()
		batch, refused := s.pending, s.refused
		s.pending, s.refused = spare[:0], nil
		s.mu.Unlock()
		flush := func() {
			for rest := batch; len(rest) > 0; {
				n := min(len(rest), batchSize)
				s.writeOrRetry(rest[:n])
				rest = rest[n:]
			}
		}
		// A small flush is mostly the commit's writes to the log, system
		// calls that would hold the only processor; it and checkpoints get
		// a spare one (see spareProc). A large flush is mostly CPU work,
		// which pauses between statements instead: run beside the server
		// on the same CPU, it would take the kernel's whole time slices.
		switch {
		case len(batch) == 0: // nothing to do: no spare processor either
		case !s.pg && len(batch) < checkpointQuiet:
			spareProc.run(flush)
		default:
			flush()
		}
		// After the flush: a refusal queued here came after its exchange
		// had left pending, so that exchange is written by now.
		s.markRefused(refused)
		if !s.pg && s.needCheckpoint(len(batch)) {
			spareProc.run(s.checkpoint)
		}
		clear(batch) // let the texts go
		spare = batch
		if stop {
			return
		}
	}
}

// Checkpoints: SQLite's automatic checkpoint runs inside the commit that
// takes the write-ahead log past 1000 pages, and ends in fsyncs that take
// 5-45 ms on a virtual disk. Go's scheduler gets a CPU back from a thread
// blocked in a system call only when its monitor next looks, up to 10 ms
// later, so on a busy server with one CPU every request waits that long.
// The writer checkpoints itself instead, with a spare processor (see
// spareProc), at a quiet moment: once enough
// log has built up and the last flush was small. Under sustained load it
// waits until the log reaches checkpointForced rows (about 720 bytes of
// log each), which bounds the log's size.
const (
	checkpointDue    = 5000   // about 3.6 MB of log, as SQLite's default
	checkpointQuiet  = 200    // rows in a flush (2,000 a second) below which the server is quiet
	checkpointForced = 200000 // about 140 MB of log: checkpoint whatever the load
)

// checkpointEvery: at a quiet moment, a checkpoint is due after this long
// even with few exchanges written (a variable for tests).
var checkpointEvery = 5 * time.Minute

// needCheckpoint counts flushed rows and reports whether a checkpoint is
// due (see above).
func (s *Store) needCheckpoint(flushed int) bool {
	s.sinceCheckpoint += flushed
	quiet := flushed < checkpointQuiet
	// Other writes (feedback, agent replies, pruning) are not counted:
	// a quiet moment also checkpoints once checkpointEvery has passed.
	due := s.sinceCheckpoint >= checkpointDue || time.Since(s.lastCheckpoint) >= checkpointEvery
	return quiet && due || s.sinceCheckpoint >= checkpointForced
}

// checkpoint copies the log into the database.
func (s *Store) checkpoint() {
	s.lastCheckpoint = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var busy, log, done int
	if err := s.writeConn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		fmt.Fprintf(os.Stderr, "supportbot: exchange log: checkpoint: %v\n", err)
		return
	}
	if done == log { // all of it; otherwise a reader held part back: try again next flush
		s.sinceCheckpoint = 0
	}
}

const (
	batchSize  = 1024
	flushEvery = 100 * time.Millisecond
	// rowsPerSQL rows go in one INSERT statement (12 values each), about
	// 0.4 ms of work; the writer pauses between statements so that on a
	// busy server it holds a CPU for that long at a time, not for a whole
	// batch. (runtime.Gosched is not enough: a yielding goroutine is run
	// again before the network poller is asked for ready connections.)
	rowsPerSQL = 32
)

// pause is the writer's rest between statements (a variable for the
// benchmark, which measures the work alone).
var pause = 200 * time.Microsecond

func (s *Store) write(batch []bot.Exchange) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := s.db.BeginTx
	if s.writeConn != nil {
		begin = s.writeConn.BeginTx
	}
	tx, err := begin(ctx, nil)
	if err != nil {
		return err
	}
	args := make([]any, 0, rowsPerSQL*12)
	for len(batch) > 0 {
		n := min(len(batch), rowsPerSQL)
		args = args[:0]
		for _, x := range batch[:n] {
			if refuse := s.refuse.Load(); refuse != nil {
				if err := (*refuse)(x); err != nil {
					tx.Rollback()
					return err
				}
			}
			args = append(args, x.At.UnixMilli(), text(x.Channel), text(x.UserHash), text(phone.MaskText(x.Text)), text(x.Lang), text(x.Intent),
				x.Confidence, text(x.AnswerID), x.Fallback, x.Handoff, text(x.HandoffID), x.Latency.Microseconds())
		}
		var err error
		if n == rowsPerSQL { // the statement is compiled once, not per batch
			_, err = tx.StmtContext(ctx, s.insertFull).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, s.insertSQL(n), args...)
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		batch = batch[n:]
		if len(batch) > 0 {
			time.Sleep(pause)
		}
	}
	return tx.Commit()
}

// text is s as both databases store text: valid UTF-8 without NUL
// (PostgreSQL refuses either, and with it the whole statement).
func text(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// insertSQL is the INSERT of n exchanges.
func (s *Store) insertSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO exchanges (at, channel, user_hash, text, lang, intent, confidence, answer_id, fallback, handoff, handoff_id, latency_us) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return s.q(q.String())
}

// writeOrRetry writes a batch; when the batch fails, it writes its rows
// one by one, so that one row the database refuses does not take the
// others with it. What still fails is counted, and said in one line; when
// nothing could be written, Healthy says so until a write works again.
func (s *Store) writeOrRetry(batch []bot.Exchange) {
	err := s.write(batch)
	if err == nil {
		s.writeErr.Store(nil)
		return
	}
	failed, stored := 0, 0
	var first error
	for i := range batch {
		if err := s.write(batch[i : i+1]); err != nil {
			failed++
			if first == nil {
				first = err
			}
			continue
		}
		stored++
	}
	if failed == 0 {
		s.writeErr.Store(nil)
		return
	}
	s.dropped.Add(int64(failed))
	if stored == 0 {
		s.writeErr.Store(&first)
	} else {
		s.writeErr.Store(nil)
	}
	fmt.Fprintf(os.Stderr, "supportbot: exchange log: %d of %d exchanges not stored (the others were): %v\n", failed, len(batch), first)
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

// examplesPerGroup is how many questions a bot.NearestGroup lists.
const examplesPerGroup = 5

// bot.Report reads the log since since. normalize groups questions written
// differently (the bot's Normalizer); nearest names the FAQ entry nearest
// to a question ("" for none, nil to skip the grouping); lowBar is the
// confidence under which an answer counts as low-confidence; top limits
// each list.
func (s *Store) Report(ctx context.Context, since time.Time, normalize func(string) string, nearest func(string) string, lowBar float64, top int) (bot.Report, error) {
	r := bot.Report{Since: since}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT text, intent, confidence, fallback, handoff FROM exchanges WHERE at >= ?`), since.UnixMilli())
	if err != nil {
		return r, err
	}
	defer rows.Close()
	unanswered, low := map[string]*group{}, map[string]*group{}
	intents := map[string]int{}
	for rows.Next() {
		var text, intent string
		var conf float64
		var fallback, handoff bool
		if err := rows.Scan(&text, &intent, &conf, &fallback, &handoff); err != nil {
			return r, err
		}
		r.Messages++
		intents[intent]++
		if fallback {
			r.FallbackCalls++
		}
		if handoff {
			r.Handoffs++
		}
		var m map[string]*group
		switch {
		case intent == bot.IntentNone || intent == bot.IntentClarify:
			m = unanswered
		case conf < lowBar && intent != bot.IntentChecknum && intent != bot.IntentHandoff:
			m = low
		default:
			continue
		}
		key := normalize(text)
		if key == "" {
			continue
		}
		g := m[key+"\x00"+intent]
		if g == nil {
			g = &group{q: bot.Asked{Text: text, Intent: intent}}
			m[key+"\x00"+intent] = g
		}
		g.q.Count++
		g.sum += conf
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	flatten := func(m map[string]*group) []bot.Asked {
		var out []bot.Asked
		for _, g := range m {
			g.q.Confidence = float64(int(g.sum/float64(g.q.Count)*1000)) / 1000
			out = append(out, g.q)
		}
		sortQuestions(out)
		if len(out) > top {
			out = out[:top]
		}
		return out
	}
	if nearest != nil {
		r.ByNearest = groupByNearest(unanswered, nearest, top)
	}
	r.Unanswered, r.LowConfidence = flatten(unanswered), flatten(low)
	for k, v := range intents {
		r.Intents = append(r.Intents, bot.IntentCount{Intent: k, Count: v})
	}
	sortIntents(r.Intents)
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COUNT(*) FILTER (WHERE helpful = ?) FROM feedback WHERE at >= ?`), true, since.UnixMilli()).Scan(&r.Feedback, &r.Helpful)
	if err != nil {
		return r, err
	}
	if r.Feedback > 0 {
		r.HelpfulPercent = math.Round(float64(r.Helpful)/float64(r.Feedback)*1000) / 10
	}
	return r, nil
}

// group is one question of a report's list, and its confidences' sum.
type group struct {
	q   bot.Asked
	sum float64
}

// groupByNearest groups the unanswered questions by their nearest entry.
func groupByNearest(unanswered map[string]*group, nearest func(string) string, top int) []bot.NearestGroup {
	by := map[string]*bot.NearestGroup{}
	for _, g := range unanswered {
		entry := nearest(g.q.Text)
		ng := by[entry]
		if ng == nil {
			ng = &bot.NearestGroup{Entry: entry}
			by[entry] = ng
		}
		ng.Count += g.q.Count
		ng.Examples = append(ng.Examples, g.q)
	}
	out := make([]bot.NearestGroup, 0, len(by))
	for _, ng := range by {
		sortQuestions(ng.Examples)
		if len(ng.Examples) > examplesPerGroup {
			ng.Examples = ng.Examples[:examplesPerGroup]
		}
		out = append(out, *ng)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Entry < out[j].Entry
	})
	if len(out) > top {
		out = out[:top]
	}
	return out
}

func sortQuestions(qs []bot.Asked) {
	sort.Slice(qs, func(i, j int) bool {
		if qs[i].Count != qs[j].Count {
			return qs[i].Count > qs[j].Count
		}
		return qs[i].Text < qs[j].Text
	})
}

func sortIntents(is []bot.IntentCount) {
	sort.Slice(is, func(i, j int) bool {
		if is[i].Count != is[j].Count {
			return is[i].Count > is[j].Count
		}
		return is[i].Intent < is[j].Intent
	})
}
