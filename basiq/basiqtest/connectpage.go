package basiqtest

import (
	"html/template"
	"net/http"
	"slices"
)

// The simulator's consent page, at an auth link's public URL: what a
// customer does on Basiq's hosted consent screens (pick a bank, log in
// with a sandbox persona), as a form a person can fill in. A client that
// opens the consent link for its user (URL elicitation) shows this page
// offline; the API route POST /sandbox/users/{userId}/consent does the
// same for programs.

var connectPageHTML = template.Must(template.New("connect").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Basiq simulator: connect a bank</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}
input,select{font:inherit;padding:.3rem;width:100%;box-sizing:border-box}button{font:inherit;margin-top:1rem;padding:.4rem 1rem}
.note{color:#555;font-size:.9rem}.done{border:2px solid;padding:.6rem 1rem}.error{border:2px dashed;padding:.6rem 1rem}</style></head>
<body><h1>Connect a bank</h1><p class="note">Basiq simulator (offline): no real bank is contacted.</p>
{{if .Done}}<div class="done" role="status"><strong>Connected.</strong> Connection {{.Done.ConnectionID}}; Basiq is fetching the accounts
(job {{index .Done.JobIDs 0}}). You can close this page.</div>
{{else if .Gone}}<div class="error" role="alert">This consent link is no longer valid (expired, replaced by a newer link, or deleted). Ask for a new link.</div>
{{else}}{{with .Error}}<div class="error" role="alert">{{.}}</div>{{end}}
<form method="post">
<label for="bank">Bank</label><select id="bank" name="institutionId">{{range .Banks}}<option value="{{.ID}}"{{if eq .ID $.Bank}} selected{{end}}>{{.Name}} ({{.ID}})</option>{{end}}</select>
<label for="login">Login id</label><input id="login" name="loginId" autocomplete="off" value="{{.Login}}" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="off" required>
<p class="note">Sandbox personas: login Whistler, password ShowBox (Hooli Bank), and the others the sandbox-personas guide lists.</p>
<button type="submit">Connect</button></form>
<p class="note">Programs: POST /sandbox/users/{userId}/consent with a SERVER_ACCESS token and {"institutionId","loginId","password"}.</p>{{end}}
</body></html>`))

// connectForm is what the consent page shows.
type connectForm struct {
	Banks       []institution
	Bank, Login string
	Error       string
	Gone        bool
	Done        *ConsentResult
}

// webBanks are the banks a customer can pick on the page: those with a
// web login.
func webBanks() []institution {
	var out []institution
	for _, in := range institutions {
		if slices.Contains(in.Methods, "web") {
			out = append(out, in)
		}
	}
	return out
}

// linkByID is the live auth link with id, or nil; s.mu is held.
func (s *Simulator) linkByID(id string) *simAuthLink {
	for _, l := range s.authLinks {
		if l.ID == id && !l.Deleted && s.now().Before(l.Expires) {
			return l
		}
	}
	return nil
}

// connectPage shows the consent form for a live link.
func (s *Simulator) connectPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	gone := s.linkByID(r.PathValue("linkId")) == nil
	s.mu.Unlock()
	page(w, connectForm{Banks: webBanks(), Bank: "AU00000", Gone: gone})
}

// connectSubmit finishes the consent the form describes, as the link's
// user: the same as the API route, the link standing for the token.
func (s *Simulator) connectSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the form could not be read", http.StatusBadRequest)
		return
	}
	form := connectForm{Banks: webBanks(), Bank: r.PostForm.Get("institutionId"), Login: r.PostForm.Get("loginId")}
	s.mu.Lock()
	l := s.linkByID(r.PathValue("linkId"))
	var res ConsentResult
	var apiErr *apiError
	if l != nil {
		now := s.now()
		s.advanceAll(now)
		res, apiErr = s.completeConsent(now, l.UserID, ConsentRequest{InstitutionID: form.Bank, LoginID: form.Login, Password: r.PostForm.Get("password")})
	}
	s.mu.Unlock()
	switch {
	case l == nil:
		form.Gone = true
	case apiErr != nil:
		form.Error = apiErr.detail
	default:
		form.Done = &res
	}
	page(w, form)
}

func page(w http.ResponseWriter, f connectForm) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	if f.Gone {
		w.WriteHeader(http.StatusNotFound)
	}
	_ = connectPageHTML.Execute(w, f)
}
