package activities

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// DefaultWebhookTimeout bounds one webhook call when the description's
// entry sets no timeout.
const DefaultWebhookTimeout = 30 * time.Second

// Error types of the webhook action.
const (
	// ErrWebhookRefused: the endpoint answered 4xx (not 408, 409 or 429)
	// or a redirect; the same call cannot succeed later, so the step parks.
	ErrWebhookRefused = "WebhookRefused"
	// ErrWebhookUnavailable (retryable): a 5xx, a 408 or 429, no answer
	// within the timeout, or no connection.
	ErrWebhookUnavailable = "WebhookUnavailable"
)

// Webhook (webhook) POSTs the step to the webhook its param names (the
// platform description's webhooks), as a contract.WebhookRequest with the
// step's contract.WebhookIdempotencyKey in the Idempotency-Key header, and
// waits for the answer within the webhook's timeout, heartbeating:
//
//   - 2xx: done; a JSON contract.WebhookAnswer gives the step's message
//     and outputs (added to the site's vars);
//   - 409: already done (an earlier attempt's call went through);
//   - 408, 429, 5xx, no answer in time, no connection: retried;
//   - any other 4xx, or a redirect: refused, not retried (the site parks),
//     with one line naming the webhook, its host, the status and the
//     answer's message when it is JSON.
//
// An unknown webhook name or a bad URL is refused before any call.
func (a *Activities) Webhook(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	if err := a.need("description"); err != nil {
		return contract.StepOutput{}, err
	}
	name, err := param(in, contract.ParamWebhook)
	if err != nil {
		return contract.StepOutput{}, err
	}
	hook, u, err := findWebhook(a.d.Description, name)
	if err != nil {
		return contract.StepOutput{}, err
	}
	body, err := webhookRequest(in)
	if err != nil {
		return contract.StepOutput{}, err
	}
	timeout := hook.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	call := webhookCall{name: name, url: u, key: contract.WebhookIdempotencyKey(in), timeout: timeout}
	cctx, stop := a.keepAlive(ctx, timeout, nil)
	defer stop()
	ans, status, err := call.post(cctx, body)
	if err != nil {
		if ctx.Err() != nil {
			return contract.StepOutput{}, ctx.Err() // the attempt was cancelled or ran out
		}
		return contract.StepOutput{}, err
	}
	a.log(in).Info("webhook called", zap.String("webhook", name), zap.String("host", u.Host),
		zap.Int("status", status), zap.String("idempotency_key", call.key))
	msg := ans.Message
	if msg == "" {
		msg = fmt.Sprintf("webhook %s answered %d", name, status)
		if status == 409 {
			msg = fmt.Sprintf("webhook %s: already done (409)", name)
		}
	}
	return contract.StepOutput{Message: oneLine(msg, 300), Values: ans.Outputs}, nil
}

// findWebhook is the description's webhook of that name with its URL.
func findWebhook(d *platform.Description, name string) (platform.Webhook, *url.URL, error) {
	var names []string
	for _, w := range d.Webhooks {
		if w.Name != name {
			names = append(names, w.Name)
			continue
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return w, nil, permanent(ErrInvalidInput, "webhook %s: url %q is not an http(s) URL", name, w.URL)
		}
		return w, u, nil
	}
	sort.Strings(names)
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	return platform.Webhook{}, nil, permanent(ErrInvalidInput, "param webhook %q names no webhook of the platform description (webhooks: %s)", name, known)
}

// webhookRequest is the body of a webhook step's call.
func webhookRequest(in contract.StepInput) (contract.WebhookRequest, error) {
	as, err := target(in)
	if err != nil {
		return contract.WebhookRequest{}, err
	}
	req := contract.WebhookRequest{
		SiteID: in.SiteID, AsSiteID: as, BatchID: in.BatchID, StepID: in.StepID, Runbook: in.Runbook,
		Params: map[string]string{}, Drill: in.Drill,
	}
	for k, v := range in.Params {
		if k != contract.ParamWebhook {
			req.Params[k] = v
		}
	}
	p := in.RestorePoint
	if p.IsZero() {
		t, _, err := in.Vars.RestorePoint()
		if err != nil {
			return contract.WebhookRequest{}, permanent(ErrInvalidInput, "%v", err)
		}
		p = t
	}
	if !p.IsZero() {
		p = p.UTC()
		req.RestorePoint = &p
	}
	return req, nil
}

// oneLine is s on one line, at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
