package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot"
)

var _ bot.Inbox = (*Store)(nil)

// inboxOp is one change for the inbox writer: a Put (done is waited on),
// a Done (nobody waits) or a Release (waited on).
type inboxOp struct {
	put     *bot.InboxEntry
	owner   string
	lease   time.Duration
	drop    string
	release bool
	ids     []string // a release of these entries only
	done    chan error
}

// inboxBatch is how many changes one transaction takes at most.
const inboxBatch = 256

// Put implements bot.Inbox. Puts that arrive together are stored in one
// transaction (a group commit), so the cost of a commit is shared.
func (s *Store) Put(ctx context.Context, e bot.InboxEntry, owner string, lease time.Duration) error {
	return s.inboxWait(ctx, inboxOp{put: &e, owner: owner, lease: lease})
}

// Done implements bot.Inbox.
func (s *Store) Done(id string) {
	select {
	case s.inboxOps <- inboxOp{drop: id}:
	case <-s.closing:
	}
}

// Release implements bot.Inbox. It is stored after every Done before it.
func (s *Store) Release(ctx context.Context, owner string, ids ...string) error {
	return s.inboxWait(ctx, inboxOp{release: true, owner: owner, ids: ids})
}

func (s *Store) inboxWait(ctx context.Context, op inboxOp) error {
	op.done = make(chan error, 1)
	select {
	case s.inboxOps <- op:
	case <-s.closing:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// inboxWriter stores the inbox's changes in arrival order, as many as are
// waiting in each transaction, until the store closes; what is waiting
// then is stored first.
func (s *Store) inboxWriter() {
	defer close(s.inboxDone)
	for {
		var ops []inboxOp
		select {
		case op := <-s.inboxOps:
			ops = append(ops, op)
		case <-s.closing:
			for {
				select {
				case op := <-s.inboxOps:
					ops = append(ops, op)
					continue
				default:
				}
				break
			}
			if len(ops) > 0 {
				s.storeInbox(ops)
			}
			return
		}
	gather:
		for len(ops) < inboxBatch {
			select {
			case op := <-s.inboxOps:
				ops = append(ops, op)
			default:
				break gather
			}
		}
		s.storeInbox(ops)
	}
}

// storeInbox applies ops and tells those waiting how it went.
func (s *Store) storeInbox(ops []inboxOp) {
	err := s.applyInbox(ops)
	waited := false
	for _, op := range ops {
		if op.done != nil {
			op.done <- err
			waited = true
		}
	}
	if err != nil && !waited {
		fmt.Fprintf(os.Stderr, "supportbot: exchange log: inbox: %d answered events not marked done (they may be answered again): %v\n", len(ops), err)
	}
}

// applyInbox stores ops in one transaction, in their order, each run of
// puts or drops in as few statements as it takes.
func (s *Store) applyInbox(ops []inboxOp) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := s.inbox.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for len(ops) > 0 {
		n := 1
		for n < len(ops) && sameKind(ops[n], ops[0]) && !ops[0].release {
			n++
		}
		run := ops[:n]
		switch {
		case run[0].put != nil:
			err = s.putInbox(ctx, tx, run)
		case run[0].release:
			err = s.releaseInbox(ctx, tx, run[0])
		default:
			err = s.dropInbox(ctx, tx, run)
		}
		if err != nil {
			return err
		}
		ops = ops[n:]
	}
	return tx.Commit()
}

// sameKind reports whether a and b are both puts, or both drops.
func sameKind(a, b inboxOp) bool {
	return (a.put != nil) == (b.put != nil) && a.release == b.release
}

// releaseInbox ends the leases of a release's entries.
func (s *Store) releaseInbox(ctx context.Context, tx *sql.Tx, op inboxOp) error {
	q, args := `UPDATE inbox SET lease = 0 WHERE owner = ?`, []any{op.owner}
	if len(op.ids) > 0 {
		q += ` AND id IN (?` + strings.Repeat(", ?", len(op.ids)-1) + `)`
		for _, id := range op.ids {
			args = append(args, id)
		}
	}
	_, err := tx.ExecContext(ctx, s.q(q), args...)
	return err
}

// inboxRows is how many rows one statement writes at most.
const inboxRows = 64

// putInbox inserts the puts' entries, many to a statement.
func (s *Store) putInbox(ctx context.Context, tx *sql.Tx, puts []inboxOp) error {
	now := time.Now()
	for len(puts) > 0 {
		n := min(len(puts), inboxRows)
		var q strings.Builder
		q.WriteString(`INSERT INTO inbox (id, channel, payload, owner, lease, created) VALUES `)
		args := make([]any, 0, 6*n)
		for i, op := range puts[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, op.put.ID, op.put.Channel, op.put.Payload, op.owner, now.Add(op.lease).UnixMilli(), now.UnixMilli())
		}
		q.WriteString(` ON CONFLICT (id) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
			return err
		}
		puts = puts[n:]
	}
	return nil
}

// dropInbox deletes the drops' entries, many to a statement.
func (s *Store) dropInbox(ctx context.Context, tx *sql.Tx, drops []inboxOp) error {
	for len(drops) > 0 {
		n := min(len(drops), inboxRows)
		args := make([]any, n)
		for i, op := range drops[:n] {
			args[i] = op.drop
		}
		q := `DELETE FROM inbox WHERE id IN (?` + strings.Repeat(", ?", n-1) + `)`
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return err
		}
		drops = drops[n:]
	}
	return nil
}

// Renew implements bot.Inbox.
func (s *Store) Renew(ctx context.Context, owner string, lease time.Duration) error {
	_, err := s.inbox.ExecContext(ctx, s.q(`UPDATE inbox SET lease = ? WHERE owner = ? AND lease > 0`), time.Now().Add(lease).UnixMilli(), owner)
	return err
}

// Claim implements bot.Inbox. With PostgreSQL, replicas claiming at the
// same moment skip each other's rows; SQLite has one writer.
func (s *Store) Claim(ctx context.Context, channel, owner string, lease time.Duration, max int) ([]bot.InboxEntry, error) {
	if max <= 0 {
		return nil, nil
	}
	now := time.Now()
	pick := `SELECT id FROM inbox WHERE channel = ? AND lease < ? ORDER BY created LIMIT ?`
	if s.pg {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := s.inbox.QueryContext(ctx, s.q(`UPDATE inbox SET owner = ?, lease = ? WHERE id IN (`+pick+`)
		RETURNING id, channel, payload, created`), owner, now.Add(lease).UnixMilli(), channel, now.UnixMilli(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bot.InboxEntry
	for rows.Next() {
		var e bot.InboxEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.Channel, &e.Payload, &created); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// The inbox's table; lease is unix ms, 0 when released. With SQLite it
// lives in a database file of its own, inbox.db beside supportbot.db: a
// commit there never waits for the exchange log's writer, which holds its
// file's write lock for a batch at a time (an ack waited up to 8 ms for it).
// Its writes are not synced to the disk (synchronous=OFF): what a commit
// wrote is in the system's cache, so a killed or crashed process loses
// nothing, and acks do not wait for the checkpoints' fsyncs (up to 45 ms on
// a virtual disk); a crash of the machine itself may lose the last entries.
const inboxDDL = `CREATE TABLE IF NOT EXISTS inbox (
		id TEXT PRIMARY KEY,
		channel TEXT NOT NULL,
		payload BLOB NOT NULL,
		owner TEXT NOT NULL,
		lease INTEGER NOT NULL,
		created INTEGER NOT NULL
	);
	CREATE INDEX IF NOT EXISTS inbox_lease ON inbox(channel, lease);`

// openInbox opens the inbox's database: the store's own with PostgreSQL,
// inbox.db in dir with SQLite; and creates its table.
func openInbox(ctx context.Context, db *sql.DB, pg bool, dir string) (*sql.DB, error) {
	if !pg {
		var err error
		path := filepath.Join(dir, "inbox.db")
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(OFF)")
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		db.SetMaxOpenConns(1) // one writer: callers queue in Go, not in SQLite's busy wait
	}
	ddl := inboxDDL
	if pg {
		ddl = postgresDDL(ddl)
	}
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		if !pg {
			db.Close()
		}
		return nil, fmt.Errorf("create the inbox: %w", err)
	}
	return db, nil
}
