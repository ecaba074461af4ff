package resources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// DefaultLiveDocsURL is where Basiq publishes its documentation; llms.txt
// there lists every page as a .md URL.
const DefaultLiveDocsURL = "https://api.basiq.io"

const (
	liveDocsTTL     = time.Hour
	liveDocsTimeout = 4 * time.Second
	maxPageBytes    = 1 << 20
)

// liveDocs reads Basiq's published pages, caching them; only pages listed
// in the index on the same host are ever fetched.
type liveDocs struct {
	base   *url.URL
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	index   map[string]string // page name -> URL
	indexAt time.Time
	pages   map[string]cachedPage
}

type cachedPage struct {
	text string
	at   time.Time
}

func newLiveDocs(base string, client *http.Client) (*liveDocs, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("resources: live docs URL %q is not a URL", base)
	}
	if client == nil {
		client = &http.Client{Timeout: liveDocsTimeout}
	}
	return &liveDocs{base: u, client: client, now: time.Now, pages: map[string]cachedPage{}}, nil
}

var mdLink = regexp.MustCompile(`https?://[^\s)\]]+\.md`)

// Index returns page name → URL from llms.txt, cached for an hour.
func (l *liveDocs) Index(ctx context.Context) (map[string]string, error) {
	l.mu.Lock()
	if l.index != nil && l.now().Sub(l.indexAt) < liveDocsTTL {
		idx := l.index
		l.mu.Unlock()
		return idx, nil
	}
	l.mu.Unlock()
	text, err := l.fetch(ctx, l.base.String()+"/llms.txt")
	if err != nil {
		return nil, err
	}
	idx := map[string]string{}
	for _, raw := range mdLink.FindAllString(text, -1) {
		u, err := url.Parse(raw)
		if err != nil || u.Host != l.base.Host {
			continue // never follow a link off Basiq's own host
		}
		name := strings.TrimSuffix(path.Base(u.Path), ".md")
		if _, dup := idx[name]; !dup && name != "" {
			idx[name] = u.String()
		}
	}
	if len(idx) == 0 {
		return nil, errors.New("the index lists no pages")
	}
	l.mu.Lock()
	l.index, l.indexAt = idx, l.now()
	l.mu.Unlock()
	return idx, nil
}

// Page returns one page listed in the index, cached for an hour.
func (l *liveDocs) Page(ctx context.Context, name string) (string, error) {
	l.mu.Lock()
	if p, ok := l.pages[name]; ok && l.now().Sub(p.at) < liveDocsTTL {
		l.mu.Unlock()
		return p.text, nil
	}
	l.mu.Unlock()
	idx, err := l.Index(ctx)
	if err != nil {
		return "", err
	}
	u, ok := idx[name]
	if !ok {
		return "", fmt.Errorf("no page %q in Basiq's index", name)
	}
	text, err := l.fetch(ctx, u)
	if err != nil {
		return "", err
	}
	l.mu.Lock()
	l.pages[name] = cachedPage{text, l.now()}
	l.mu.Unlock()
	return text, nil
}

func (l *liveDocs) fetch(ctx context.Context, u string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, liveDocsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s answered %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	return string(b), err
}

// fallback answers with the embedded guide closest to name, saying so.
func fallback(name string, cause error) string {
	g := Guides()[0]
	if hits := Search(strings.NewReplacer("-", " ", "_", " ").Replace(name), 1); len(hits) > 0 {
		g, _ = FindGuide(strings.TrimPrefix(hits[0].URI, "basiq://docs/"))
	}
	return fmt.Sprintf("> Basiq's live documentation could not be read (%v). This is basiq-mcp's own guide on the closest topic, %s, instead.\n\n%s\n",
		cause, g.URI(), g.Body)
}
