package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
	"github.com/devenv-facade/devenv-facade/internal/watch"
)

// The watches: WatchNotebooks and WatchInstances stream what the facade's
// pollers (package watch) see of a project's list, one poller per
// credentials, API, project and workspace, however many callers watch.
// See docs/watch.md for the guarantees.

// Bounds of the watch options (the flags say them too).
const (
	minWatchPollInterval       = time.Second
	maxWatchPollInterval       = time.Minute
	maxWatchSteadyPollInterval = 10 * time.Minute
	// watchRetryDelay is the RetryInfo of a watch the facade interrupted.
	watchRetryDelay = time.Second
	// notebookPageLimit is the page a poll of notebooks reads: Huawei
	// Cloud's ModelArts takes only 10, 20 or 50.
	notebookPageLimit = 50
	// maxPollPages bounds the pages one poll reads (and so the objects a
	// poller holds): 5,000 notebooks.
	maxPollPages = 100
)

// Defaults of the watch options.
const (
	DefaultWatchPollInterval       = watch.DefaultPollInterval
	DefaultWatchSteadyPollInterval = watch.DefaultSteadyPollInterval
	DefaultWatchBookmarkInterval   = watch.DefaultBookmarkInterval
	DefaultMaxWatches              = 10_000
	DefaultMaxWatchesPerCaller     = 500
)

// notebookTransitional are the statuses a notebook changes from by
// itself (notebook-api §3.1: transient).
var notebookTransitional = []string{"INIT", "CREATING", "STARTING", "STOPPING", "SNAPSHOTTING", "DELETING"}

// instanceTransitional are the statuses an instance of the old API
// changes from by itself.
var instanceTransitional = []string{"CREATING", "STARTING", "RESTARTING", "STOPPING", "RESIZING", "DELETING"}

// WatchOptions configures the watches. The zero value of every field
// means its default.
type WatchOptions struct {
	// PollInterval is the pause between a poller's reads of a project's
	// list while any of its objects is changing state (or after a read
	// that failed); SteadyPollInterval while none is. Zero means
	// [DefaultWatchPollInterval] and [DefaultWatchSteadyPollInterval] (or
	// PollInterval if longer). PollInterval is 1s to 1m;
	// SteadyPollInterval from PollInterval to 10m.
	PollInterval, SteadyPollInterval time.Duration
	// BookmarkInterval is how long a watch goes without an event before
	// it is sent a BOOKMARK. Zero means [DefaultWatchBookmarkInterval].
	BookmarkInterval time.Duration
	// Linger is how long a poller goes on after its last watch ended (a
	// client that reconnects finds it, and its resume token still
	// valid). Zero means watch.DefaultLinger.
	Linger time.Duration
	// History is how many events a poller keeps for resumes; Buffer how
	// many events a watch may fall behind before it is ended with
	// RESOURCE_EXHAUSTED (WATCH_TOO_SLOW). Zero means watch.DefaultHistory
	// and watch.DefaultBuffer.
	History, Buffer int
	// Max bounds the watches open at once over both APIs, and PerCaller
	// those of one caller (by its name under caller authentication, its
	// token for a token holder, else its address): a watch beyond either
	// is refused with RESOURCE_EXHAUSTED (reason OVERLOADED, RetryInfo).
	// Zero means [DefaultMaxWatches] and [DefaultMaxWatchesPerCaller];
	// options.NoLimit, no bound.
	Max, PerCaller int
}

// WithDefaults returns w with its zero fields set to their defaults.
func (w WatchOptions) WithDefaults() WatchOptions {
	w.PollInterval = options.Or(w.PollInterval, DefaultWatchPollInterval)
	w.SteadyPollInterval = options.Or(w.SteadyPollInterval, max(DefaultWatchSteadyPollInterval, w.PollInterval))
	w.BookmarkInterval = options.Or(w.BookmarkInterval, DefaultWatchBookmarkInterval)
	w.Linger = options.Or(w.Linger, watch.DefaultLinger)
	w.History = options.Or(w.History, watch.DefaultHistory)
	w.Buffer = options.Or(w.Buffer, watch.DefaultBuffer)
	w.Max = options.Or(w.Max, DefaultMaxWatches)
	w.PerCaller = options.Or(w.PerCaller, DefaultMaxWatchesPerCaller)
	return w
}

// Validate reports, as an *options.Error naming the field, the first
// setting of w (defaults filled in) the service refuses.
func (w WatchOptions) Validate() error {
	w = w.WithDefaults()
	switch {
	case w.PollInterval < minWatchPollInterval || w.PollInterval > maxWatchPollInterval:
		return options.Errorf("service", "{PollInterval} %s is not from %s to %s", w.PollInterval, minWatchPollInterval, maxWatchPollInterval)
	case w.SteadyPollInterval < w.PollInterval || w.SteadyPollInterval > maxWatchSteadyPollInterval:
		return options.Errorf("service", "{SteadyPollInterval} %s is not from {PollInterval} %s to %s", w.SteadyPollInterval, w.PollInterval, maxWatchSteadyPollInterval)
	case w.BookmarkInterval < 0:
		return options.Errorf("service", "{BookmarkInterval} %s is negative", w.BookmarkInterval)
	case w.Linger < 0:
		return options.Errorf("service", "{Linger} %s is negative", w.Linger)
	case w.History < 0:
		return options.Errorf("service", "{History} %d is negative", w.History)
	case w.Buffer < 0:
		return options.Errorf("service", "{Buffer} %d is negative", w.Buffer)
	case w.Max < options.NoLimit:
		return options.Errorf("service", "{Max} %d is negative (options.NoLimit lifts the bound)", w.Max)
	case w.PerCaller < options.NoLimit:
		return options.Errorf("service", "{PerCaller} %d is negative (options.NoLimit lifts the bound)", w.PerCaller)
	}
	return nil
}

// watchers are the service's hubs and caps.
type watchers struct {
	notebooks *watch.Hub[*polled[*notebookv1.Notebook]]
	instances *watch.Hub[*polled[*devenvv1.Instance]]
	limits    *watch.Limiter
}

// polled is an object a poller read, with the JSON ModelArts sent for it,
// without its secrets (forCallers), which REST watchers are sent as it is
// (nil when the answer could not be split into its objects: they then get
// the object as the facade writes it).
type polled[M proto.Message] struct {
	msg M
	raw []byte
}

// equalPolled reports whether two reads of an object are the same: what
// the API declares of them.
func equalPolled[M proto.Message](a, b *polled[M]) bool { return proto.Equal(a.msg, b.msg) }

// polledFrom pairs the objects a list answered with the JSON o kept for
// each, each object detached from the others of its list (see [detach]).
func polledFrom[M proto.Message](objs []M, o *vendorjson.Originals) []*polled[M] {
	out := make([]*polled[M], len(objs))
	for i, m := range objs {
		raw, _ := o.Get(m)
		out[i] = &polled[M]{msg: detach(m), raw: raw}
	}
	return out
}

// detach returns a copy of m that shares no memory with m: the reader of
// vendor JSON hands a list's strings and optional fields out of chunks
// shared by the list's objects, so that an object a watch keeps (its
// history holds up to watch.DefaultHistory events, from many polls) would
// keep its neighbours' strings too, about 4.5 times its own size.
// proto.Clone would share the strings' bytes; a copy through the binary
// encoding does not. Should that fail (it does not for a message read from
// JSON), m is kept as it is.
func detach[M proto.Message](m M) M {
	b, err := proto.Marshal(m)
	if err != nil {
		return m
	}
	c := m.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(b, c); err != nil {
		return m
	}
	return c.(M)
}

// sendPolled is what a watch sends for an event's object: the message,
// its JSON kept for the REST mirror (if the call has an Originals) until
// the mirror wrote it. Nil for an event without an object.
func sendPolled[M proto.Message](ctx context.Context, p *polled[M]) M {
	var zero M
	if p == nil {
		return zero
	}
	if p.raw != nil {
		vendorjson.OriginalsFrom(ctx).Keep(p.msg, p.raw)
	}
	return p.msg
}

// newWatchers makes the hubs of o.
func newWatchers(o Options) (watchers, error) {
	w := o.Watch
	cfg := watch.Config{Clock: o.Clock, PollInterval: w.PollInterval, SteadyPollInterval: w.SteadyPollInterval,
		BookmarkInterval: w.BookmarkInterval, Linger: w.Linger, History: w.History, Buffer: w.Buffer}
	nb, err := watch.NewHub[*polled[*notebookv1.Notebook]](cfg)
	if err != nil {
		return watchers{}, err
	}
	in, err := watch.NewHub[*polled[*devenvv1.Instance]](cfg)
	if err != nil {
		return watchers{}, err
	}
	return watchers{notebooks: nb, instances: in,
		limits: watch.NewLimiter(max(w.Max, 0), max(w.PerCaller, 0))}, nil // options.NoLimit: no bound
}

// Close stops the watches' pollers: every watch still open ends with
// UNAVAILABLE (WATCH_INTERRUPTED). The server calls it as it stops.
func (s *Service) Close() {
	s.watch.notebooks.Close()
	s.watch.instances.Close()
}

// WatchPollers returns how many watch pollers run over each API.
func (s *Service) WatchPollers() (notebooks, instances int) {
	return s.watch.notebooks.Pollers(), s.watch.instances.Pollers()
}

// WatchNotebooks streams the changes to a project's notebooks; see the
// proto for the contract and docs/watch.md for the guarantees.
func (s *Service) WatchNotebooks(req *notebookv1.WatchNotebooksRequest, stream grpc.ServerStreamingServer[notebookv1.WatchNotebooksResponse]) error {
	return handleStream(stream.Context(), s, req, validateWatchNotebooks, func(ctx context.Context, c *call) error {
		project, workspace := req.GetProjectId(), cmp.Or(req.GetWorkspaceId(), "0")
		status, name := strings.ToUpper(req.GetStatus()), req.GetName()
		creds := c.pollCredentials()
		return runWatch(ctx, s, c, s.watch.notebooks, watch.Request[*polled[*notebookv1.Notebook]]{
			Key:         creds.key("notebooks", project, workspace),
			Source:      func() watch.Source[*polled[*notebookv1.Notebook]] { return s.notebookSource(creds, project, workspace) },
			Filter:      notebookFilter(status, name),
			ResumeToken: req.GetResumeToken(),
		}, func(ev watch.Event[*polled[*notebookv1.Notebook]]) error {
			return stream.Send(&notebookv1.WatchNotebooksResponse{Type: eventType(ev.Kind), Notebook: sendPolled(ctx, ev.Object), ResumeToken: ev.Token})
		})
	})
}

// WatchInstances streams the changes to a project's instances; see the
// proto for the contract and docs/watch.md for the guarantees.
func (s *Service) WatchInstances(req *devenvv1.WatchInstancesRequest, stream grpc.ServerStreamingServer[devenvv1.WatchInstancesResponse]) error {
	return handleStream(stream.Context(), s, req, validateWatchInstances, func(ctx context.Context, c *call) error {
		project, workspace := req.GetProjectId(), cmp.Or(req.GetWorkspaceId(), "0")
		status := req.GetStatus()
		creds := c.pollCredentials()
		var filter func(*polled[*devenvv1.Instance]) bool
		if status != "" {
			filter = func(in *polled[*devenvv1.Instance]) bool { return in.msg.GetStatus() == status }
		}
		return runWatch(ctx, s, c, s.watch.instances, watch.Request[*polled[*devenvv1.Instance]]{
			Key:         creds.key("instances", project, workspace),
			Source:      func() watch.Source[*polled[*devenvv1.Instance]] { return s.instanceSource(creds, project, workspace) },
			Filter:      filter,
			ResumeToken: req.GetResumeToken(),
		}, func(ev watch.Event[*polled[*devenvv1.Instance]]) error {
			return stream.Send(&devenvv1.WatchInstancesResponse{Type: eventType(ev.Kind), Instance: sendPolled(ctx, ev.Object), ResumeToken: ev.Token})
		})
	})
}

// notebookFilter selects notebooks by status (in any case, as the list's
// filter) and by a part of their name (as ModelArts' fuzzy match); nil
// when neither is set.
func notebookFilter(status, name string) func(*polled[*notebookv1.Notebook]) bool {
	if status == "" && name == "" {
		return nil
	}
	return func(p *polled[*notebookv1.Notebook]) bool {
		nb := p.msg
		return (status == "" || strings.EqualFold(nb.GetStatus(), status)) && strings.Contains(nb.GetName(), name)
	}
}

// runWatch runs one watch: it takes a place under the caps, subscribes,
// and sends the events until the caller leaves, the server asks the stream
// to end (callctx.StreamEnd) or the subscription ends.
func runWatch[T any](ctx context.Context, s *Service, c *call, hub *watch.Hub[T], req watch.Request[T], send func(watch.Event[T]) error) error {
	release, err := s.watch.limits.Acquire(watchCaller(ctx, c))
	if err != nil {
		var le *watch.LimitError
		errors.As(err, &le)
		msg := fmt.Sprintf("the facade already serves %d watches (--max-watches); retry after the delay in RetryInfo", le.Limit)
		if le.PerCaller {
			msg = fmt.Sprintf("the caller already has %d watches open (--max-watches-per-caller); close one, or retry after the delay in RetryInfo", le.Limit)
		}
		return apierror.Overloaded(msg, c.apiCall(nil), overloadRetryDelay)
	}
	defer release()
	end, why := callctx.StreamEnd(ctx)
	req.Interrupt = end // a drain does not wait for the poller's first read
	sub, err := hub.Subscribe(ctx, req)
	if err != nil {
		return watchError(c, err, "", why())
	}
	defer sub.Close()
	if req.ResumeToken != "" {
		// A resumed watch may go long without an event (up to a bookmark
		// interval): its header says at once that it goes on, so that a
		// REST client gets its answer's status (and keep-alives) now. A
		// new watch's first event, its snapshot, comes with the first
		// poll, whose failure is then still the call's answer.
		_ = grpc.SendHeader(ctx, metadata.MD{})
	}
	sent := 0
	defer func() { callctx.Annotate(ctx, slog.Int("watch_events", sent)) }()
	for {
		ev, err := sub.Next(ctx, end)
		if err != nil {
			return watchError(c, err, sub.LastToken(), why())
		}
		if err := send(ev); err != nil {
			return err
		}
		sent++
	}
}

// watchError is the caller's error for err, which ended a watch whose
// last resumable token was last; reason says why the server ended it
// (callctx.StreamEnd), if it did.
func watchError(c *call, err error, last, reason string) error {
	var extra map[string]string
	if last != "" {
		extra = map[string]string{apierror.MetadataResumeToken: last}
	}
	switch {
	case errors.Is(err, watch.ErrTokenExpired):
		return apierror.FacadeAsVendor(codes.OutOfRange, apierror.ReasonResumeTokenExpired,
			"the resume token can no longer be resumed from (older than the events this facade keeps, from another replica or from before a restart, or from within a snapshot): watch again without a token, which starts with a snapshot",
			c.apiCall(nil), apierror.FacadeCodePrefix+apierror.ReasonResumeTokenExpired, 410)
	case errors.Is(err, watch.ErrMalformedToken):
		return apierror.InvalidArgument(c.requestID, newViolation("resume_token", violationMalformed, "resume_token is not a token a watch sent"))
	case errors.Is(err, watch.ErrInterrupted), errors.Is(err, watch.ErrClosed):
		if reason == "" {
			reason = callctx.EndDraining
		}
		return apierror.Retryable(codes.Unavailable, apierror.ReasonWatchInterrupted,
			fmt.Sprintf("the watch was ended because %s: watch again with the resume token in ErrorInfo metadata (resume_token), if there is one, to go on", reason),
			c.apiCall(extra), watchRetryDelay)
	case errors.Is(err, watch.ErrTooSlow):
		return apierror.Facade(codes.ResourceExhausted, apierror.ReasonWatchTooSlow,
			"the watch read events more slowly than they came and fell behind the facade's buffer: watch again with the resume token in ErrorInfo metadata (resume_token), if there is one, to go on",
			c.apiCall(extra))
	}
	return err
}

// eventType is k as the proto's enum.
func eventType(k watch.Kind) watchv1.EventType {
	switch k {
	case watch.Added:
		return watchv1.EventType_EVENT_TYPE_ADDED
	case watch.Modified:
		return watchv1.EventType_EVENT_TYPE_MODIFIED
	case watch.Deleted:
		return watchv1.EventType_EVENT_TYPE_DELETED
	case watch.Bookmark:
		return watchv1.EventType_EVENT_TYPE_BOOKMARK
	case watch.SnapshotComplete:
		return watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE
	}
	return watchv1.EventType_EVENT_TYPE_UNSPECIFIED
}

// watchCaller names the caller for --max-watches-per-caller: its name
// under caller authentication, the hash of its token for a token holder
// (whose name all token holders share), else its address.
func watchCaller(ctx context.Context, c *call) string {
	switch {
	case c.tokenOnly:
		return "token:" + tokenHash(c.token)
	case c.caller != "":
		return "caller:" + c.caller
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			return "address:" + host
		}
		return "address:" + p.Addr.String()
	}
	return "unknown"
}

// pollCredentials are the credentials a poller runs on: those of the
// watch that started it, which every watch sharing the poller has too
// (they are part of its key).
type pollCredentials struct {
	token     string
	tokenOnly bool
}

// pollCredentials returns the call's credentials, for a poller.
func (c *call) pollCredentials() pollCredentials {
	return pollCredentials{token: c.token, tokenOnly: c.tokenOnly}
}

// key names the poller of api, project and workspace on these
// credentials: the facade's, or a caller's token by its hash (the token
// itself is never part of a key, a log or a metric).
func (p pollCredentials) key(api, project, workspace string) string {
	who := "facade"
	switch {
	case p.tokenOnly:
		who = "token-only:" + tokenHash(p.token)
	case p.token != "":
		who = "token:" + tokenHash(p.token)
	}
	return who + "/" + api + "/" + project + "/" + workspace
}

// call returns a call for one poll, with a request ID of its own. Its
// reads are fresh (modelarts.Fresh): an answer from the freshness window
// (--read-fresh-for) would hold a change back from every watcher for up
// to the window, and a poll pages through the list: a page from the
// window could be older than the next one read, which would make the
// poller see a list that never was.
func (p pollCredentials) call(s *Service) *call {
	c := &call{requestID: callctx.NewRequestID(), upstream: s.client}
	c.useCredentials(p.token, p.tokenOnly)
	c.opts = append(c.opts, modelarts.Fresh())
	return c
}

// tokenHash identifies a token without revealing it.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:16])
}

// notebookSource polls a project's notebooks (ListNotebooks, page by
// page) on creds.
func (s *Service) notebookSource(creds pollCredentials, project, workspace string) watch.Source[*polled[*notebookv1.Notebook]] {
	return watch.Source[*polled[*notebookv1.Notebook]]{
		Poll: func(ctx context.Context) ([]*polled[*notebookv1.Notebook], error) {
			c := creds.call(s)
			for range maxTornReads {
				all, torn, err := s.readNotebookPages(ctx, c, project, workspace)
				if err != nil || !torn {
					return all, err
				}
			}
			return nil, apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamUnavailable, fmt.Sprintf(
				"the project's notebooks changed while the watch's poller read them page by page, %d times in a row; the poll is retried", maxTornReads),
				c.apiCall(nil))
		},
		ID:    func(p *polled[*notebookv1.Notebook]) string { return p.msg.GetId() },
		Equal: equalPolled[*notebookv1.Notebook],
		Transitional: func(p *polled[*notebookv1.Notebook]) bool {
			return slices.Contains(notebookTransitional, p.msg.GetStatus())
		},
		Permanent: pollErrorPermanent,
		OnRetry:   s.pollRetried("notebooks", project, workspace),
	}
}

// maxTornReads is how many times a poll reads the pages of a list that
// changed while they were read before it gives up (and is retried later).
const maxTornReads = 3

// readNotebookPages reads every page of a project's notebooks, and reports
// the read torn when the list's total changed between its pages: a
// notebook created or deleted meanwhile shifted the later pages, so that
// the read may miss a notebook that exists (which a watch would send as
// DELETED).
func (s *Service) readNotebookPages(ctx context.Context, c *call, project, workspace string) (all []*polled[*notebookv1.Notebook], torn bool, err error) {
	var total int64
	for page := 0; page < maxPollPages; page++ {
		q := url.Values{"offset": {strconv.Itoa(page * notebookPageLimit)}, "limit": {strconv.Itoa(notebookPageLimit)}}
		if workspace != "0" {
			q.Set(modelarts.QueryNotebookWorkspace, workspace)
		}
		o := new(vendorjson.Originals)
		list, err := s.listNotebooks(vendorjson.WithOriginals(ctx, o), c, modelarts.ListNotebooks, project, q, answerInstances)
		if err != nil {
			return nil, false, modelarts.APIError(ctx, err, c.apiCall(nil))
		}
		if page == 0 {
			total = list.GetTotal()
		} else if list.GetTotal() != total {
			return nil, true, nil
		}
		all = append(all, polledFrom(list.GetData(), o)...)
		if len(list.GetData()) < notebookPageLimit || int64(len(all)) >= list.GetTotal() {
			break
		}
	}
	return all, false, nil
}

// instanceSource polls a project's instances (ListInstances, which
// answers them all at once) on creds.
func (s *Service) instanceSource(creds pollCredentials, project, workspace string) watch.Source[*polled[*devenvv1.Instance]] {
	return watch.Source[*polled[*devenvv1.Instance]]{
		Poll: func(ctx context.Context) ([]*polled[*devenvv1.Instance], error) {
			c := creds.call(s)
			q := url.Values{"de_type": {"Notebook"}}
			if workspace != "0" {
				q.Set("workspace_id", workspace)
			}
			o := new(vendorjson.Originals)
			list, err := s.list(vendorjson.WithOriginals(ctx, o), c, project, q, answerInstances)
			if err != nil {
				return nil, modelarts.APIError(ctx, err, c.apiCall(nil))
			}
			return polledFrom(list.GetInstances(), o), nil
		},
		ID:    func(p *polled[*devenvv1.Instance]) string { return p.msg.GetId() },
		Equal: func(a, b *polled[*devenvv1.Instance]) bool { return instanceEqual(a.msg, b.msg) },
		Transitional: func(p *polled[*devenvv1.Instance]) bool {
			return slices.Contains(instanceTransitional, p.msg.GetStatus())
		},
		Permanent: pollErrorPermanent,
		OnRetry:   s.pollRetried("instances", project, workspace),
	}
}

// instanceEqual reports whether two reads of an instance differ in more
// than their countdowns: ModelArts lists a running instance with auto-stop
// with spec.auto_stop.remain_time, the seconds left before its
// stop_timestamp, and a queued one with queuing_info.remain_time, before
// its end_timestamp; both are new at every read, and a change of them
// alone is no change (a watch would otherwise send every such instance
// at every poll). Their timestamps are compared.
func instanceEqual(a, b *devenvv1.Instance) bool {
	if proto.Equal(a, b) {
		return true
	}
	if a.GetSpec().GetAutoStop().GetRemainTime() == b.GetSpec().GetAutoStop().GetRemainTime() &&
		a.GetQueuingInfo().GetRemainTime() == b.GetQueuingInfo().GetRemainTime() {
		return false
	}
	a, b = withoutCountdowns(a), withoutCountdowns(b)
	return proto.Equal(a, b)
}

// withoutCountdowns returns a copy of in without its remain_time fields
// (in itself, shared with the watches, is never changed).
func withoutCountdowns(in *devenvv1.Instance) *devenvv1.Instance {
	c := proto.CloneOf(in)
	if as := c.GetSpec().GetAutoStop(); as != nil {
		as.RemainTime = nil
	}
	if q := c.GetQueuingInfo(); q != nil {
		q.RemainTime = nil
	}
	return c
}

// pollErrorPermanent reports whether a poll's error ends the watches: any
// but those a retry may cure (ModelArts unavailable or throttling, a
// timeout, the facade at a bound).
func pollErrorPermanent(err error) bool {
	e, ok := errors.AsType[*apierror.Error](err)
	if !ok {
		return false
	}
	switch e.Code() {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted, codes.Internal, codes.Unknown, codes.Canceled:
		return false
	}
	return true
}

// pollRetried logs a poll that failed and is retried.
func (s *Service) pollRetried(api, project, workspace string) func(error) {
	return func(err error) {
		attrs := []any{slog.String("api", api), slog.String("project_id", project), slog.String("workspace_id", workspace)}
		if e, ok := errors.AsType[*apierror.Error](err); ok {
			attrs = append(attrs, slog.String("code", e.Code().String()), slog.String("reason", e.Reason()), slog.String("request_id", e.RequestID()))
		}
		s.logger.Warn("a watch's poll of ModelArts failed; retrying", attrs...)
	}
}

// validateWatchNotebooks checks a WatchNotebooksRequest: its filters as
// ListNotebooks checks them, and the resume token's shape.
func validateWatchNotebooks(req *notebookv1.WatchNotebooksRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()),
		checkEnumFold("status", req.GetStatus(), notebookStatuses),
		checkNotebookName("name", req.GetName(), false),
		checkWorkspaceID(req.GetWorkspaceId()),
		checkResumeToken(req.GetResumeToken()))
}

// validateWatchInstances checks a WatchInstancesRequest: its filters as
// ListInstances checks them, and the resume token's shape.
func validateWatchInstances(req *devenvv1.WatchInstancesRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()),
		checkOneOf("status", req.GetStatus(), instanceStatuses),
		checkOptionalID("workspace_id", req.GetWorkspaceId()),
		checkResumeToken(req.GetResumeToken()))
}

// checkResumeToken checks that a resume token, if given, is shaped as one.
func checkResumeToken(v string) *violation {
	if v == "" || watch.CheckToken(v) == nil {
		return nil
	}
	return newViolation("resume_token", violationMalformed, "resume_token is not a token a watch sent: give the resume_token of an event, or none to start with a snapshot")
}
