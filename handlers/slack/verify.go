package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"sync"
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

// verifier checks Slack's request signatures for one signing secret:
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)),
// compared in constant time, with the timestamp within five minutes of now.
// Its HMAC states are reused, so a check allocates nothing.
type verifier struct {
	macs sync.Pool // hash.Hash keyed with the secret
}

func newVerifier(secret string) *verifier {
	key := []byte(secret)
	return &verifier{macs: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (v *verifier) verify(h http.Header, body []byte, now time.Time) error {
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
	var got, want [sha256.Size]byte
	if len(sig) != 3+2*sha256.Size || sig[:3] != "v0=" || !unhex(got[:], sig[3:]) {
		return errBadSignature
	}
	mac := v.macs.Get().(hash.Hash)
	mac.Reset()
	io.WriteString(mac, "v0:")
	io.WriteString(mac, ts)
	io.WriteString(mac, ":")
	mac.Write(body)
	mac.Sum(want[:0])
	v.macs.Put(mac)
	if !hmac.Equal(got[:], want[:]) {
		return errBadSignature
	}
	return nil
}

// unhex decodes hex s into dst, which is exactly half as long.
func unhex(dst []byte, s string) bool {
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
