package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fault is a parsed fault spec (see [CheckFault]).
type fault struct {
	spec     string
	latency  time.Duration
	percent  int // 0: every request
	failures int // 0: unlimited
	action   string
	status   int
	code     string
	retryFor int // Retry-After seconds
}

// answers reports whether the fault answers (or drops) the request, rather
// than only delaying it.
func (f *fault) answers() bool { return f.action != "" || f.status != 0 }

// FaultInstancePrefix starts instance IDs that carry a fault spec.
const FaultInstancePrefix = "fault-"

// faultMessages are the vendor's messages for codes faults commonly use.
var faultMessages = map[string]string{
	"ModelArts.6100": "The request timed out. Please try again.",
	"ModelArts.6101": "The system is busy now. Please try again later.",
	"ModelArts.6102": "The server has encountered an error and fails to process the request. Please try again later or submit a service ticket.",
	"ModelArts.6200": "No resources available. Please try again later or submit a service ticket.",
	"ModelArts.6309": "The instance does not exist.",
	"ModelArts.6355": "The resource is initializing. Please wait one minute and try again.",
	"ModelArts.0202": "Invalid token header because the token has expired.",
}

// CheckFault reports whether spec is a valid fault spec (without the
// "fault-" prefix).
//
// A fault is written as a spec: tokens joined by "-",
// applied in this order:
//
//	lat<duration>  wait this long first (lat300ms, lat2s); the fault below
//	               may still apply
//	p<percent>     apply the fault to this share of requests only (p10)
//	fail<N>        apply it to the first N requests only, then serve
//	               normally ("N failures, then success")
//	reset          close the connection with a TCP reset, answering nothing
//	drop           carry the request out, then reset the connection instead
//	               of answering (the outcome is lost on the way back)
//	stall          answer nothing until the client gives up
//	truncate       promise a body and close the connection halfway through
//	html           answer an HTML page (status 502 unless s<status>)
//	empty          answer an empty body (status 503 unless s<status>)
//	s<status>      answer this HTTP status (s503, s429)
//	c<code>        ... with this ModelArts error code (c6101 is
//	               ModelArts.6101, with the vendor's message where known)
//	ra<seconds>    ... and a Retry-After header (ra2)
//	<nonce>        a letter that starts none of the tokens above (a, b, g,
//	               i, j, k, m, n, o, q, u, v, w, x, y or z) followed by
//	               digits only (x7, n42): ignored, so that instance IDs that
//	               carry the same fault can differ
//
// Any other token, an empty one included, makes the spec invalid, so that
// a typo is reported rather than silently ignored. A spec without s, html,
// empty, reset, drop, stall or truncate only adds latency.
//
// Faults reach the emulator in three ways:
//
//   - per instance: an instance ID "fault-<spec>" (fault-s503-c6200-fail2-x7)
//     injects the fault into requests for that ID (get, update, action,
//     delete); when no fault applies, the instance behaves as an existing,
//     stopped one: get shows it, update answers it updated (without
//     keeping anything), start answers STARTING, stop 6307 (already
//     stopped), delete succeeds. This is the way through the facade, which
//     forwards IDs. The new API's notebook IDs (every route with {id} or
//     {instance_id}) and image IDs work alike: a quiet fault notebook is a
//     stopped notebook (stop gives 6357, what needs RUNNING 6327), never
//     kept; a quiet fault image an ACTIVE DEDICATED one.
//   - per created name: a create (of either API) whose body has the name
//     "fault-<spec>" gets the fault; when no fault applies, the instance is
//     created with that name (so a second create of it gives 6301 in the
//     old API, the name being taken; the new API allows duplicates).
//   - per request: the header X-Emulator-Fault: <spec>.
//   - globally: Options.Fault, the emulator command's --fault flag, or
//     PUT /emulator/faults with the spec as body (DELETE clears it; GET
//     shows it).
//
// Counters for fail<N> are kept per instance ID, per created name, per
// header value and path, and for the global fault.
func CheckFault(spec string) error {
	_, err := parseFault(spec)
	return err
}

func parseFault(spec string) (*fault, error) {
	f := &fault{spec: spec}
	for _, tok := range strings.Split(spec, "-") {
		switch {
		case tok == "reset" || tok == "drop" || tok == "stall" || tok == "truncate" || tok == "html" || tok == "empty":
			f.action = tok
		case strings.HasPrefix(tok, "lat"):
			d, err := time.ParseDuration(tok[3:])
			if err != nil || d < 0 {
				return nil, fmt.Errorf("fault %q: bad latency %q", spec, tok)
			}
			f.latency = d
		case strings.HasPrefix(tok, "fail"):
			n, err := strconv.Atoi(tok[4:])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("fault %q: bad failure count %q", spec, tok)
			}
			f.failures = n
		case strings.HasPrefix(tok, "ra"):
			n, err := strconv.Atoi(tok[2:])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("fault %q: bad Retry-After %q", spec, tok)
			}
			f.retryFor = n
		case len(tok) > 1 && tok[0] == 'p' && isDigits(tok[1:]):
			n, _ := strconv.Atoi(tok[1:])
			if n < 1 || n > 100 {
				return nil, fmt.Errorf("fault %q: percentage %q out of 1-100", spec, tok)
			}
			f.percent = n
		case len(tok) > 1 && tok[0] == 's' && isDigits(tok[1:]):
			n, _ := strconv.Atoi(tok[1:])
			if n < 200 || n > 599 {
				return nil, fmt.Errorf("fault %q: status %q out of 200-599", spec, tok)
			}
			f.status = n
		case len(tok) > 1 && tok[0] == 'c' && isDigits(tok[1:]):
			f.code = "ModelArts." + tok[1:]
		case len(tok) > 1 && strings.IndexByte(nonceLetters, tok[0]) >= 0 && isDigits(tok[1:]):
			// a nonce
		case tok == "":
			return nil, fmt.Errorf("fault %q: empty token (an empty spec, two dashes in a row or a dash at an end); want %s", spec, faultForms)
		default:
			return nil, fmt.Errorf("fault %q: unknown token %q; want %s", spec, tok, faultForms)
		}
	}
	return f, nil
}

// nonceLetters start nonces: the lowercase letters that start no token of
// the grammar (c, d, e, f, h, l, p, r, s and t do).
const nonceLetters = "abgijkmnoquvwxyz"

// faultForms lists the tokens parseFault accepts, for its errors.
const faultForms = "lat<duration>, p<percent>, fail<N>, reset, drop, stall, truncate, html, empty, " +
	"s<status>, c<code>, ra<seconds>, or a nonce (a letter other than c, d, e, f, h, l, p, r, s and t followed by digits, such as x7), joined by \"-\""

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// faults holds the global fault and the fail<N> counters.
type faults struct {
	mu       sync.Mutex
	global   *fault
	counters map[string]int
}

// active reports whether f applies to this request, counting it.
func (fs *faults) active(f *fault, key string) bool {
	if f.percent > 0 && rand.IntN(100) >= f.percent {
		return false
	}
	if f.failures == 0 {
		return true
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.counters == nil {
		fs.counters = map[string]int{}
	}
	fs.counters[key]++
	return fs.counters[key] <= f.failures
}

// Fault is a parsed fault spec (see [CheckFault] for the grammar).
type Fault struct{ f *fault }

// ParseFault parses a fault spec (without the "fault-" prefix).
func ParseFault(spec string) (Fault, error) {
	f, err := parseFault(spec)
	if err != nil {
		return Fault{}, err
	}
	return Fault{f: f}, nil
}

// MustParseFault is ParseFault for specs written in code (tests): it
// panics on an invalid one.
func MustParseFault(spec string) Fault {
	f, err := ParseFault(spec)
	if err != nil {
		panic(err)
	}
	return f
}

// SetFault replaces the global fault; an empty spec clears it. It changes
// the emulator while it serves (as PUT /emulator/faults does), which is not
// configuration: Options.Fault sets the fault it starts with.
func (s *Server) SetFault(spec string) error {
	var f *fault
	if spec != "" {
		var err error
		if f, err = parseFault(spec); err != nil {
			return err
		}
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.global = f
	s.faults.counters = nil
	return nil
}

// injectFaults applies the request's faults. It reports whether it
// answered (or dropped) the request, in which case the request is done.
// next is the API handler, for faults that carry the request out first.
func (s *Server) injectFaults(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) bool {
	var list []*fault
	var keys []string
	s.faults.mu.Lock()
	if g := s.faults.global; g != nil {
		list, keys = append(list, g), append(keys, "global")
	}
	s.faults.mu.Unlock()
	if h := r.Header.Get("X-Emulator-Fault"); h != "" {
		f, err := parseFault(h)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		list, keys = append(list, f), append(keys, "header:"+h+":"+r.URL.Path)
	}
	if id := cmp.Or(r.PathValue("instance_id"), r.PathValue("id")); strings.HasPrefix(id, FaultInstancePrefix) {
		f, err := parseFault(strings.TrimPrefix(id, FaultInstancePrefix))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		list, keys = append(list, f), append(keys, "instance:"+id)
	}
	if name := createName(r); strings.HasPrefix(name, FaultInstancePrefix) {
		f, err := parseFault(strings.TrimPrefix(name, FaultInstancePrefix))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		list, keys = append(list, f), append(keys, "name:"+name)
	}
	for i, f := range list {
		if f.latency > 0 && !sleepOrDone(r, f.latency) {
			return true
		}
		if f.answers() && s.faults.active(f, keys[i]) {
			if f.action == "drop" {
				next(httptest.NewRecorder(), r) // carried out; the answer is discarded
			}
			s.act(w, r, f)
			return true
		}
	}
	return false
}

// createName returns the name in a create request's body, or "" for
// another request or a body without one. The body stays readable.
func createName(r *http.Request) string {
	if r.Pattern != createPattern && r.Pattern != notebookCreatePattern {
		return ""
	}
	b, err := readBody(r)
	if err != nil {
		return ""
	}
	var req struct {
		Name any `json:"name"`
	}
	if json.Unmarshal(b, &req) != nil {
		return ""
	}
	name, _ := req.Name.(string)
	return name
}

func sleepOrDone(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// act answers (or drops) the request as the fault says.
func (s *Server) act(w http.ResponseWriter, r *http.Request, f *fault) {
	switch f.action {
	case "reset", "drop":
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
		}
		return
	case "stall":
		<-r.Context().Done()
		return
	}
	if f.retryFor > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryFor))
	}
	switch f.action {
	case "truncate":
		status := f.status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"instance_id":"DE-`)
		// Returning with the body short makes the server close the
		// connection: the client sees it cut off.
		return
	case "html":
		status := f.status
		if status == 0 {
			status = http.StatusBadGateway
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%d %s</h1><hr>load balancer</body></html>\n",
			status, http.StatusText(status), status, http.StatusText(status))
		return
	case "empty":
		status := f.status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		return
	}
	if f.code == "" {
		w.WriteHeader(f.status)
		return
	}
	msg, ok := faultMessages[f.code]
	if !ok {
		msg = "Emulated fault."
	}
	writeErrorFor(w, r, &vendorError{status: f.status, code: f.code, message: msg})
}

// serveFaultAdmin implements GET, PUT and DELETE /emulator/faults.
func (s *Server) serveFaultAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.faults.mu.Lock()
		spec := ""
		if s.faults.global != nil {
			spec = s.faults.global.spec
		}
		s.faults.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"spec": spec})
	case http.MethodPut, http.MethodDelete:
		var spec string
		if r.Method == http.MethodPut {
			b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			spec = strings.TrimSpace(string(b))
			if spec == "" {
				http.Error(w, "PUT the fault spec as the body; DELETE to clear", http.StatusBadRequest)
				return
			}
		}
		if err := s.SetFault(spec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"spec": spec})
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
