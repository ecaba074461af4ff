package guard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ConfirmTTL is how long a confirmation stays valid.
const ConfirmTTL = 5 * time.Minute

// Confirmer issues and redeems confirmations for destructive actions. A
// confirmation names one action on one target, expires, can be used once,
// and is sealed with an HMAC the model cannot compute.
type Confirmer struct {
	key   []byte
	ttl   time.Duration
	store Store
	now   func() time.Time
}

// MinConfirmKey is the shortest sealing key accepted: 32 random bytes. A
// short or guessable key falls to a dictionary attack on one preview token,
// and then any confirmation can be forged.
const MinConfirmKey = 32

// ParseConfirmKey reads BASIQ_MCP_CONFIRM_KEY: at least 32 bytes, written
// as hex or base64 (for example the output of openssl rand -hex 32). Empty
// means a random key per process. Anything else is refused.
func ParseConfirmKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, decode := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if key, err := decode(s); err == nil && len(key) >= MinConfirmKey {
			return key, nil
		}
	}
	return nil, fmt.Errorf("BASIQ_MCP_CONFIRM_KEY must be at least %d random bytes written as hex or base64 (e.g. openssl rand -hex 32); the value given is not", MinConfirmKey)
}

// NewConfirmer uses key to seal confirmations; with no key a random one is
// made, so confirmations do not survive a restart (nor cross replicas).
// A key shorter than MinConfirmKey is replaced by a random one too: callers
// check keys with ParseConfirmKey, which refuses them.
func NewConfirmer(key []byte, store Store, now func() time.Time) *Confirmer {
	if len(key) < MinConfirmKey {
		key = make([]byte, 32)
		rand.Read(key)
	}
	if now == nil {
		now = time.Now
	}
	return &Confirmer{key: key, ttl: ConfirmTTL, store: store, now: now}
}

type claim struct {
	Action  string `json:"a"`
	Target  string `json:"t"`
	Digest  string `json:"d"`
	Purpose string `json:"p"`
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
	Caller  string `json:"c,omitempty"` // a digest of who asked for the preview (callerSeal)
}

// Purposes of a confirmation: the token handed to the model, or the request
// state of an elicitation, which only an answer from the human may redeem.
const (
	ForModel = "model"
	ForHuman = "human"
)

// Digest summarises what a preview showed (the data that would be lost),
// so that a confirmation holds only while the target is as previewed.
func Digest(preview string) string {
	sum := sha256.Sum256([]byte(preview))
	return hex.EncodeToString(sum[:12])
}

// callerSeal is a digest of ctx's caller ("" for the deployment's own
// requests): a confirmation names who asked for it without showing them.
func callerSeal(ctx context.Context) string {
	caller, ok := CallerFrom(ctx)
	if !ok {
		return ""
	}
	sum := sha256.Sum256([]byte(caller.Key()))
	return hex.EncodeToString(sum[:12])
}

// Issue seals a confirmation for action on target as previewed (digest),
// for one purpose, to the caller ctx carries.
func (c *Confirmer) Issue(ctx context.Context, action, target, digest, purpose string) (token string, expires time.Time) {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	expires = c.now().Add(c.ttl).UTC().Truncate(time.Second)
	payload, _ := json.Marshal(claim{Action: action, Target: target, Digest: digest, Purpose: purpose, Expires: expires.Unix(), Nonce: hex.EncodeToString(nonce), Caller: callerSeal(ctx)})
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(c.seal(body)), expires
}

func (c *Confirmer) seal(body string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// ConfirmError explains why a confirmation was refused.
type ConfirmError struct{ Msg string }

func (e *ConfirmError) Error() string { return e.Msg }

// Redeem checks a confirmation for action on target, issued for purpose to
// ctx's caller and still matching what the target holds now (digest), and
// uses it up. Another caller's confirmation is refused without using it.
func (c *Confirmer) Redeem(ctx context.Context, token, action, target, digest, purpose string) error {
	body, sig, ok := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, c.seal(body)) {
		return &ConfirmError{"the confirmation_token was not issued by this server (or was altered); call the tool without it to get a preview and a new token"}
	}
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	var cl claim
	if json.Unmarshal(raw, &cl) != nil {
		return &ConfirmError{"the confirmation_token is malformed; call the tool without it for a new one"}
	}
	if cl.Caller != callerSeal(ctx) {
		return &ConfirmError{"this confirmation_token was issued to another caller; call the tool without it for a preview of your own, and ask the human again"}
	}
	if cl.Purpose != purpose {
		return &ConfirmError{"this token answers the human's confirmation question and cannot be passed as a confirmation_token; the human must answer the question"}
	}
	if cl.Action != action || cl.Target != target {
		return &ConfirmError{fmt.Sprintf("the confirmation_token is for %s on %s, not %s on %s; get a preview for this target first", cl.Action, cl.Target, action, target)}
	}
	expires := time.Unix(cl.Expires, 0)
	if now := c.now(); !now.Before(expires) || expires.Sub(now) > c.ttl {
		return &ConfirmError{fmt.Sprintf("the confirmation_token expired at %s (or claims more than its %s lifetime); call the tool without it for a new preview", expires.UTC().Format(time.RFC3339), c.ttl)}
	}

	first, err := c.store.UseOnce(Key("confirm", cl.Nonce), expires)
	if err != nil {
		return err
	}
	if !first {
		return &ConfirmError{"the confirmation_token was already used; a confirmation works once"}
	}
	if cl.Digest != digest { // used up all the same: it confirmed something that is no longer there
		return &ConfirmError{"the target changed since the preview (what would be lost is not what the human agreed to); call the tool without a token for a new preview and ask again"}
	}
	return nil
}
