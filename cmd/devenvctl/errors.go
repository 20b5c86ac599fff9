package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
	"github.com/devenv-facade/devenv-facade/service"
)

// Exit statuses that do not come from a gRPC code.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// exitRow is one row of the exit-code table.
type exitRow struct {
	status  int
	codes   []codes.Code // the gRPC codes that end with this status
	meaning string
}

// exitTable is the exit-code table. The package doc and --help show it;
// tests keep them in step and check that every gRPC code has one row.
var exitTable = []exitRow{
	{exitOK, []codes.Code{codes.OK}, "success"},
	{exitFailure, []codes.Code{codes.Unknown, codes.Internal, codes.Unimplemented, codes.DataLoss},
		"any other failure: UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS, or devenvctl could not write its output"},
	{exitUsage, nil, "usage: a bad command, flag, argument, environment variable or file; nothing was sent"},
	{3, []codes.Code{codes.InvalidArgument, codes.OutOfRange},
		"INVALID_ARGUMENT, OUT_OF_RANGE: the request was refused as malformed (the fields are listed)"},
	{4, []codes.Code{codes.NotFound}, "NOT_FOUND: the instance, notebook, mount or image does not exist"},
	{5, []codes.Code{codes.AlreadyExists}, "ALREADY_EXISTS: the name is taken"},
	{6, []codes.Code{codes.FailedPrecondition},
		"FAILED_PRECONDITION: its state forbids it (stop the instance before deleting it; already running); a wait ended in a failure state"},
	{7, []codes.Code{codes.Unauthenticated, codes.PermissionDenied},
		"UNAUTHENTICATED, PERMISSION_DENIED: credentials missing or rejected, or not allowed for the project"},
	{8, []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.Aborted},
		"UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED: busy, throttled, unreachable or out of quota; try again later (after the delay printed, if any)"},
	{9, []codes.Code{codes.DeadlineExceeded},
		"DEADLINE_EXCEEDED: --timeout passed first; the outcome is unknown (a wait ended: the operation may still complete)"},
	{130, []codes.Code{codes.Canceled}, "CANCELLED: interrupted (Ctrl-C)"},
}

// exitTableText renders the exit-code table, one row a line, as --help and
// the package doc show it.
func exitTableText(indent string) string {
	var b strings.Builder
	for _, r := range exitTable {
		fmt.Fprintf(&b, "%s%3d  %s\n", indent, r.status, r.meaning)
	}
	return b.String()
}

// exitCode returns the process's exit status for what run returned.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	var ce *callError
	if errors.As(err, &ce) {
		return exitForCode(ce.err.Code())
	}
	return exitFailure
}

// exitForCode returns the exit status of a call that ended with c.
func exitForCode(c codes.Code) int {
	for _, r := range exitTable {
		for _, rc := range r.codes {
			if rc == c {
				return r.status
			}
		}
	}
	return exitFailure
}

// usageError is a mistake in the command line, the environment or a file
// they name, found before anything was sent.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// callError is a call that failed, with what the error message needs
// besides the status.
type callError struct {
	err       *service.Error // as the facade (or the gRPC client) reported it
	addr      string         // the facade's address
	tls       bool           // whether devenvctl spoke TLS to it
	timeout   time.Duration  // the call's deadline
	requestID string         // from the response metadata, or the one sent
	created   string         // the instance a create made before it failed (waiting), or ""
	// kind names what created is ("instance", "notebook"), and getCommand
	// the command that shows it ("devenvctl get").
	kind, getCommand string
}

func (e *callError) Error() string { return e.err.Error() }

// codeName returns a gRPC code as the API spells it: NOT_FOUND.
func codeName(c codes.Code) string {
	if name, ok := rpccode.Code_name[int32(c)]; ok {
		return name
	}
	return c.String()
}

// maxErrorText bounds each piece of server text printed.
const maxErrorText = 2048

// printError writes err on w: one line, then, for a failed call, a line per
// invalid field and one with the delay to wait. Text that came from the
// server is cleaned of control and invisible characters and of secrets.
func printError(w io.Writer, err error, secrets *scrub.Secrets) {
	clean := func(s string) string { return scrub.Text(s, maxErrorText, secrets) }
	var u *usageError
	var ce *callError
	switch {
	case errors.As(err, &u):
		fmt.Fprintf(w, "devenvctl: %s\n", clean(u.Error()))
	case errors.As(err, &ce):
		for _, line := range describeCall(ce, clean) {
			fmt.Fprintln(w, line)
		}
	default:
		fmt.Fprintf(w, "devenvctl: %s\n", clean(err.Error()))
	}
}

// describeCall returns the lines printError writes for a failed call,
// with clean applied to each piece of text from the server.
func describeCall(ce *callError, clean func(string) string) []string {
	e := ce.err
	// The facade's errors carry ErrorInfo (a domain); those of the gRPC
	// client itself (a connection it could not make, its own deadline)
	// do not.
	fromFacade := e.Domain() != ""
	first := "devenvctl: " + codeName(e.Code()) + ": "
	msg := e.Message()
	if m := e.VendorMessage(); m != "" {
		msg = m
	}
	if c := e.VendorCode(); c != "" {
		first += clean(c) + ": "
	}
	first += clean(msg)
	// created says the instance a create made before its wait ended on
	// devenvctl's side (Ctrl-C, --timeout, a lost connection), when the
	// facade's own error does not name it: the header the facade sent
	// before waiting is all there is.
	created := ""
	if ce.created != "" && e.Metadata()[apierror.MetadataInstanceID] == "" {
		created = clean(ce.created)
	}
	switch {
	case fromFacade:
	case e.Code() == codes.DeadlineExceeded && created != "":
		// The outcome is known: the instance exists, only the wait ended.
		first += fmt.Sprintf(" (--timeout %s passed while waiting for the %s)", ce.timeout, ce.kind)
	case e.Code() == codes.DeadlineExceeded:
		first += fmt.Sprintf(" (--timeout %s passed; the outcome is unknown)", ce.timeout)
	case e.Code() == codes.Unavailable:
		first += " (the facade at " + ce.addr + ")"
	}
	requestID := e.RequestID()
	if requestID == "" {
		requestID = ce.requestID
	}
	if requestID != "" {
		first += " (request id " + clean(requestID) + ")"
	}
	lines := []string{first}
	for _, v := range e.Violations() {
		lines = append(lines, "  field "+clean(v.GetField())+": "+clean(v.GetDescription()))
	}
	if d := e.RetryDelay(); d > 0 {
		lines = append(lines, "  retry after "+d.String())
	}
	if !fromFacade && e.Code() == codes.Unavailable {
		lines = append(lines, tlsHint(ce.tls, e.Message())...)
	}
	if created != "" {
		lines = append(lines, "  "+ce.kind+" "+created+" was created: ModelArts accepted the create, only the wait did not finish; see it with: "+ce.getCommand+" "+created)
	}
	return lines
}

// tlsHint explains a connection that failed because devenvctl and the
// facade disagree about TLS, from the message gRPC gives: without --tls, a
// TLS port closes the connection when its first bytes are not a TLS
// handshake (gRPC says "error reading server preface"); with --tls, a
// plaintext port answers in HTTP/2 ("first record does not look like a TLS
// handshake").
func tlsHint(useTLS bool, msg string) []string {
	switch {
	case !useTLS && strings.Contains(msg, "error reading server preface"):
		return []string{"  the facade closed the connection at once: if it serves TLS (--tls-cert), add --tls (and --ca-file if its certificate is not from a CA this system trusts)"}
	case useTLS && strings.Contains(msg, "first record does not look like a TLS handshake"):
		return []string{"  the facade answered in plain text, not TLS: it serves no certificate (no --tls-cert), so drop --tls (and --ca-file, --cert-file, --key-file, --server-name)"}
	}
	return nil
}
