package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/web"
	"github.com/supportbot/supportbot/handlers/wecom"
)

// defaultGCPercent is the collector's target when GOGC is not set. The
// bot's live heap is small (the matcher's table, the dedup's keys, the
// conversations: about 17 MB under the load tests), so Go's default of
// 100 lets the heap double before each collection; at 70 it stays about 4
// MB smaller under the load tests, for about 2% more CPU in collection.
const defaultGCPercent = 70

// Config is every setting supportbot reads from the environment. Each one is
// documented in .env.example.
type Config struct {
	ListenAddr string // LISTEN_ADDR
	KBDir      string // KB_DIR: knowledge files to use instead of the embedded ones
	LogLevel   string // LOG_LEVEL: debug, info, warn or error
	LogFormat  string // LOG_FORMAT: text or json

	DataDir         string        // DATA_DIR: the SQLite exchange log
	Retention       time.Duration // RETENTION: how long exchanges are kept
	ConversationTTL time.Duration // CONVERSATION_TTL
	HandoffTTL      time.Duration // HANDOFF_TTL: a handoff lapses after this
	RateLimit       int           // RATE_LIMIT_PER_MIN: 0 is off
	AdminToken      string        // ADMIN_TOKEN: the admin API and console
	FrameAncestors  string        // WEB_FRAME_ANCESTORS: sites that may frame the chat page (the widget)
	Proxies         web.Proxies   // TRUSTED_PROXIES: whose X-Forwarded-For and -Proto count
	DebugAddr       string        // DEBUG_ADDR: serve /debug/pprof here (keep it on loopback)
	RedisURL        string        // REDIS_URL: shared state for several replicas
	DatabaseURL     string        // DATABASE_URL: the exchange log in PostgreSQL

	// Go's runtime reads these itself from the process's environment; they
	// are read here too, so a .env file can set them and the bot knows
	// which ones the operator chose.
	GCPercent int // GOGC: the collector's target, -1 for off (default 70, not Go's 100)
	Procs     int // GOMAXPROCS: 0 for the runtime's own choice

	Slack SlackConfig
	WeCom WeComConfig
	LLM   LLMConfig
}

// LLMConfig is the optional fallback model; it is on when APIKey or
// BaseURL is set.
type LLMConfig struct {
	APIKey    string        // OPENAI_API_KEY
	BaseURL   string        // OPENAI_BASE_URL: any OpenAI-compatible server
	Model     string        // OPENAI_MODEL
	Timeout   time.Duration // LLM_TIMEOUT
	MaxTokens int           // LLM_MAX_TOKENS
}

// Enabled reports whether a fallback model is configured.
func (l LLMConfig) Enabled() bool { return l.APIKey != "" || l.BaseURL != "" }

// WeComConfig is the WeCom channel's settings; it is on when CorpID is set.
type WeComConfig struct {
	CorpID       string // WECOM_CORP_ID
	Token        string // WECOM_TOKEN: the callback's Token
	AESKey       string // WECOM_AES_KEY: the callback's EncodingAESKey, 43 characters
	AgentID      int    // WECOM_AGENT_ID
	Secret       string // WECOM_SECRET: the app's secret
	KfSecret     string // WECOM_KF_SECRET: 微信客服's secret; empty: 微信客服 off
	RobotWebhook string // WECOM_ROBOT_WEBHOOK: group robot URL for handoff notices
	APIURL       string // WECOM_API_URL
	// MaxClockSkew (WECOM_MAX_CLOCK_SKEW, default 5m; 0 is off) refuses
	// callbacks whose signed timestamp is further than this from now.
	MaxClockSkew time.Duration
}

// Enabled reports whether the WeCom channel is configured.
func (w WeComConfig) Enabled() bool { return w.CorpID != "" }

// SlackConfig is the Slack channel's settings; it is on when BotToken is set.
type SlackConfig struct {
	BotToken      string // SLACK_BOT_TOKEN, xoxb-...
	SigningSecret string // SLACK_SIGNING_SECRET: verifies the HTTP routes
	AppToken      string // SLACK_APP_TOKEN, xapp-...: Socket Mode instead of HTTP
	AgentChannel  string // SLACK_AGENT_CHANNEL: channel id for "talk to a person" notices
	// AgentIDs (SLACK_AGENT_IDS, comma-separated user ids) may resolve
	// handoffs from anywhere; anyone acting in AgentChannel may too.
	AgentIDs []string
	APIURL   string // SLACK_API_URL: Web API base, ending in /
	// NoInbox (SLACK_INBOX=off) acknowledges events before they are
	// stored: faster under a flood, but a crash loses the unanswered.
	NoInbox bool
}

// Enabled reports whether the Slack channel is configured.
func (s SlackConfig) Enabled() bool { return s.BotToken != "" }

// loadConfig reads and checks the configuration. Nothing else in the
// program reads the environment.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		ListenAddr: getenv("LISTEN_ADDR"),
		KBDir:      getenv("KB_DIR"),
		LogLevel:   strings.ToLower(getenv("LOG_LEVEL")),
	}
	for _, step := range []func(*Config, func(string) string) error{
		(*Config).loadSlack, (*Config).loadWeCom, (*Config).loadModel, (*Config).loadServer,
		(*Config).loadStores, (*Config).loadRuntime, (*Config).loadLimits, (*Config).checkKnowledgeDir,
	} {
		if err := step(&c, getenv); err != nil {
			return c, err
		}
	}
	return c, nil
}

// loadSlack reads the Slack channel's settings.
func (c *Config) loadSlack(getenv func(string) string) error {
	c.Slack = SlackConfig{
		BotToken:      getenv("SLACK_BOT_TOKEN"),
		SigningSecret: getenv("SLACK_SIGNING_SECRET"),
		AppToken:      getenv("SLACK_APP_TOKEN"),
		AgentChannel:  getenv("SLACK_AGENT_CHANNEL"),
		AgentIDs:      splitList(getenv("SLACK_AGENT_IDS")),
		APIURL:        getenv("SLACK_API_URL"),
	}
	switch v := getenv("SLACK_INBOX"); v {
	case "", "on":
	case "off":
		c.Slack.NoInbox = true
	default:
		return fmt.Errorf("SLACK_INBOX must be on or off, got %q", v)
	}
	return c.Slack.check()
}

// loadWeCom reads the WeCom channel's settings.
func (c *Config) loadWeCom(getenv func(string) string) error {
	c.WeCom = WeComConfig{
		CorpID: getenv("WECOM_CORP_ID"), Token: getenv("WECOM_TOKEN"), AESKey: getenv("WECOM_AES_KEY"),
		Secret: getenv("WECOM_SECRET"), KfSecret: getenv("WECOM_KF_SECRET"),
		RobotWebhook: getenv("WECOM_ROBOT_WEBHOOK"), APIURL: getenv("WECOM_API_URL"),
		MaxClockSkew: 5 * time.Minute,
	}
	if v := getenv("WECOM_MAX_CLOCK_SKEW"); v != "" {
		d, err := parseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			return fmt.Errorf("WECOM_MAX_CLOCK_SKEW must be a duration such as 5m, or 0 to turn the check off, got %q", v)
		}
		c.WeCom.MaxClockSkew = d
	}
	return c.WeCom.check(getenv("WECOM_AGENT_ID"))
}

// loadModel reads the fallback model's settings.
func (c *Config) loadModel(getenv func(string) string) error {
	var err error
	c.LLM, err = loadLLM(getenv)
	return err
}

// loadServer reads where and how the server listens and logs, the console
// and the web page's settings.
func (c *Config) loadServer(getenv func(string) string) error {
	if c.ListenAddr == "" {
		c.ListenAddr = ":8080"
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return fmt.Errorf("LISTEN_ADDR must be host:port or :port, such as :8080 or 127.0.0.1:8080, got %q", c.ListenAddr)
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
	}
	c.LogFormat = strings.ToLower(getenv("LOG_FORMAT"))
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		return fmt.Errorf("LOG_FORMAT must be text or json, got %q", c.LogFormat)
	}
	c.AdminToken = getenv("ADMIN_TOKEN")
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return fmt.Errorf("ADMIN_TOKEN must be at least 16 characters (try: openssl rand -hex 16)")
	}
	c.DebugAddr = getenv("DEBUG_ADDR")
	if c.DebugAddr != "" {
		host, _, err := net.SplitHostPort(c.DebugAddr)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("DEBUG_ADDR must be a loopback address such as 127.0.0.1:6060 (the profiler is not protected), got %q", c.DebugAddr)
		}
	}
	var err error
	if c.Proxies, err = web.ParseProxies(getenv("TRUSTED_PROXIES")); err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %v (addresses or networks of the reverse proxies, separated by commas)", err)
	}
	c.FrameAncestors = strings.TrimSpace(getenv("WEB_FRAME_ANCESTORS"))
	if strings.ContainsAny(c.FrameAncestors, ";,\"'\n") {
		return fmt.Errorf("WEB_FRAME_ANCESTORS is a space-separated list of origins such as https://www.example.com, got %q", c.FrameAncestors)
	}
	return nil
}

// loadStores reads where the exchange log and the shared state live.
func (c *Config) loadStores(getenv func(string) string) error {
	c.DataDir = getenv("DATA_DIR")
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	c.RedisURL = getenv("REDIS_URL")
	c.DatabaseURL = getenv("DATABASE_URL")
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("DATABASE_URL must look like postgres://user:password@host:5432/dbname, got a value of another form")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return fmt.Errorf("REDIS_URL must look like redis://host:6379/0, got %q", c.RedisURL)
	}
	return nil
}

// loadRuntime reads the Go runtime's settings (GOGC, GOMAXPROCS), which
// may come from .env, which the runtime does not read.
func (c *Config) loadRuntime(getenv func(string) string) error {
	c.GCPercent = defaultGCPercent
	if v := getenv("GOGC"); v != "" { // as Go reads it: a negative number is off too
		n, err := strconv.Atoi(v)
		switch {
		case v == "off":
			c.GCPercent = -1
		case err != nil:
			return fmt.Errorf("GOGC must be a whole number, such as 100, or off, got %q", v)
		default:
			c.GCPercent = max(n, -1)
		}
	}
	if v := getenv("GOMAXPROCS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("GOMAXPROCS must be a whole number above 0, got %q", v)
		}
		c.Procs = n
	}
	return nil
}

// loadLimits reads how long things are kept and how fast a user may write.
func (c *Config) loadLimits(getenv func(string) string) error {
	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"RETENTION", &c.Retention, 90 * 24 * time.Hour},
		{"CONVERSATION_TTL", &c.ConversationTTL, 30 * time.Minute},
		{"HANDOFF_TTL", &c.HandoffTTL, 24 * time.Hour},
	} {
		*d.dst = d.def
		if v := getenv(d.name); v != "" {
			dur, err := parseDuration(v)
			if err != nil || dur <= 0 {
				return fmt.Errorf("%s must be a duration such as 30m, 24h or 90d, got %q", d.name, v)
			}
			*d.dst = dur
		}
	}
	c.RateLimit = 20
	if v := getenv("RATE_LIMIT_PER_MIN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("RATE_LIMIT_PER_MIN must be a whole number (0 turns it off), got %q", v)
		}
		c.RateLimit = n
	}
	return nil
}

// checkKnowledgeDir checks that KB_DIR, when set, is a folder.
func (c *Config) checkKnowledgeDir(func(string) string) error {
	if c.KBDir == "" {
		return nil
	}
	if fi, err := os.Stat(c.KBDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("KB_DIR=%s is not a folder (create one with: supportbot kb export %s)", c.KBDir, c.KBDir)
	}
	return nil
}

// envWithDotenv returns a getenv that also sees a .env file in the working
// folder; the real environment wins over the file.
func envWithDotenv(getenv func(string) string) (func(string) string, error) {
	file, err := godotenv.Read(".env")
	if os.IsNotExist(err) {
		return getenv, nil
	}
	if err != nil {
		return getenv, fmt.Errorf("read .env: %w", err)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}, nil
}

// userID is the form of a Slack user id.
var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// splitList splits a comma-separated setting, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (s *SlackConfig) check() error {
	if s.APIURL == "" {
		s.APIURL = "https://slack.com/api/"
	}
	if !s.Enabled() {
		if s.SigningSecret != "" || s.AppToken != "" || s.AgentChannel != "" {
			return fmt.Errorf("SLACK_BOT_TOKEN is not set, but other SLACK_ variables are: set it (xoxb-...) to turn Slack on, or unset them")
		}
		return nil
	}
	if !strings.HasPrefix(s.BotToken, "xoxb-") {
		return fmt.Errorf("SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token under OAuth & Permissions)")
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		return fmt.Errorf("SLACK_APP_TOKEN must start with xapp- (an app-level token with connections:write, under Basic Information)")
	}
	if s.AppToken == "" && s.SigningSecret == "" {
		return fmt.Errorf("SLACK_SIGNING_SECRET is required for Slack over HTTP (Basic Information > Signing Secret), or set SLACK_APP_TOKEN for Socket Mode")
	}
	if s.AgentChannel != "" && !channelID.MatchString(s.AgentChannel) {
		return fmt.Errorf("SLACK_AGENT_CHANNEL must be a channel id such as C0123456789 (channel details > About), got %q", s.AgentChannel)
	}
	for _, id := range s.AgentIDs {
		if !userID.MatchString(id) {
			return fmt.Errorf("SLACK_AGENT_IDS must be user ids such as U0123456789 separated by commas (a member's profile > Copy member ID), got %q", id)
		}
	}
	u, err := url.Parse(s.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/, got %q", s.APIURL)
	}
	if !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/"
	}
	return nil
}

var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)

func (w *WeComConfig) check(agentID string) error {
	if w.APIURL == "" {
		w.APIURL = "https://qyapi.weixin.qq.com"
	}
	w.APIURL = strings.TrimSuffix(w.APIURL, "/")
	if !w.Enabled() {
		if w.Token != "" || w.AESKey != "" || w.Secret != "" || w.KfSecret != "" || agentID != "" {
			return fmt.Errorf("WECOM_CORP_ID is not set, but other WECOM_ variables are: set it (My Company > Company ID) to turn WeCom on, or unset them")
		}
		return nil
	}
	if w.Token == "" || w.AESKey == "" {
		return fmt.Errorf("WECOM_TOKEN and WECOM_AES_KEY are required: the Token and EncodingAESKey of the app's API receiving settings")
	}
	if len(w.AESKey) != 43 {
		return fmt.Errorf("WECOM_AES_KEY must be the 43-character EncodingAESKey, got %d characters", len(w.AESKey))
	}
	if _, err := wecom.NewCrypto(w.Token, w.AESKey, w.CorpID); err != nil {
		return fmt.Errorf("WECOM_AES_KEY: %v", err)
	}
	n, err := strconv.Atoi(agentID)
	if err != nil || n <= 0 {
		return fmt.Errorf("WECOM_AGENT_ID must be the app's AgentId (a number), got %q", agentID)
	}
	w.AgentID = n
	if w.Secret == "" {
		return fmt.Errorf("WECOM_SECRET is required: the app's Secret, used to send answers too long for a passive reply")
	}
	for name, v := range map[string]string{"WECOM_API_URL": w.APIURL, "WECOM_ROBOT_WEBHOOK": w.RobotWebhook} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s must be an http(s) URL", name)
		}
	}
	return nil
}

func loadLLM(getenv func(string) string) (LLMConfig, error) {
	l := LLMConfig{APIKey: getenv("OPENAI_API_KEY"), BaseURL: getenv("OPENAI_BASE_URL"), Model: getenv("OPENAI_MODEL"),
		Timeout: 8 * time.Second, MaxTokens: 512}
	if v := getenv("LLM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 2*time.Minute {
			return l, fmt.Errorf("LLM_TIMEOUT must be a duration such as 8s (at most 2m), got %q", v)
		}
		l.Timeout = d
	}
	if v := getenv("LLM_MAX_TOKENS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 16 || n > 8192 {
			return l, fmt.Errorf("LLM_MAX_TOKENS must be a number from 16 to 8192, got %q", v)
		}
		l.MaxTokens = n
	}
	if !l.Enabled() {
		if l.Model != "" {
			return l, fmt.Errorf("OPENAI_MODEL is set but neither OPENAI_API_KEY nor OPENAI_BASE_URL is: set one to turn the fallback model on")
		}
		return l, nil
	}
	if l.BaseURL == "" {
		l.BaseURL = "https://api.openai.com/v1"
	}
	if u, err := url.Parse(l.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return l, fmt.Errorf("OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1, got %q", l.BaseURL)
	}
	if l.Model == "" {
		l.Model = "gpt-4o-mini"
	}
	return l, nil
}

// parseDuration is time.ParseDuration plus days ("90d").
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// desks are the channels whose handoffs agents see: Slack's in the agent
// channel, WeCom's and 微信客服's through the group robot, and every
// channel the admin console can reply in. The bot answers a request for a
// person from any other channel (the terminal, or the web chat without
// the console) with "no agent available".
func (c Config) desks() bot.Desks {
	var d bot.Desks
	if c.Slack.Enabled() && (c.Slack.AgentChannel != "" || c.AdminToken != "") {
		d = append(d, "slack")
	}
	if c.WeCom.Enabled() && (c.WeCom.RobotWebhook != "" || c.AdminToken != "") {
		d = append(d, "wecom")
		if c.WeCom.KfSecret != "" {
			d = append(d, "wechat-kf")
		}
	}
	if c.AdminToken != "" {
		d = append(d, "web")
	}
	return d
}
