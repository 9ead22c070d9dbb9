package bot

import (
	"context"
	"sync"
	"time"
)

// Feedback is a user's verdict on one answer.
type Feedback struct {
	Channel string
	User    string // the channel's user id; stores hash it
	Intent  string // the intent the answer was for
	Helpful bool
	At      time.Time
}

// FeedbackStore keeps feedback for reports.
type FeedbackStore interface {
	SaveFeedback(ctx context.Context, f Feedback) error
}

// MemoryFeedback keeps the most recent feedback in memory, for a bot run
// without a database.
type MemoryFeedback struct {
	mu   sync.Mutex
	list []Feedback
	max  int
}

var _ FeedbackStore = (*MemoryFeedback)(nil)

// NewMemoryFeedback keeps up to max entries, dropping the oldest.
func NewMemoryFeedback(max int) *MemoryFeedback { return &MemoryFeedback{max: max} }

// SaveFeedback implements FeedbackStore.
func (m *MemoryFeedback) SaveFeedback(_ context.Context, f Feedback) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.list) >= m.max && m.max > 0 {
		m.list = m.list[1:]
	}
	m.list = append(m.list, f)
	return nil
}

// All returns a copy of the stored feedback, oldest first.
func (m *MemoryFeedback) All() []Feedback {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Feedback(nil), m.list...)
}
