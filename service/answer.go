package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// What callers get of ModelArts' answers. gRPC callers get the API's
// messages, read from the vendor's JSON: fields the API does not declare
// are dropped, the credentials among them, and so are secrets in fields it
// declares (withoutSecrets). REST callers get the vendor's JSON itself, as
// ModelArts sent it (its explicit nulls, fields the API does not declare,
// its order), less the same secrets (forCallers): the service keeps it
// beside the messages it read, in the call's vendorjson.Originals, which
// the mirror writes in their place. (The client has already replaced the
// call's own tokens in both.)

// readInstance reads the vendor's JSON of an instance, for the call of ctx.
func readInstance(ctx context.Context, raw []byte) (*devenvv1.Instance, error) {
	var inst devenvv1.Instance
	if err := vendorjson.Unmarshal(raw, &inst); err != nil {
		return nil, err
	}
	withoutSecrets(&inst)
	if o := vendorjson.OriginalsFrom(ctx); o != nil {
		clean, err := forCallers(raw)
		if err != nil {
			return nil, err
		}
		o.Keep(&inst, clean)
	}
	return &inst, nil
}

// keepOriginal keeps raw, ModelArts' JSON answer (or nil), for REST
// callers, as m, the answer made of it, when the call's answer is vendor
// JSON. m was made by the client's reader (encoding/json, which takes a
// member's name in any case and the last of duplicates); raw is kept only
// if the API's reader makes m of it too, so that REST callers, whose
// readers match names as written, are told what gRPC callers are. When it
// does not, REST callers get m as the facade writes it.
func keepOriginal(ctx context.Context, m proto.Message, raw []byte) {
	o := vendorjson.OriginalsFrom(ctx)
	if o == nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return // not an object (an empty or null answer): the facade's own
	}
	read := m.ProtoReflect().New().Interface()
	if vendorjson.Unmarshal(raw, read) != nil || !proto.Equal(read, m) {
		return // {"current_status": "A", "Current_Status": "B"}: m says B
	}
	if clean, err := forCallers(raw); err == nil {
		o.Keep(m, clean)
	}
}

// listUse says what a list read from ModelArts answers: the list itself,
// or some of its instances (a page, a lookup).
type listUse bool

const (
	answerList      listUse = false
	answerInstances listUse = true
)

// readList reads the vendor's JSON of a list of instances, for the call of
// ctx. REST callers get the list as ModelArts sent it, or, when use is
// answerInstances, each instance as ModelArts sent it (splitting the list
// costs a second reading of it, so it is done only then).
func readList(ctx context.Context, raw []byte, use listUse) (*devenvv1.ListInstancesResponse, error) {
	var list devenvv1.ListInstancesResponse
	if err := vendorjson.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	for _, inst := range list.GetInstances() {
		withoutSecrets(inst)
	}
	o := vendorjson.OriginalsFrom(ctx)
	if o == nil {
		return &list, nil
	}
	clean, err := forCallers(raw)
	if err != nil {
		return nil, err
	}
	o.Keep(&list, clean)
	if use != answerInstances {
		return &list, nil
	}
	var items struct {
		Instances []json.RawMessage `json:"instances"`
	}
	if err := json.Unmarshal(clean, &items); err != nil {
		return nil, err
	}
	if len(items.Instances) == len(list.GetInstances()) {
		for i, inst := range list.GetInstances() {
			o.Keep(inst, items.Instances[i])
		}
	}
	return &list, nil
}

// secretKeyParts name the members of ModelArts' answers that are never
// passed on, wherever they are: spec.credential and
// repository.connection_info.credential (an SSH private key and a
// repository's access token), and any member ModelArts may add whose name
// says it holds a secret. A member whose key, folded (foldKey), holds one
// of them is dropped.
var secretKeyParts = []string{"credential", "password", "passwd", "secret", "token", "privatekey", "accesskey"}

// suspectWords are what an answer that may hold a member forCallers
// changes holds, in ASCII lower case: a piece of each secretKeyParts
// without "_" or "-" in it, and the start of connection_info.
var suspectWords = [][]byte{[]byte("credential"), []byte("passw"), []byte("secret"), []byte("token"),
	[]byte("private"), []byte("access"), []byte("connection")}

// foldKey returns a member's name as secretKey and copyValue compare it:
// in ASCII lower case, without "_" and "-". ModelArts names members in
// lower snake case, but the API's reader also takes the lowerCamelCase
// JSON names (connectionInfo for connection_info), so a gRPC answer read
// from such a name has its secrets removed: the vendor's JSON REST callers
// get must lose the same, whatever the case or separators.
func foldKey(key string) string {
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// secretKey reports whether an answer's member named key is dropped.
func secretKey(key string) bool {
	k := foldKey(key)
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// suspect reports whether raw may hold a member forCallers drops or
// changes: a suspect word in any ASCII case, or an escape (\u) that
// could spell a member's name.
func suspect(raw []byte) bool {
	if bytes.Contains(raw, []byte(`\u`)) {
		return true
	}
	lower := make([]byte, len(raw))
	for i, c := range raw {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for _, w := range suspectWords {
		if bytes.Contains(lower, w) {
			return true
		}
	}
	return false
}

// forCallers returns raw, the vendor's JSON of an instance or a list
// (already read as such), without what callers must not see: the members
// secretKey names, and the password or token in a repository's
// connection_info.url (repositoryURL). Everything else is kept as
// ModelArts wrote it. raw itself is returned when it can hold none of
// that (suspect: the common case, one pass and a search per word);
// otherwise the JSON is written anew, in the same order.
func forCallers(raw []byte) ([]byte, error) {
	if !suspect(raw) {
		return raw, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out bytes.Buffer
	out.Grow(len(raw))
	if err := copyValue(d, &out, "", ""); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("vendor JSON: data after the value")
	}
	return out.Bytes(), nil
}

// copyValue copies the next JSON value of d to out, without the members
// secretKey names; key is the member the value belongs to ("" in an array
// or at the top) and parent the member of the object around it, both
// folded (foldKey).
func copyValue(d *json.Decoder, out *bytes.Buffer, parent, key string) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			first := true
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				name, _ := k.(string)
				if secretKey(name) {
					var skip json.RawMessage
					if err := d.Decode(&skip); err != nil {
						return err
					}
					continue
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				writeJSON(out, name)
				out.WriteByte(':')
				if err := copyValue(d, out, key, foldKey(name)); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; d.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := copyValue(d, out, key, ""); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := d.Token() // the closing delimiter
		return err
	case string:
		if parent == "connectioninfo" && key == "url" {
			t = repositoryURL(t)
		}
		writeJSON(out, t)
	case json.Number:
		out.WriteString(t.String())
	case bool, nil:
		writeJSON(out, t)
	}
	return nil
}

// writeJSON writes a string, bool or null as JSON.
func writeJSON(out *bytes.Buffer, v any) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // cannot fail for these
	out.Truncate(out.Len() - 1)
}
