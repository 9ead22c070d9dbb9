package sqlstore

import (
	"context"
	"time"

	"github.com/supportbot/supportbot/bot"
)

// AgentMessage is what an agent wrote to a user from the admin console.
type AgentMessage struct {
	ID   int64     `json:"id"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// AddAgentMessage stores an agent's message to a user (numbers masked, as
// all stored text) and returns its id.
func (s *Store) AddAgentMessage(ctx context.Context, channel, user, handoffID, text string) (int64, error) {
	args := []any{time.Now().UnixMilli(), channel, bot.HashUser(channel, user), handoffID, bot.MaskText(text)}
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
func (s *Store) AgentMessages(ctx context.Context, channel, user string, after int64) ([]AgentMessage, int64, error) {
	hash := bot.HashUser(channel, user)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, at, text FROM agent_messages WHERE user_hash = ? AND id > ? ORDER BY id LIMIT 50`), hash, after)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []AgentMessage{}
	for rows.Next() {
		var m AgentMessage
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

// Line is one line of a conversation transcript.
type Line struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"` // "user" or "agent"
	Text   string    `json:"text"` // numbers masked
	Intent string    `json:"intent,omitempty"`
}

// Transcript returns what the user wrote since a time, and what agents
// wrote back, in order (at most the last 50 lines; a user line before an
// agent line of the same millisecond). The user's messages
// reach the log through the batched writer, so the newest may lag by a
// moment.
func (s *Store) Transcript(ctx context.Context, channel, user string, since time.Time) ([]Line, error) {
	hash := bot.HashUser(channel, user)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at, 'user', text, intent, id FROM exchanges WHERE user_hash = ? AND channel = ? AND at >= ?
		UNION ALL SELECT at, 'agent', text, '', id FROM agent_messages WHERE user_hash = ? AND at >= ?
		ORDER BY 1 DESC, 2 ASC, 5 DESC LIMIT 50`), hash, channel, since.UnixMilli(), hash, since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		var at, id int64
		if err := rows.Scan(&at, &l.From, &l.Text, &l.Intent, &id); err != nil {
			return nil, err
		}
		l.At = time.UnixMilli(at)
		out = append(out, l)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}

// DayCount is how often an intent was answered on one day (UTC).
type DayCount struct {
	Day    time.Time `json:"day"`
	Intent string    `json:"intent"`
	Count  int       `json:"count"`
}

// IntentsByDay counts exchanges per UTC day and intent since a time.
func (s *Store) IntentsByDay(ctx context.Context, since time.Time) ([]DayCount, error) {
	const day = 86400000
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at / ? AS d, intent, COUNT(*) FROM exchanges WHERE at >= ? GROUP BY d, intent ORDER BY d, intent`),
		int64(day), since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DayCount
	for rows.Next() {
		var d int64
		var c DayCount
		if err := rows.Scan(&d, &c.Intent, &c.Count); err != nil {
			return nil, err
		}
		c.Day = time.UnixMilli(d * day).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
