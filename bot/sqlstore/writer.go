package sqlstore

// The exchange log's writer: batches, checkpoints, and a batch the
// database refuses written again row by row.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/phone"
	_ "modernc.org/sqlite"
)

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
