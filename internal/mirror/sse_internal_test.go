package mirror

import (
	"net/http"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// TestWatchResponsesAreEvents: every server-streaming RPC the mirror
// serves answers messages the event stream can write (watchEventOf): a
// type enum whose values are EVENT_TYPE_..., a resume_token string and
// exactly one message field, the object.
func TestWatchResponsesAreEvents(t *testing.T) {
	t.Parallel()
	n := 0
	for _, rpc := range rpcdecl.Served().RPCs() {
		if !rpc.Desc.IsStreamingServer() || rpc.HTTP == nil {
			continue // not the mirror's (health, reflection)
		}
		n++
		out := rpc.Desc.Output()
		msg := dynamicpb.NewMessage(out)
		var objects []protoreflect.FieldDescriptor
		for i := range out.Fields().Len() {
			if fd := out.Fields().Get(i); fd.Kind() == protoreflect.MessageKind {
				objects = append(objects, fd)
			}
		}
		if len(objects) != 1 {
			t.Errorf("%s: %d message fields; want the one object", out.FullName(), len(objects))
			continue
		}
		typ := out.Fields().ByName(eventTypeField)
		if typ == nil || typ.Kind() != protoreflect.EnumKind {
			t.Errorf("%s: no %s enum", out.FullName(), eventTypeField)
			continue
		}
		added := typ.Enum().Values().ByName(eventTypePrefix + "ADDED")
		if added == nil {
			t.Errorf("%s: %s has no %sADDED", out.FullName(), typ.Enum().FullName(), eventTypePrefix)
			continue
		}
		msg.Set(typ, protoreflect.ValueOfEnum(added.Number()))
		if tok := out.Fields().ByName(eventTokenField); tok != nil {
			msg.Set(tok, protoreflect.ValueOfString("t1"))
		}
		msg.Set(objects[0], protoreflect.ValueOfMessage(dynamicpb.NewMessage(objects[0].Message())))
		ev, err := watchEventOf(msg)
		if err != nil || ev.name != "ADDED" || ev.token != "t1" || ev.object == nil {
			t.Errorf("%s: event %+v, %v; want ADDED, t1 and the object", out.FullName(), ev, err)
		}
	}
	if n == 0 {
		t.Error("no server-streaming RPC")
	}
}

// TestAcceptsEventStream: a request asks for Server-Sent Events when its
// Accept names text/event-stream with a q above zero, in any case, among
// other types or alone; wildcards do not.
func TestAcceptsEventStream(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		accept []string
		want   bool
	}{
		{[]string{"text/event-stream"}, true},
		{[]string{"Text/Event-Stream"}, true},
		{[]string{"application/json, text/event-stream;q=0.5"}, true},
		{[]string{"application/json", "text/event-stream"}, true},
		{[]string{"text/event-stream; charset=utf-8"}, true},
		{[]string{"text/event-stream;q=0"}, false},
		{[]string{"text/event-stream;q=x"}, false},
		{[]string{"*/*"}, false},
		{[]string{"text/*"}, false},
		{[]string{"application/json"}, false},
		{nil, false},
		{[]string{"text/event-streamx"}, false},
	} {
		h := http.Header{"Accept": tt.accept}
		if got := acceptsEventStream(h); got != tt.want {
			t.Errorf("Accept %q: %v; want %v", tt.accept, got, tt.want)
		}
	}
}
