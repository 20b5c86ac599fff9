package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// sseStream writes a streaming call's events as Server-Sent Events
// (text/event-stream, as the HTML standard defines them), one event per
// message, each flushed as it is written:
//
//	event: MODIFIED
//	id: <the event's resume token>
//	data: <the object, as the mirror writes it for a GET: one line of JSON>
//
// The event name is the event's type without its EVENT_TYPE_ prefix
// (ADDED, MODIFIED, DELETED, BOOKMARK, SNAPSHOT_COMPLETE); an event with
// no object (BOOKMARK, SNAPSHOT_COMPLETE) has data {}. The id is what an
// EventSource sends back as Last-Event-ID when it reconnects, which
// resumes the watch there ([resumeFromLastEventID]). The snapshot's ADDED
// events have none: their token cannot be resumed from (the client may not
// have the rest of the snapshot), so an EventSource that reconnects before
// the SNAPSHOT_COMPLETE marker, which has one, sends no Last-Event-ID and
// starts again with a snapshot, where that token would have been refused
// with 410 Gone, on which an EventSource gives up. While there is
// nothing to send, a comment line (": keep-alive") every keepAlive keeps
// proxies from closing the connection. If the call fails once events have
// been written, the stream ends with
//
//	event: error
//	retry: <milliseconds, when the error says when to retry>
//	data: <the error as the mirror answers it: {"error_code": ..., "error_msg": ...}>
//
// and is closed. (An error before the first event is an ordinary REST
// answer, with its HTTP status: 410 for RESUME_TOKEN_EXPIRED, which also
// stops an EventSource from reconnecting.)
type sseStream struct {
	w         *streamWriter
	r         *http.Request
	keepAlive time.Duration
	// inSnapshot: the watch started without a resume token and has not
	// sent its SNAPSHOT_COMPLETE marker yet.
	inSnapshot bool
	buf        bytes.Buffer
}

// serve writes the events of c, once c's handler has accepted the call
// (see [clientStream.Header]), until c ends or the client is gone; then
// the gateway's forwarder has nothing left to write.
func (s *sseStream) serve(c *streamCall) {
	h := s.w.Header()
	// The gateway's forwarder asks for chunked encoding; net/http chooses
	// it itself for HTTP/1.1, and HTTP/2 has none.
	h.Del("Transfer-Encoding")
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// nginx buffers answers unless told not to.
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	if s.w.FlushError() != nil {
		return
	}
	originals := vendorjson.OriginalsFrom(c.ctx)
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		select {
		case msg := <-c.msgs:
			err := s.event(msg, originals)
			dropEvent(originals, msg)
			c.consumed <- struct{}{}
			if err != nil {
				return
			}
		case <-tick.C:
			if s.write([]byte(": keep-alive\n\n")) != nil {
				return
			}
		case <-c.done:
			if c.err != nil && s.r.Context().Err() == nil {
				s.errorEvent(c.err)
			}
			return
		}
	}
}

// event writes msg, an event of a watch, and flushes it. An event the
// mirror cannot write (a bug) ends the stream with an error event.
func (s *sseStream) event(msg proto.Message, originals *vendorjson.Originals) error {
	ev, err := watchEventOf(msg)
	data := []byte("{}")
	if err == nil && ev.object != nil {
		data, err = eventData(ev.object, originals)
	}
	if err != nil {
		s.errorEvent(apierror.New(codes.Internal, apierror.ReasonInternal,
			"the facade could not write an event of the stream", callctx.RequestID(s.r.Context())).WithCause(err))
		return err
	}
	switch {
	case ev.name == snapshotComplete:
		s.inSnapshot = false
	case s.inSnapshot && ev.name == snapshotAdded:
		ev.token = "" // see sseStream
	}
	b := &s.buf
	b.Reset()
	b.WriteString("event: ")
	b.WriteString(ev.name)
	if ev.token != "" {
		b.WriteString("\nid: ")
		b.WriteString(ev.token)
	}
	b.WriteString("\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return s.write(b.Bytes())
}

// eventData is obj as the mirror writes it in a GET's answer, on one
// line: JSON ModelArts sent may be indented, and a line break would end
// the data field.
func eventData(obj proto.Message, originals *vendorjson.Originals) ([]byte, error) {
	data, err := vendorjson.MarshalWith(obj, originals)
	if err != nil || !bytes.ContainsAny(data, "\r\n") {
		return data, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return nil, fmt.Errorf("the object's JSON: %w", err)
	}
	return compact.Bytes(), nil
}

// errorEvent writes err as the stream's last event.
func (s *sseStream) errorEvent(err error) {
	v := toVendorError(err, s.r)
	body, jerr := json.Marshal(errorFor(s.r, v.body.ErrorCode, v.body.ErrorMessage))
	if jerr != nil {
		body = []byte(`{"error_code":"Facade.INTERNAL","error_message":"cannot encode the error"}`)
	}
	b := &s.buf
	b.Reset()
	b.WriteString("event: error\n")
	if v.retryAfter > 0 {
		b.WriteString("retry: ")
		b.WriteString(strconv.FormatInt(v.retryAfter.Milliseconds(), 10))
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(body)
	b.WriteString("\n\n")
	_ = s.write(b.Bytes())
}

// write writes b and flushes it.
func (s *sseStream) write(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.w.FlushError()
}

// watchEvent is what an event stream writes of a streaming RPC's message.
type watchEvent struct {
	name   string        // the event's type without EVENT_TYPE_
	token  string        // the resume token
	object proto.Message // nil for an event without one
}

// The fields of a watch's response message: the event's type (an enum),
// its resume token, and the object, the one message field.
const (
	eventTypeField  = "type"
	eventTokenField = "resume_token"
	eventTypePrefix = "EVENT_TYPE_"
	// snapshotAdded names the events of a snapshot, snapshotComplete
	// the marker that ends it.
	snapshotAdded    = "ADDED"
	snapshotComplete = "SNAPSHOT_COMPLETE"
)

// watchEventOf reads an event from a watch's response message (any
// streaming RPC's whose message has a type enum, a resume_token string
// and one message field, as TestWatchResponsesAreEvents checks).
func watchEventOf(msg proto.Message) (watchEvent, error) {
	m := msg.ProtoReflect()
	fields := m.Descriptor().Fields()
	typ, token := fields.ByName(eventTypeField), fields.ByName(eventTokenField)
	if typ == nil || typ.Kind() != protoreflect.EnumKind || token == nil || token.Kind() != protoreflect.StringKind {
		return watchEvent{}, fmt.Errorf("%s is not a watch event", m.Descriptor().FullName())
	}
	var ev watchEvent
	if v := typ.Enum().Values().ByNumber(m.Get(typ).Enum()); v != nil {
		ev.name = strings.TrimPrefix(string(v.Name()), eventTypePrefix)
	} else {
		ev.name = strconv.Itoa(int(m.Get(typ).Enum()))
	}
	ev.token = m.Get(token).String()
	if strings.ContainsAny(ev.token, "\r\n\x00") {
		return watchEvent{}, errors.New("the resume token holds a line break or NUL")
	}
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() && m.Has(fd) {
			ev.object = m.Get(fd).Message().Interface()
		}
	}
	return ev, nil
}

// dropEvent forgets what originals keeps of msg, an event written, and of
// the messages in it: a stream's Originals would otherwise grow with every
// event.
func dropEvent(originals *vendorjson.Originals, msg proto.Message) {
	if originals == nil {
		return
	}
	originals.Drop(msg)
	m := msg.ProtoReflect()
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			originals.Drop(v.Message().Interface())
		}
		return true
	})
}
