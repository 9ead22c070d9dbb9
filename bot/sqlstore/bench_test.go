package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
)

// BenchmarkWrite measures the exchange log's writer: one op stores a batch
// of 1024 exchanges in SQLite, as it does under load, without the rests
// it takes between statements on a busy server.
func BenchmarkWrite(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([]bot.Exchange, batchSize)
	for i := range batch {
		batch[i] = bot.Exchange{At: time.Now(), Channel: "slack", UserHash: bot.HashUser("slack", "U1"), Text: "/checknum 138****5678",
			Lang: "zh", Intent: "checknum", Confidence: 1, AnswerID: "checknum", Latency: 20 * time.Microsecond}
	}
	defer func(p time.Duration) { pause = p }(pause)
	pause = 0
	b.ReportAllocs()
	for b.Loop() {
		if err := s.write(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/row")
}
