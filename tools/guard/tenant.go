package guard

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Tenant is whose state a shared store holds. Every key a deployment
// writes to Redis sits under its Namespace, so two deployments on one Redis
// database share nothing; and the Basiq server token it shares between its
// replicas is sealed with a secret only its API key gives, so no deployment
// with another key can read it, even under the same namespace.
type Tenant struct {
	Namespace string
	secret    []byte // HMAC key derived from the Basiq API key
}

// TenantFor is the tenant of a deployment: the namespace prefix when the
// operator names one (--state-prefix), else a hash of the Basiq API key and
// base URL, which no one can turn back into the key.
func TenantFor(apiKey, baseURL, prefix string) Tenant {
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write([]byte("basiq-mcp state secret"))
	t := Tenant{Namespace: prefix, secret: mac.Sum(nil)}
	if prefix == "" {
		sum := sha256.Sum256([]byte("basiq-mcp namespace\x00" + baseURL + "\x00" + apiKey))
		t.Namespace = "d" + hex.EncodeToString(sum[:8])
	}
	return t
}

// derive is a value the tenant's secret alone gives, for one purpose.
func (t Tenant) derive(purpose string) []byte {
	mac := hmac.New(sha256.New, t.secret)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// tokenKey is where the sealed token lives: a name of the API key's own.
func (s *RedisStore) tokenKey(kind string) string {
	return s.rkey("token", kind+":"+hex.EncodeToString(s.tenant.derive("token key")[:8]))
}

func (s *RedisStore) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(s.tenant.derive("token seal"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// LoadToken returns the server token another replica published. A value
// that does not open with this deployment's secret is no token of its own.
func (s *RedisStore) LoadToken(ctx context.Context) (string, time.Time, bool, error) {
	v, err := s.rdb.Get(ctx, s.tokenKey("server")).Result()
	if errors.Is(err, redis.Nil) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, err
	}
	exp, sealed, ok := strings.Cut(v, "|")
	n, perr := strconv.ParseInt(exp, 10, 64)
	raw, derr := base64.RawStdEncoding.DecodeString(sealed)
	gcm, aerr := s.aead()
	if !ok || perr != nil || derr != nil || aerr != nil || len(raw) < gcm.NonceSize() {
		return "", time.Time{}, false, nil
	}
	tok, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(exp))
	if err != nil {
		return "", time.Time{}, false, nil
	}
	return string(tok), time.Unix(0, n), true, nil
}

// LeadToken makes this replica the one that fetches the next token, unless
// another one already is (for ttl).
func (s *RedisStore) LeadToken(ctx context.Context, ttl time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, s.tokenKey("lead"), "1", ttl).Result()
}

// StoreToken publishes a token, sealed, until it expires, and ends the lead.
func (s *RedisStore) StoreToken(ctx context.Context, token string, expires time.Time) error {
	gcm, err := s.aead()
	if err != nil {
		return err
	}
	exp := strconv.FormatInt(expires.UnixNano(), 10)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	sealed := gcm.Seal(nonce, nonce, []byte(token), []byte(exp))
	if err := s.rdb.Set(ctx, s.tokenKey("server"), exp+"|"+base64.RawStdEncoding.EncodeToString(sealed), time.Until(expires)).Err(); err != nil {
		return err
	}
	return s.rdb.Del(ctx, s.tokenKey("lead")).Err()
}

// BreakerOpenUntil reads until when the deployment's breaker is open
// (zero: closed).
func (s *RedisStore) BreakerOpenUntil(ctx context.Context) (time.Time, error) {
	v, err := s.rdb.Get(ctx, s.tokenKey("breaker")).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, nil
	}
	return time.Unix(0, n), nil
}

// breakerKept is how long an opened breaker is remembered past its
// cooldown, so processes see the cooldown is over and one probes.
const breakerKept = 10 * time.Minute

// OpenBreaker publishes that the deployment's breaker is open until then.
func (s *RedisStore) OpenBreaker(ctx context.Context, until time.Time) error {
	return s.rdb.Set(ctx, s.tokenKey("breaker"), strconv.FormatInt(until.UnixNano(), 10), max(time.Until(until), 0)+breakerKept).Err()
}

// CloseBreaker publishes that Basiq answered again.
func (s *RedisStore) CloseBreaker(ctx context.Context) error {
	return s.rdb.Del(ctx, s.tokenKey("breaker"), s.tokenKey("breaker-probe")).Err()
}

// LeadProbe makes this process the deployment's probe for ttl.
func (s *RedisStore) LeadProbe(ctx context.Context, ttl time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, s.tokenKey("breaker-probe"), "1", max(ttl, time.Second)).Result()
}
