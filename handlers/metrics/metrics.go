// Package metrics exposes what the bot does in the Prometheus format, on
// GET /metrics; every name starts with supportbot_.
package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/chanstate"
)

// Metrics holds the collectors, in a registry of their own.
type Metrics struct {
	reg         *prometheus.Registry
	messages    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	fallback    prometheus.Counter
	fallbackErr prometheus.Counter
	handoffs    *prometheus.CounterVec
	dedupHits   prometheus.Counter
	rateLimited *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	redisErrors prometheus.Counter
	work        *workCollector
}

var _ bot.Observer = (*Metrics)(nil)

// New registers the collectors, with the Go runtime and process ones.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "supportbot_messages_total",
			Help: "Messages answered, by channel and intent."}, []string{"channel", "intent"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "supportbot_answer_seconds",
			Help:    "Time to produce an answer, by channel.",
			Buckets: []float64{0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10}}, []string{"channel"}),
		fallback: prometheus.NewCounter(prometheus.CounterOpts{Name: "supportbot_fallback_calls_total",
			Help: "Questions sent to the fallback model."}),
		fallbackErr: prometheus.NewCounter(prometheus.CounterOpts{Name: "supportbot_fallback_errors_total",
			Help: "Fallback model calls that failed or timed out."}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "supportbot_handoffs_total",
			Help: "Conversations handed to a person, by channel."}, []string{"channel"}),
		dedupHits: prometheus.NewCounter(prometheus.CounterOpts{Name: "supportbot_dedup_hits_total",
			Help: "Platform retries of messages already taken (Slack event_id, WeCom MsgId)."}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "supportbot_rate_limited_total",
			Help: "Messages refused by the per-user rate limit, by channel."}, []string{"channel"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "supportbot_redis_errors_total",
			Help: "Redis calls that failed; the bot answered from local state."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "supportbot_knowledge_reloads_total",
			Help: "Knowledge reloads, by result (ok or refused)."}, []string{"result"}),
		work: newWorkCollector("slack", "wecom"),
	}
	m.reg.MustRegister(m.messages, m.latency, m.fallback, m.fallbackErr, m.handoffs, m.dedupHits, m.rateLimited, m.reloads, m.redisErrors, m.work,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series is there from the start, at 0: a rate or an alert over
	// one that has not happened yet would otherwise see no data at all.
	for _, result := range []string{"ok", "refused"} {
		m.reloads.WithLabelValues(result)
	}
	return m
}

// Channels starts the per-channel series of the channels in service at 0:
// handoffs, rate-limited messages, answer times, and messages no answer
// was found for (intent none; the other intents appear as they are given).
func (m *Metrics) Channels(names ...string) {
	for _, c := range names {
		m.messages.WithLabelValues(c, bot.IntentNone)
		m.latency.WithLabelValues(c)
		m.handoffs.WithLabelValues(c)
		m.rateLimited.WithLabelValues(c)
	}
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Answered implements bot.Observer.
func (m *Metrics) Answered(channel string, r bot.Reply, d time.Duration) {
	m.messages.WithLabelValues(channel, r.Intent).Inc()
	m.latency.WithLabelValues(channel).Observe(d.Seconds())
}

// FallbackCalled implements bot.Observer.
func (m *Metrics) FallbackCalled(err error) {
	m.fallback.Inc()
	if err != nil {
		m.fallbackErr.Inc()
	}
}

// RateLimited implements bot.Observer.
func (m *Metrics) RateLimited(channel string) { m.rateLimited.WithLabelValues(channel).Inc() }

// HandoffOpened implements bot.Observer.
func (m *Metrics) HandoffOpened(channel string) { m.handoffs.WithLabelValues(channel).Inc() }

// RedisError counts a failed Redis call.
func (m *Metrics) RedisError() { m.redisErrors.Inc() }

// Reloaded counts a knowledge reload.
func (m *Metrics) Reloaded(ok bool) {
	result := "ok"
	if !ok {
		result = "refused"
	}
	m.reloads.WithLabelValues(result).Inc()
}

// CountDedup wraps a Dedup so retries it catches are counted.
func (m *Metrics) CountDedup(d chanstate.Dedup) chanstate.Dedup { return countingDedup{d, m.dedupHits} }

type countingDedup struct {
	chanstate.Dedup
	hits prometheus.Counter
}

func (c countingDedup) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	first, err := c.Dedup.FirstSeen(ctx, key, ttl)
	if err == nil && !first {
		c.hits.Inc()
	}
	return first, err
}

// CountDroppedExchanges exposes how many exchanges the log could not
// store, as supportbot_exchange_log_dropped_total, read from dropped.
func (m *Metrics) CountDroppedExchanges(dropped func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "supportbot_exchange_log_dropped_total",
		Help: "Exchanges the log could not store: refused by the database, or over its queue."},
		func() float64 { return float64(dropped()) }))
}

// CountWork exposes a channel's work after the ack, read from counts:
// supportbot_work_refused_total (the queue was full), _abandoned_total
// (dropped at a shutdown deadline) and _failed_total (a post the platform
// refused, or that missed its deadline), by channel.
func (m *Metrics) CountWork(channel string, counts func() (refused, abandoned, failed int64)) {
	m.work.mu.Lock()
	defer m.work.mu.Unlock()
	m.work.counts[channel] = counts
}

// workCollector reads the channels' work counts at each scrape; every
// channel's series exist from the start, at 0 while it is off.
type workCollector struct {
	refused, abandoned, failed *prometheus.Desc

	mu       sync.Mutex
	channels []string
	counts   map[string]func() (refused, abandoned, failed int64)
}

func newWorkCollector(channels ...string) *workCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("supportbot_work_"+name+"_total", help, []string{"channel"}, nil)
	}
	return &workCollector{
		refused:   desc("refused", "Events and jobs refused because the answer queue was full (the platform retries events), by channel."),
		abandoned: desc("abandoned", "Queued answers and notices dropped unstarted at a shutdown deadline, by channel."),
		failed:    desc("failed", "Answers and notices that failed after the ack: refused by the platform or past their deadline, by channel."),
		channels:  channels, counts: map[string]func() (int64, int64, int64){},
	}
}

func (c *workCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.refused
	ch <- c.abandoned
	ch <- c.failed
}

func (c *workCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range c.channels {
		var r, a, f int64
		if counts := c.counts[name]; counts != nil {
			r, a, f = counts()
		}
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(r), name)
		ch <- prometheus.MustNewConstMetric(c.abandoned, prometheus.CounterValue, float64(a), name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(f), name)
	}
}
