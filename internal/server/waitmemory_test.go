package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestWaitOverRESTKeepsOnlyItsAnswer: a call that waits over REST reads the
// instance again and again; what the mirror keeps of ModelArts' JSON for
// the answer is the last read, not every read. 100 reads of an instance of
// 512 KiB (about 100 MiB if each were kept, its JSON and its message) leave
// the heap within 32 MiB of what it was before the call. Not parallel: the
// heap is the process's.
func TestWaitOverRESTKeepsOnlyItsAnswer(t *testing.T) {
	const reads = 100
	description := strings.Repeat("d", 512<<10)
	var got atomic.Int32
	instance := func(status string) []byte {
		b, _ := json.Marshal(map[string]any{"id": "w", "name": "waits", "status": status, "description": description})
		return b
	}
	creating, running := instance("CREATING"), instance("RUNNING")
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet && got.Add(1) > reads {
			_, _ = w.Write(running)
			return
		}
		_, _ = w.Write(creating)
	})
	var before, during runtime.MemStats
	var pauses atomic.Int32
	f := startFacade(t, up, func(o *server.Options) {
		o.Credentials = cloudauth.Token("facade-token-wait")
		o.Clock = atPause(func(ctx context.Context, _ time.Duration) error {
			if pauses.Add(1) == reads { // the call is at its last read
				runtime.GC()
				runtime.ReadMemStats(&during)
			}
			return ctx.Err()
		})
	})
	runtime.GC()
	runtime.ReadMemStats(&before)
	body := `{"name":"waits","profile_id":"p","flavor":"modelarts.vm.cpu.2u","wait":true,"spec":{"storage":{"type":"obs","location":{"path":"/bucket/dir/"}}}}`
	code, answer := restRaw(t, http.MethodPost, f.httpURL+"/v1/"+project+"/demanager/instances", body, nil)
	if code != http.StatusOK || !strings.Contains(answer, `"status":"RUNNING"`) {
		t.Fatalf("create with wait: %d %.200s; want 200 with the RUNNING instance", code, answer)
	}
	if pauses.Load() < reads {
		t.Fatalf("the wait paused %d times; want at least %d", pauses.Load(), reads)
	}
	grew := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap before the call %d MiB, at its last read %d MiB", before.HeapAlloc>>20, during.HeapAlloc>>20)
	if grew > 32<<20 {
		t.Errorf("after %d reads of a %d KiB instance the heap grew by %s; want under 32 MiB", reads, len(description)>>10, fmt.Sprintf("%d MiB", grew>>20))
	}
}
