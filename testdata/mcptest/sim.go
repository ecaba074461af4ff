package mcptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// SimControl calls one of the Basiq simulator's test controls (POST
// /_sim/...) with a server token got with key, and a JSON body if one is
// given; anything but a 200 is an error.
func SimControl(simURL, key, path string, body ...string) error {
	req, _ := http.NewRequest(http.MethodPost, simURL+"/token", strings.NewReader("scope=SERVER_ACCESS"))
	req.Header.Set("Authorization", "Basic "+key)
	req.Header.Set("basiq-version", "3.0")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("the simulator's token: %w", err)
	}
	req, _ = http.NewRequest(http.MethodPost, simURL+path, strings.NewReader(strings.Join(body, "")))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return nil
}
