package service

import (
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// Text from ModelArts reaches the facade's errors, their details and its
// log lines only through call.quote: an instance's status, ID and failure
// reasons, a decoder's or a transport's complaint. The client has already
// taken the call's secrets out of the answer's strings (modelarts.Endpoint
// Call); quote also cleans the text (no control, bidirectional or
// invisible characters), takes out secrets a cleaning could have joined
// back, and bounds it, as the client does with error answers. An answer's
// own content (an instance's description in a GetInstance answer) is
// passed on as ModelArts wrote it, without its secrets.

// Bounds of quoted upstream text, in bytes.
const (
	maxQuotedID      = 128
	maxQuotedStatus  = 64
	maxQuotedCode    = 64
	maxQuotedMessage = 1024
	maxQuotedError   = 2048
)

// quote makes s, text from ModelArts, fit to quote in an error, its
// details or a log line: at most maxBytes bytes, cleaned, and without the
// call's secrets (the caller's token and the facade's configured secrets).
func (c *call) quote(s string, maxBytes int) string {
	if !c.secretsMade {
		var configured []string
		if c.upstream != nil {
			configured = c.upstream.Secrets()
		}
		c.secrets, c.secretsMade = scrub.NewSecrets(append(configured, c.token)...), true
	}
	return scrub.Text(s, maxBytes, c.secrets)
}

// quoteErr is quote for an error's text; a nil error is "".
func (c *call) quoteErr(err error) string {
	if err == nil {
		return ""
	}
	return c.quote(err.Error(), maxQuotedError)
}
