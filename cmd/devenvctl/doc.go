// Command devenvctl is the operators' command-line client of devenv-facade.
// It manages the notebooks of ModelArts DevEnviron's current API through
// the facade's modelarts.notebook.v1.NotebookService (commands grouped by
// noun: notebooks, lease, flavors, storage, images), and the instances of
// the historical API through modelarts.devenv.v1.DevEnvService (the
// single-word commands list, get, create, update, start, stop, delete).
//
// Usage:
//
//	devenvctl NOUN COMMAND [flags] [ARGS]     # devenvctl notebooks list
//	devenvctl COMMAND [flags] [INSTANCE_ID]   # devenvctl list
//	devenvctl [NOUN] COMMAND --help
//
// The notebook API's commands are notebooks (list, watch, get, create,
// update, start, stop, delete), lease (show, renew), flavors (list,
// switchable), storage (list, attach, get, detach) and images (list, get,
// register, create, groups, delete); the historical API's are list, watch,
// get, create, update, start, stop and delete; version and help complete
// them.
// Flags follow the command, before or after its arguments.
// The global flags say where the facade is (--addr, default
// 127.0.0.1:9090), which project to act on (--project), how to reach it
// (--tls, --ca-file, --cert-file and --key-file for mutual TLS,
// --server-name) and who is asking (--token, the bearer token the facade
// authenticates callers with, sent as "authorization: Bearer ..."; and
// --auth-token, the caller's own IAM token, sent as x-auth-token). Each has
// an environment variable (DEVENVCTL_ADDR, DEVENVCTL_PROJECT, ...; the
// project also falls back to OS_PROJECT_ID); a flag wins over its variable.
// The tokens also have file twins (--token-file, DEVENVCTL_TOKEN_FILE),
// are never printed, and are only sent over TLS unless the facade is on
// loopback (or --insecure-plaintext is given); a name such as localhost
// counts as loopback only if every address it resolves to is one, checked
// when connecting.
//
// Output is a table for people, or, with -o json, one JSON document for
// scripts: the API's messages in the vendor's JSON (its snake_case field
// names and value types, integers as numbers), so a script written against
// ModelArts reads it unchanged. The notebook API's commands print the
// object itself (the notebook, mount or image, as the REST mirror and
// ModelArts answer), lists the vendor's envelope (current, data, pages,
// size, total) and next_page_token, and lease show and renew the lease
// with stop_at, when the notebook stops by itself. For the historical
// API, get, create and update print the instance itself; list prints
// total_count, instances and next_page_token; start and stop print
// current_status, previous_state and the instance when they waited; delete
// prints instance_id.
//
// Deadlines: every call has a deadline, --timeout; by default 30s, or 15m
// for a command given --wait (create, start, stop and delete wait, on the
// facade, until the instance reaches its target state; ModelArts takes
// minutes to create or start an instance; so do the notebook API's
// notebooks create, start, stop and delete, storage attach and detach, and
// images create). The facade never waits past the
// deadline; a wait cut short fails with DEADLINE_EXCEEDED and says which
// state it saw last. create --wait says on stderr which instance it waits
// for once ModelArts has accepted the create (the facade sends the ID in
// the header x-instance-id before it waits); if the wait is cut short
// (Ctrl-C, --timeout), the error says the instance was created. With list
// --all, each page is a call of its own.
//
// Watches (notebooks watch, watch, and list --watch on both) show the
// objects as they change, as kubectl get -w does: a table whose header
// comes once, then one row per event, its type first (with -o json, one
// JSON object a line per event). They have no deadline: they run until
// Ctrl-C (exit 0), or for --timeout if given. A watch the facade
// interrupts (UNAVAILABLE, WATCH_INTERRUPTED), one that fell behind
// (RESOURCE_EXHAUSTED, WATCH_TOO_SLOW) or whose connection fails goes on
// from the last event shown, after a pause that doubles from 0.5s to 30s
// (or RetryInfo's delay), for at most 10 failures in a row without an
// event; one the facade can no longer resume (OUT_OF_RANGE,
// RESUME_TOKEN_EXPIRED) starts again from a snapshot and shows what
// changed meanwhile. Both are said on stderr.
//
// A connection the facade closes at once (a TLS port reached without
// --tls) or answers in plain text (a plaintext port reached with --tls)
// gets a hint saying which flag to change.
//
// Errors are printed on stderr: the gRPC code, the ModelArts (or facade)
// error code and message from the google.rpc.ErrorInfo detail and the
// request ID, then one line per invalid field (google.rpc.BadRequest) and
// the delay a google.rpc.RetryInfo asks for:
//
//	devenvctl: NOT_FOUND: ModelArts.6309: The instance does not exist. (request id 1b1f1a69-c8a7-425e-8c24-26905cc03a28)
//
// # Exit codes
//
// The exit status says how the call ended, by gRPC code family:
//
//	  0  success
//	  1  any other failure: UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS, or devenvctl could not write its output
//	  2  usage: a bad command, flag, argument, environment variable or file; nothing was sent
//	  3  INVALID_ARGUMENT, OUT_OF_RANGE: the request was refused as malformed (the fields are listed)
//	  4  NOT_FOUND: the instance, notebook, mount or image does not exist
//	  5  ALREADY_EXISTS: the name is taken
//	  6  FAILED_PRECONDITION: its state forbids it (stop the instance before deleting it; already running); a wait ended in a failure state
//	  7  UNAUTHENTICATED, PERMISSION_DENIED: credentials missing or rejected, or not allowed for the project
//	  8  UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED: busy, throttled, unreachable or out of quota; try again later (after the delay printed, if any)
//	  9  DEADLINE_EXCEEDED: --timeout passed first; the outcome is unknown (a wait ended: the operation may still complete)
//	130  CANCELLED: interrupted (Ctrl-C)
package main
