package service

import (
	"testing"
	"unsafe"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// TestPolledFrom_detachesEachObject: the objects a watch's poll keeps share
// no string bytes with the list they were read from (whose reader hands
// strings out of chunks shared by the list's objects), so that an event
// in the watch's history does not keep its neighbours alive; they are
// equal to what was read.
func TestPolledFrom_detachesEachObject(t *testing.T) {
	t.Parallel()
	var list notebookv1.ListNotebooksResponse
	raw := `{"data":[{"id":"nb-1","name":"first","description":"one","status":"RUNNING"},` +
		`{"id":"nb-2","name":"second","description":"two","status":"STOPPED"}],"total":2}`
	if err := vendorjson.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatal(err)
	}
	got := polledFrom(list.GetData(), nil)
	if len(got) != len(list.GetData()) {
		t.Fatalf("%d objects; want %d", len(got), len(list.GetData()))
	}
	for i, p := range got {
		read := list.GetData()[i]
		if !proto.Equal(p.msg, read) {
			t.Errorf("object %d: %v; want %v", i, p.msg, read)
		}
		if p.msg == read {
			t.Errorf("object %d is the message read, not a copy", i)
		}
		checked := 0
		read.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.IsMap() {
				return true
			}
			mine := p.msg.ProtoReflect().Get(fd).String()
			if unsafe.StringData(mine) == unsafe.StringData(v.String()) {
				t.Errorf("object %d: %s shares its bytes with the list read", i, fd.Name())
			}
			checked++
			return true
		})
		if checked < 4 {
			t.Errorf("object %d: %d string fields checked; want 4", i, checked)
		}
	}
}
