package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Why a request's signature was refused; none of them reach Slack.
var (
	errNoSignature  = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errStale        = errors.New("request timestamp is more than 5 minutes from now")
	errBadSignature = errors.New("signature does not match")
)

// maxSkew is how far a request's timestamp may be from now, either way.
const maxSkew = 5 * time.Minute

// verify checks Slack's request signature over the raw body:
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)),
// compared in constant time, with the timestamp within five minutes of now.
func verify(h http.Header, body []byte, secret string, now time.Time) error {
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return errNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errStale
	}
	if !hmac.Equal([]byte(sig), []byte(sign(secret, ts, body))) {
		return errBadSignature
	}
	return nil
}

// sign computes the signature Slack sends for body at timestamp ts.
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
