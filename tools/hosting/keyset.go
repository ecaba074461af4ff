package hosting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyRefetchGap is the least time between two reads of the issuer's keys:
// a stream of tokens naming unseen key ids (forged, or a rotation in
// progress) costs the issuer one request per gap, never one per token.
const keyRefetchGap = 30 * time.Second

// keySet is the issuer's published keys (JWKS), read at start and again
// only when a token names a key id not seen yet, at most once per gap. A
// token whose key id is known but whose signature does not verify is
// refused from the cache: a key the issuer still publishes does not change,
// so reading the keys again cannot help it. It is go-oidc's oidc.KeySet.
type keySet struct {
	url    string
	client *http.Client
	algs   []jose.SignatureAlgorithm
	now    func() time.Time
	gap    time.Duration

	mu      sync.Mutex // held while reading the keys, so concurrent misses make one read
	keys    []jose.JSONWebKey
	fetched time.Time
	reads   int
}

func newKeySet(url string, client *http.Client, algs []string) *keySet {
	ks := &keySet{url: url, client: client, now: time.Now, gap: keyRefetchGap}
	for _, a := range algs {
		ks.algs = append(ks.algs, jose.SignatureAlgorithm(a))
	}
	return ks
}

// VerifySignature checks raw's signature with the key its header names.
func (ks *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, ks.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("the token must carry exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := ks.candidates(ctx, kid)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if payload, err := jws.Verify(k); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("the token's signature does not verify with the issuer's keys")
}

// candidates are the keys that may have signed a token naming kid (every
// key when kid is empty), reading the keys again for an unseen kid when the
// gap allows.
func (ks *keySet) candidates(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if found := matching(ks.keys, kid); len(found) > 0 || kid == "" && len(ks.keys) > 0 {
		return found, nil
	}
	if !ks.fetched.IsZero() && ks.now().Sub(ks.fetched) < ks.gap {
		return nil, fmt.Errorf("no key %q is published by the issuer (the keys were read %s ago)", kid, ks.now().Sub(ks.fetched).Round(time.Second))
	}
	if err := ks.read(ctx); err != nil {
		return nil, err
	}
	return matching(ks.keys, kid), nil
}

func matching(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if kid == "" || k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out
}

// read fetches the keys; the time is kept even when it fails, so a failing
// issuer is not asked again within the gap either.
func (ks *keySet) read(ctx context.Context) error {
	ks.fetched, ks.reads = ks.now(), ks.reads+1
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.url, nil)
	if err != nil {
		return err
	}
	resp, err := ks.client.Do(req)
	if err != nil {
		return fmt.Errorf("the issuer's keys could not be read: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the issuer's keys could not be read: %s answered %d", ks.url, resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("the issuer's keys are not a JWK set: %w", err)
	}
	ks.keys = set.Keys
	return nil
}

// Reads is how many times the keys were read, for tests and metrics.
func (ks *keySet) Reads() int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.reads
}
