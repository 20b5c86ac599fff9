package server_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// The fairness tests run a facade with 128 calls in flight upstream: 256
// calls may wait for their request, 128 streams per connection; with
// caller authentication, listed callers share 128 of the 256 (32 each),
// token holders IAM vouched for 64 (16 each), other token holders 32,
// health checks 32.
const fairInFlight = 128

// fairFacade is a facade with two listed callers, "ci" (bearer ci-token)
// and "other" (bearer other-token), both on every project, token holders
// admitted by policy (with validate, checked by emu's IAM), 128 calls in
// flight upstream, and a request read timeout far beyond the test, so a
// stream without a request stays pending until the test ends. It returns
// the facade and emu's IAM endpoint.
func fairFacade(t *testing.T, emu *emulator.Server, policy callerauth.TokenHolderPolicy) (*instance, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	var list []string
	for _, name := range []string{"ci", "other"} {
		sum := sha256.Sum256([]byte(name + "-token"))
		list = append(list, "{name: "+name+", token_sha256: "+hex.EncodeToString(sum[:])+", projects: ['*']}")
	}
	writeTestFile(t, path, "callers: ["+strings.Join(list, ", ")+"]\n")
	var iam string
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token(facadeToken)
		o.MaxUpstreamInFlight, o.RequestReadTimeout = fairInFlight, time.Hour
		iam = o.Endpoint + "/v3"
		callerOpts := callerauth.Options{TokenHolders: policy}
		if policy == callerauth.ValidateTokenHolders {
			callerOpts.TokenValidator = iamValidator(t, iam, iamtoken.Options{})
		}
		o.Callers = loadCallers(t, path, callerOpts)
	})
	return f, iam
}

// floodPending opens conns raw HTTP/2 connections to addr and starts
// perConn header-only GetInstance streams on each (the metadata of the
// i-th stream overall is md(i)), none ever sending its request. It returns
// once the facade has seen every stream's headers (a PING sent after them
// is answered), so each has been admitted or refused.
func floodPending(t *testing.T, addr string, conns, perConn int, md func(i int) map[string]string) {
	t.Helper()
	for c := range conns {
		h := dialH2(t, addr)
		go h.respond()
		for i := range perConn {
			if err := h.headers(uint32(2*i+1), "/modelarts.devenv.v1.DevEnvService/GetInstance", md(c*perConn+i)); err != nil {
				t.Fatal(err)
			}
		}
		h.sync()
	}
}

// callsSucceeding makes n GetInstance calls with the outgoing metadata md,
// one after the other, and returns how many succeeded and the first error.
func callsSucceeding(t *testing.T, f *instance, n int, md ...string) (int, error) {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(t.Context(), md...)
	ok := 0
	var first error
	for range n {
		_, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running})
		if err == nil {
			ok++
		} else if first == nil {
			first = err
		}
	}
	return ok, first
}

// TestPendingStreams_tokenHoldersCannotLockOutListedCallers: token holders
// flooding the facade with streams that send headers but never their
// request (3 connections × 128, more than the 256 that may wait in all)
// take only their share: a listed caller's calls keep succeeding (at least
// 9 in 10 of 30; all of them, in fact), under forward (any token) and
// under validate (tokens nobody verified). And a token holder whose token
// IAM has accepted before keeps working beside such a flood.
func TestPendingStreams_tokenHoldersCannotLockOutListedCallers(t *testing.T) {
	t.Parallel()
	for _, policy := range []callerauth.TokenHolderPolicy{callerauth.ForwardTokenHolders, callerauth.ValidateTokenHolders} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "alice", Password: "alice-pw", Domain: "acme"}}})
			f, iam := fairFacade(t, emu, policy)
			// The emulator, which knows an IAM user, wants tokens its
			// IAM issued: the listed caller sends one of its own.
			listed := []string{"authorization", "Bearer ci-token", "x-auth-token", issueToken(t, iam, "eu-de")}
			vouched := ""
			if policy == callerauth.ValidateTokenHolders {
				// A token holder whose token IAM accepted once.
				vouched = issueToken(t, iam, "eu-de")
				if ok, err := callsSucceeding(t, f, 1, "x-auth-token", vouched); ok != 1 {
					t.Fatalf("the token holder's first call: %v", err)
				}
			}
			floodPending(t, f.grpcAddr, 3, fairInFlight, func(i int) map[string]string {
				return map[string]string{"x-auth-token": "MIIflood-" + strconv.Itoa(i)}
			})
			if ok, err := callsSucceeding(t, f, 30, listed...); ok < 27 {
				t.Errorf("the listed caller's calls during the flood: %d of 30 succeeded (first error: %v); want at least 27", ok, err)
			}
			if vouched != "" {
				if ok, err := callsSucceeding(t, f, 30, "x-auth-token", vouched); ok < 27 {
					t.Errorf("a vouched token holder's calls during the flood: %d of 30 succeeded (first error: %v); want at least 27", ok, err)
				}
			}
			// The flood's own calls beyond its share are refused as
			// overloaded, with a retry delay.
			_, err := callsSucceeding(t, f, 1, "x-auth-token", "MIIflood-one-more")
			if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "token holders whose token is not verified yet") {
				t.Errorf("one more unverified token holder's call during the flood: %v; want RESOURCE_EXHAUSTED naming its share", err)
			}
		})
	}
}

// TestPendingStreams_listedCallerCannotLockOutOthers: a listed caller
// flooding the facade with streams that never send their request (3
// connections × 128) takes only its own share: another listed caller's
// calls keep succeeding, and so do a token holder's.
func TestPendingStreams_listedCallerCannotLockOutOthers(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f, _ := fairFacade(t, emu, callerauth.ForwardTokenHolders)
	floodPending(t, f.grpcAddr, 3, fairInFlight, func(int) map[string]string {
		return map[string]string{"authorization": "Bearer ci-token"}
	})
	if ok, err := callsSucceeding(t, f, 30, "authorization", "Bearer other-token"); ok < 27 {
		t.Errorf("another listed caller's calls during the flood: %d of 30 succeeded (first error: %v); want at least 27", ok, err)
	}
	if ok, err := callsSucceeding(t, f, 30, "x-auth-token", "MIIholder"); ok < 27 {
		t.Errorf("a token holder's calls during the flood: %d of 30 succeeded (first error: %v); want at least 27", ok, err)
	}
	_, err := callsSucceeding(t, f, 1, "authorization", "Bearer ci-token")
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "this caller already has") {
		t.Errorf("the flooding caller's next call: %v; want RESOURCE_EXHAUSTED for its own share", err)
	}
}

// TestPendingREST_tokenHoldersTakeOnlyTheirShare: over REST, token holders
// whose requests declare a body they never send are held only within
// their share (32 here): the rest are answered at once with 429
// Facade.OVERLOADED, unread, and a listed caller's create still succeeds.
func TestPendingREST_tokenHoldersTakeOnlyTheirShare(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{NoSamples: true})
	f, _ := fairFacade(t, emu, callerauth.ForwardTokenHolders)
	const share, extra = fairInFlight / 4, 20 // 256 pending / 8
	refused := make(chan string, share+extra)
	for i := range share + extra {
		conn, err := net.Dial("tcp", f.httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		_, err = fmt.Fprintf(conn, "POST /v1/%s/demanager/instances HTTP/1.1\r\nHost: facade\r\nX-Auth-Token: MIIflood-%d\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", project, i)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				return // the test ended and closed the connection
			}
			resp.Body.Close()
			refused <- resp.Status + " " + resp.Header.Get("Retry-After")
		}()
	}
	for i := range extra {
		select {
		case got := <-refused:
			if got != "429 Too Many Requests 1" {
				t.Errorf("a request beyond the share: %s; want 429 with Retry-After: 1", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of the %d requests beyond the share were refused", i, extra)
		}
	}
	code, _, raw := vendorCall(t, http.MethodPost, f.httpURL+"/v1/"+project+"/demanager/instances",
		map[string]string{"Authorization": "Bearer ci-token"}, referenceBody(t, "create-request.json"))
	if code != http.StatusOK {
		t.Errorf("a listed caller's create during the flood: %d %s", code, raw)
	}
}

// TestPendingStreams_memoryIsBounded: streams that send 48 KiB of
// metadata but never their request (2 connections × 1,024, at the default
// in-flight cap) hold at most their share's header bytes: the heap and
// stacks grow by far less than the 100 MiB they would hold if each kept
// its headers and goroutine.
func TestPendingStreams_memoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 96 MiB of metadata over loopback")
	}
	// Not parallel: the measure is the whole process's.
	emu := emulator.MustNew(emulator.Options{})
	f := startHolderFacade(t, emu, callerauth.ForwardTokenHolders, nil)
	// '~' has a long Huffman code: HPACK sends it as it is, which spares
	// both ends the coding of 96 MiB.
	pad := strings.Repeat("~", 48<<10)
	before := heapAndStacks()
	floodPending(t, f.grpcAddr, 2, 1024, func(i int) map[string]string {
		return map[string]string{"x-auth-token": "MIIflood-" + strconv.Itoa(i), "x-padding": pad}
	})
	grew := int64(heapAndStacks()) - int64(before)
	t.Logf("2,048 pending streams with 48 KiB of metadata each: heap and stacks grew by %d KiB", grew>>10)
	if grew > 40<<20 {
		t.Errorf("heap and stacks grew by %d MiB; want under 40 MiB", grew>>20)
	}
}

// heapAndStacks returns the heap and goroutine stacks in use, after a
// collection.
func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
