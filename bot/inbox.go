package bot

import (
	"context"
	"time"
)

// Inbox keeps the events a channel acknowledged until they are answered,
// so that an answer survives a shutdown or a crash: an event is
// acknowledged only once Put has returned, and marked Done once answered.
// Each entry belongs to the replica that holds a lease on it; a replica
// renews the leases of its entries while it runs, and the entries whose
// lease ran out (their replica died) or was released (their replica shut
// down before answering them) are claimed by the next replica that asks,
// and answered once.
type Inbox interface {
	// Put records e for owner, leased for lease; it returns once e is
	// stored. An id already stored is kept as it is.
	Put(ctx context.Context, e InboxEntry, owner string, lease time.Duration) error
	// Done drops an answered entry; it may return before the drop is
	// stored.
	Done(id string)
	// Renew extends the leases of owner's entries to lease from now.
	Renew(ctx context.Context, owner string, lease time.Duration) error
	// Claim takes at most max entries of channel whose lease has ended,
	// oldest first, and leases them to owner.
	Claim(ctx context.Context, channel, owner string, lease time.Duration, max int) ([]InboxEntry, error)
	// Release ends the leases of owner's entries (of those ids, when
	// given), so that another replica, or the next start, claims them at
	// once.
	Release(ctx context.Context, owner string, ids ...string) error
}

// InboxEntry is one acknowledged event: its id (the platform's event id),
// its channel, and what the channel needs to answer it, sealed by the
// channel (it holds the user's text).
type InboxEntry struct {
	ID      string
	Channel string
	Payload []byte
	At      time.Time
}
