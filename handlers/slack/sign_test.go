package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// verify checks one request's signature with secret (see verifier).
func verify(h http.Header, body []byte, secret string, now time.Time) error {
	return newVerifier(secret).verify(h, body, now)
}

// sign computes the signature Slack sends for body at timestamp ts.
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
