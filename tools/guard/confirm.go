package guard

import (
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

// NewConfirmer uses key to seal confirmations; with no key a random one is
// made, so confirmations do not survive a restart.
func NewConfirmer(key []byte, store Store, now func() time.Time) *Confirmer {
	if len(key) == 0 {
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
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

// Issue seals a confirmation for action on target.
func (c *Confirmer) Issue(action, target string) (token string, expires time.Time) {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	expires = c.now().Add(c.ttl).UTC().Truncate(time.Second)
	payload, _ := json.Marshal(claim{Action: action, Target: target, Expires: expires.Unix(), Nonce: hex.EncodeToString(nonce)})
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

// Redeem checks a confirmation for action on target and uses it up.
func (c *Confirmer) Redeem(token, action, target string) error {
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
	if cl.Action != action || cl.Target != target {
		return &ConfirmError{fmt.Sprintf("the confirmation_token is for %s on %s, not %s on %s; get a preview for this target first", cl.Action, cl.Target, action, target)}
	}
	expires := time.Unix(cl.Expires, 0)
	if !c.now().Before(expires) {
		return &ConfirmError{fmt.Sprintf("the confirmation_token expired at %s; call the tool without it for a new preview", expires.UTC().Format(time.RFC3339))}
	}
	first, err := c.store.UseOnce(cl.Nonce, expires)
	if err != nil {
		return err
	}
	if !first {
		return &ConfirmError{"the confirmation_token was already used; a confirmation works once"}
	}
	return nil
}
