package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
)

// maxWebhookAnswer is how much of an answer's body is read.
const maxWebhookAnswer = 64 << 10

// webhookClient makes the webhook calls. It follows no redirect: a
// webhook's URL must be the endpoint itself (a redirected POST may be
// replayed as a GET, or to another host), so a 3xx is refused.
var webhookClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// webhookCall is one call of a webhook step.
type webhookCall struct {
	name    string
	url     *url.URL
	key     string
	timeout time.Duration
}

// post sends body and classifies the answer: the answer and its status
// when the step is done (2xx, 409), else an application error, retryable
// or not. Errors never carry the raw body or Go's transport text: they
// name the webhook, its host, and what happened.
func (c webhookCall) post(ctx context.Context, body contract.WebhookRequest) (contract.WebhookAnswer, int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return contract.WebhookAnswer{}, 0, permanent(ErrInvalidInput, "webhook %s: encode the request: %v", c.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url.String(), bytes.NewReader(raw))
	if err != nil {
		return contract.WebhookAnswer{}, 0, permanent(ErrInvalidInput, "webhook %s: url %s: %v", c.name, c.url.Redacted(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(contract.HeaderIdempotencyKey, c.key)
	resp, err := webhookClient.Do(req)
	if err != nil {
		return contract.WebhookAnswer{}, 0, c.unreachable(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookAnswer))
	if err != nil {
		return contract.WebhookAnswer{}, 0, c.unreachable(ctx, err)
	}
	ans, isJSON := parseWebhookAnswer(resp.Header.Get("Content-Type"), data)
	st := resp.StatusCode
	switch {
	case st >= 200 && st < 300, st == http.StatusConflict:
		return ans, st, nil
	case st >= 500, st == http.StatusRequestTimeout, st == http.StatusTooManyRequests:
		return ans, st, retryable(ErrWebhookUnavailable, "%s", c.statusLine(st, ans, isJSON))
	case st >= 300 && st < 400:
		return ans, st, permanent(ErrWebhookRefused, "%s (the webhook URL must be the endpoint itself: redirects are not followed)", c.statusLine(st, ans, false))
	}
	return ans, st, permanent(ErrWebhookRefused, "%s", c.statusLine(st, ans, isJSON))
}

// statusLine is the one line of a failed call: webhook, host, status, and
// the answer's message when it is JSON.
func (c webhookCall) statusLine(st int, ans contract.WebhookAnswer, isJSON bool) string {
	line := fmt.Sprintf("webhook %s (%s) answered %d %s", c.name, c.url.Host, st, http.StatusText(st))
	if isJSON && ans.Message != "" {
		line += ": " + oneLine(ans.Message, 200)
	}
	return line
}

// unreachable is the retryable error of a call with no answer.
func (c webhookCall) unreachable(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return retryable(ErrWebhookUnavailable, "webhook %s (%s): no answer within %s", c.name, c.url.Host, c.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return retryable(ErrWebhookUnavailable, "webhook %s (%s): cannot call it: %s", c.name, c.url.Host, oneLine(err.Error(), 200))
}

// parseWebhookAnswer reads a JSON answer ({"message": ..., "outputs":
// {...}}; "error" is read as the message when "message" is absent); isJSON
// is false for any other body, which is then ignored.
func parseWebhookAnswer(contentType string, data []byte) (contract.WebhookAnswer, bool) {
	if len(bytes.TrimSpace(data)) == 0 || (contentType != "" && !strings.Contains(contentType, "json")) {
		return contract.WebhookAnswer{}, false
	}
	var v struct {
		contract.WebhookAnswer
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &v) != nil {
		return contract.WebhookAnswer{}, false
	}
	if v.Message == "" {
		v.Message = v.Error
	}
	return v.WebhookAnswer, true
}
