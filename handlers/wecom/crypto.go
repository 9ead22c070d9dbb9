package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Crypto is WeCom's callback encryption: a SHA-1 signature over the token,
// timestamp, nonce and ciphertext, and AES-256-CBC with the key derived
// from the EncodingAESKey. Messages are random(16) + big-endian uint32
// length + message + receive id (the corp id), PKCS#7-padded to 32 bytes.
type Crypto struct {
	token     string
	receiveID string
	key       []byte
}

// Errors a callback can fail with; none of them are answered.
var (
	ErrSignature  = errors.New("signature does not match")
	ErrCiphertext = errors.New("malformed ciphertext")
	ErrReceiveID  = errors.New("message is for another receive id")
)

// NewCrypto checks the app's callback settings: the 43-character
// EncodingAESKey must decode to 32 bytes.
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	if token == "" {
		return nil, errors.New("token is empty")
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("EncodingAESKey is not valid base64 for a 32-byte key")
	}
	if receiveID == "" {
		return nil, errors.New("receive id (corp id) is empty")
	}
	return &Crypto{token: token, receiveID: receiveID, key: key}, nil
}

// Signature is sha1 of token, timestamp, nonce and encrypted, sorted and
// joined, in hex.
func (c *Crypto) Signature(timestamp, nonce, encrypted string) string {
	parts := []string{c.token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify checks a msg_signature in constant time.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypted string) error {
	want := c.Signature(timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return ErrSignature
	}
	return nil
}

// Decrypt opens a base64 ciphertext and returns the message, checking the
// padding, the length and the receive id.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrCiphertext, err)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of blocks", ErrCiphertext, len(ct))
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, ct)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) {
		return nil, fmt.Errorf("%w: bad padding", ErrCiphertext)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrCiphertext)
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, fmt.Errorf("%w: too short", ErrCiphertext)
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, fmt.Errorf("%w: length %d past the end", ErrCiphertext, n)
	}
	msg, rid := plain[20:20+n], plain[20+n:]
	if subtle.ConstantTimeCompare(rid, []byte(c.receiveID)) != 1 {
		return nil, ErrReceiveID
	}
	return msg, nil
}

// Encrypt seals msg for WeCom, taking the 16 random bytes from random.
func (c *Crypto) Encrypt(msg []byte, random io.Reader) (string, error) {
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, random, 16); err != nil {
		return "", fmt.Errorf("random prefix: %w", err)
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	buf.Write(n[:])
	buf.Write(msg)
	buf.WriteString(c.receiveID)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", err
	}
	ct := make([]byte, buf.Len())
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(ct, buf.Bytes())
	return base64.StdEncoding.EncodeToString(ct), nil
}
