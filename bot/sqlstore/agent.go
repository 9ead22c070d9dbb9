package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/phone"
)

// AddAgentMessage stores an agent's message to a user (numbers masked, as
// all stored text) and returns its id.
func (s *Store) AddAgentMessage(ctx context.Context, channel, user, handoffID, text string) (int64, error) {
	args := []any{time.Now().UnixMilli(), channel, bot.HashUser(channel, user), handoffID, phone.MaskText(text)}
	if s.pg {
		var id int64
		err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO agent_messages (at, channel, user_hash, handoff_id, text) VALUES (?, ?, ?, ?, ?) RETURNING id`), args...).Scan(&id)
		return id, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO agent_messages (at, channel, user_hash, handoff_id, text) VALUES (?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// AgentMessages returns up to 50 messages agents sent the user after the
// message with id after, oldest first, and the id of the user's last
// message (0 for none).
func (s *Store) AgentMessages(ctx context.Context, channel, user string, after int64) ([]bot.AgentMessage, int64, error) {
	hash := bot.HashUser(channel, user)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, text FROM agent_messages WHERE user_hash = ? AND id > ? ORDER BY id LIMIT 50`), hash, after)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []bot.AgentMessage{}
	for rows.Next() {
		var m bot.AgentMessage
		var at int64
		if err := rows.Scan(&m.ID, &at, &m.Text); err != nil {
			return nil, 0, err
		}
		m.At = time.UnixMilli(at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) > 0 {
		return out, out[len(out)-1].ID, nil
	}
	var last int64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(id), 0) FROM agent_messages WHERE user_hash = ?`), hash).Scan(&last)
	return out, last, err
}

// Transcript is Transcripts for one user.
func (s *Store) Transcript(ctx context.Context, channel, user string, since time.Time) ([]bot.Line, error) {
	ts, err := s.Transcripts(ctx, []bot.TranscriptQuery{{Channel: channel, User: user, Since: since}})
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// transcriptLines is the most lines a transcript keeps, the newest.
const transcriptLines = 50

// Transcripts returns, for each query, what the user wrote since its time
// and what agents wrote back, in order (at most the newest 50 lines; a
// user line before an agent line of the same millisecond). The users'
// messages reach the log through the batched writer, so the newest may
// lag by a moment.
//
// The exchange log has no index by user: on a busy server every logged
// message paid for one, a page of it written and often read at each
// commit. So the users' lines come from one pass over the exchanges since
// the earliest time asked for, as the report reads its period; agents'
// lines are few, and indexed by user.
func (s *Store) Transcripts(ctx context.Context, qs []bot.TranscriptQuery) ([][]bot.Line, error) {
	if len(qs) == 0 {
		return [][]bot.Line{}, nil
	}
	lines := make([][]transcriptLine, len(qs))
	hashes := make([]string, len(qs))
	byHash := map[string][]int{} // user hash -> queries
	var args []any
	since := qs[0].Since
	for i, q := range qs {
		h := bot.HashUser(q.Channel, q.User)
		hashes[i] = h
		if _, ok := byHash[h]; !ok {
			args = append(args, h)
		}
		byHash[h] = append(byHash[h], i)
		if q.Since.Before(since) {
			since = q.Since
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(transcriptSQL(len(args))), append([]any{since.UnixMilli()}, args...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l transcriptLine
		var at int64
		var hash, channel string
		if err := rows.Scan(&at, &l.Text, &l.Intent, &l.id, &hash, &channel); err != nil {
			rows.Close()
			return nil, err
		}
		l.At, l.From = time.UnixMilli(at), "user"
		for _, i := range byHash[hash] {
			if qs[i].Channel == channel && at >= qs[i].Since.UnixMilli() {
				lines[i] = append(lines[i], l)
				if len(lines[i]) == 2*transcriptLines { // a chatty user: keep the newest only
					lines[i] = newest(lines[i])
				}
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, q := range qs {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT at, text, id FROM agent_messages WHERE user_hash = ? AND at >= ? ORDER BY id DESC LIMIT ?`),
			hashes[i], q.Since.UnixMilli(), transcriptLines)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			l := transcriptLine{Line: bot.Line{From: "agent"}}
			var at int64
			if err := rows.Scan(&at, &l.Text, &l.id); err != nil {
				rows.Close()
				return nil, err
			}
			l.At = time.UnixMilli(at)
			lines[i] = append(lines[i], l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([][]bot.Line, len(qs))
	for i, ls := range lines {
		ls = newest(ls)
		out[i] = make([]bot.Line, len(ls))
		for j, l := range ls {
			out[i][j] = l.Line
		}
	}
	return out, nil
}

// transcriptLine is a transcript's line with its row id, for the order.
type transcriptLine struct {
	bot.Line
	id int64
}

// newest sorts lines in order (a user line before an agent line of the
// same millisecond) and keeps the last transcriptLines of them.
func newest(ls []transcriptLine) []transcriptLine {
	slices.SortFunc(ls, func(a, b transcriptLine) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.From != b.From {
			return -strings.Compare(a.From, b.From) // "user" first
		}
		return cmp.Compare(a.id, b.id)
	})
	return ls[max(0, len(ls)-transcriptLines):]
}

// transcriptSQL reads the exchanges of n users since a time.
func transcriptSQL(n int) string {
	return `SELECT at, text, intent, id, user_hash, channel FROM exchanges WHERE at >= ? AND user_hash IN (` + strings.Repeat(", ?", n)[2:] + `)`
}

// IntentsByDay counts exchanges per UTC day and intent since a time.
func (s *Store) IntentsByDay(ctx context.Context, since time.Time) ([]bot.DayCount, error) {
	const day = 86400000
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at / ? AS d, intent, COUNT(*) FROM exchanges WHERE at >= ? GROUP BY d, intent ORDER BY d, intent`),
		int64(day), since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bot.DayCount
	for rows.Next() {
		var d int64
		var c bot.DayCount
		if err := rows.Scan(&d, &c.Intent, &c.Count); err != nil {
			return nil, err
		}
		c.Day = time.UnixMilli(d * day).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
