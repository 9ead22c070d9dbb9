package bot

import "time"

// What the exchange log reports and keeps, as the console and the CLI
// read it: the storage (bot/sqlstore) fills these in, the handlers show
// them.

// AgentMessage is what an agent wrote to a user from the admin console.
type AgentMessage struct {
	ID   int64     `json:"id"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Line is one line of a conversation transcript.
type Line struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"` // "user" or "agent"
	Text   string    `json:"text"` // numbers masked
	Intent string    `json:"intent,omitempty"`
}

// TranscriptQuery asks for one user's transcript since a time.
type TranscriptQuery struct {
	Channel, User string
	Since         time.Time
}

// DayCount is how often an intent was answered on one day (UTC).
type DayCount struct {
	Day    time.Time `json:"day"`
	Intent string    `json:"intent"`
	Count  int       `json:"count"`
}

// Report summarises the log since a time.
type Report struct {
	Since      time.Time `json:"since"`
	Messages   int       `json:"messages"`
	Unanswered []Asked   `json:"unanswered"` // intent none, most asked first
	// ByNearest groups every unanswered question by the FAQ entry nearest
	// to it, so an operator sees where a phrasing (also:) is missing;
	// Entry "" holds those near no entry. Most asked first.
	ByNearest      []NearestGroup `json:"by_nearest"`
	LowConfidence  []Asked        `json:"low_confidence"`  // answered with confidence under the bar
	Intents        []IntentCount  `json:"intents"`         // by volume
	Feedback       int            `json:"feedback"`        // votes
	Helpful        int            `json:"helpful"`         // 👍 votes
	HelpfulPercent float64        `json:"helpful_percent"` // of votes
	Handoffs       int            `json:"handoffs"`
	FallbackCalls  int            `json:"fallback_calls"`
}

// Asked is a question asked, grouped after normalisation.
type Asked struct {
	Text       string  `json:"text"` // one way it was written (masked)
	Count      int     `json:"count"`
	Intent     string  `json:"intent,omitempty"`
	Confidence float64 `json:"confidence,omitempty"` // average
}

// NearestGroup is the unanswered questions nearest to one FAQ entry.
type NearestGroup struct {
	Entry    string  `json:"entry"` // the entry's question; "" for none near
	Count    int     `json:"count"`
	Examples []Asked `json:"examples"` // the most asked first
}

// IntentCount is how often an intent was answered.
type IntentCount struct {
	Intent string `json:"intent"`
	Count  int    `json:"count"`
}
