package wecom

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// Tencent's official WXBizMsgCrypt sample vector.
const (
	vToken  = "QDG6eK"
	vCorpID = "wx5823bf96d3bd56c7"
	vAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

	vGetSig    = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vGetTS     = "1409659589"
	vGetNonce  = "263014780"
	vGetEcho   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	vPostSig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	vPostTS    = "1409659813"
	vPostNonce = "1372623149"
	vPostEnc   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)

func vectorCrypto(t *testing.T) *Crypto {
	t.Helper()
	c, err := NewCrypto(vToken, vAESKey, vCorpID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOfficialURLVerificationVector(t *testing.T) {
	c := vectorCrypto(t)
	if err := c.Verify(vGetSig, vGetTS, vGetNonce, vGetEcho); err != nil {
		t.Fatal(err)
	}
	got, err := c.Decrypt(vGetEcho)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "1616140317555161061" {
		t.Errorf("echostr = %q, want 1616140317555161061", got)
	}
}

func TestOfficialMessageVector(t *testing.T) {
	c := vectorCrypto(t)
	if err := c.Verify(vPostSig, vPostTS, vPostNonce, vPostEnc); err != nil {
		t.Fatal(err)
	}
	plain, err := c.Decrypt(vPostEnc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMessage(plain)
	if err != nil {
		t.Fatal(err)
	}
	if m.FromUserName != "mycreate" || m.Content != "hello" || m.MsgID != "4561255354251345929" || m.AgentID != "218" || m.MsgType != "text" {
		t.Errorf("message = %+v", m)
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	c := vectorCrypto(t)
	for _, msg := range []string{"", "a", strings.Repeat("x", 31), strings.Repeat("收不到短信", 300), "<xml><Content><![CDATA[hi]]></Content></xml>"} {
		enc, err := c.Encrypt([]byte(msg), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decrypt(enc)
		if err != nil || string(got) != msg {
			t.Errorf("round trip of %d bytes: %q, %v", len(msg), got, err)
		}
	}
}

func TestDecryptRefusesBadInput(t *testing.T) {
	c := vectorCrypto(t)
	other, _ := NewCrypto(vToken, vAESKey, "wwOTHERCORP")
	foreign, _ := other.Encrypt([]byte("hi"), rand.Reader)
	ct, _ := base64.StdEncoding.DecodeString(vPostEnc)
	flipped := append([]byte(nil), ct...)
	flipped[len(flipped)-1] ^= 0xff // breaks the padding of the last block
	tests := []struct {
		name, in string
		want     error
	}{
		{"not base64", "%%%", ErrCiphertext},
		{"not whole blocks", base64.StdEncoding.EncodeToString([]byte("short")), ErrCiphertext},
		{"bad padding", base64.StdEncoding.EncodeToString(flipped), ErrCiphertext},
		{"another corp", foreign, ErrReceiveID},
		{"empty", "", ErrCiphertext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Decrypt(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("Decrypt = %v, want %v", err, tt.want)
			}
		})
	}
	if err := c.Verify(strings.Repeat("0", 40), vPostTS, vPostNonce, vPostEnc); !errors.Is(err, ErrSignature) {
		t.Errorf("forged signature: %v", err)
	}
}

func TestNewCryptoValidates(t *testing.T) {
	for _, key := range []string{"", "short", vAESKey + "x", strings.Repeat("!", 43)} {
		if _, err := NewCrypto(vToken, key, vCorpID); err == nil {
			t.Errorf("NewCrypto accepted key %q", key)
		}
	}
}
