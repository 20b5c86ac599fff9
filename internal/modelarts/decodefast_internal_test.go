package modelarts

import (
	"encoding/json"
	"testing"
)

// TestDecodeFast checks which delete answers DeleteInstanceResponse reads
// without encoding/json (the rest go to json.Unmarshal, with the same
// result), and that the usual one costs one allocation (the ID).
func TestDecodeFast(t *testing.T) {
	for _, tt := range []struct {
		body string
		fast bool
		id   string
	}{
		{`{"instance_id":"DE-7d558ef8-c73d-11ea-964c-0255ac100033"}`, true, "DE-7d558ef8-c73d-11ea-964c-0255ac100033"},
		{" \t\r\n{ \"instance_id\" :\n\"a b\" }\n", true, "a b"},
		{`{"instance_id":""}`, true, ""},
		{`{"Instance_ID":"x"}`, false, "x"},           // json.Unmarshal matches keys case-insensitively
		{`{"instance_id":"a\u0062"}`, false, "ab"},    // escapes
		{`{"instance_id":"é"}`, false, "é"},           // non-ASCII
		{`{"instance_id":"x","other":1}`, false, "x"}, // other fields
		{`{"instance_id":null}`, false, ""},           // null
		{`{"instance_id":"x"}{}`, false, ""},          // trailing data: an error
		{`{"instance_id":1}`, false, ""},              // not a string: an error
		{`{"instance_id":"x"`, false, ""},             // truncated
		{`{"instance_id":"x`, false, ""},              // truncated
		{`{}`, false, ""},
		{``, false, ""},
	} {
		var r DeleteInstanceResponse
		if got := r.decodeFast([]byte(tt.body)); got != tt.fast {
			t.Errorf("decodeFast(%q) = %v, want %v", tt.body, got, tt.fast)
		}
		if !tt.fast && r.InstanceID != "" {
			t.Errorf("decodeFast(%q) set %q though it did not read the body", tt.body, r.InstanceID)
		}
		var got DeleteInstanceResponse
		err := (&response{status: 200, body: []byte(tt.body)}).decode(&got)
		var want DeleteInstanceResponse
		wantErr := json.Unmarshal([]byte(tt.body), &want)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("decode(%q) = %+v, %v; json.Unmarshal: %+v, %v", tt.body, got, err, want, wantErr)
		}
		if want.InstanceID != tt.id && wantErr == nil {
			t.Errorf("json.Unmarshal(%q) = %q, the table says %q", tt.body, want.InstanceID, tt.id)
		}
	}
	r := &response{status: 200, body: []byte(`{"instance_id":"DE-7d558ef8-c73d-11ea-964c-0255ac100033"}`)}
	var out DeleteInstanceResponse
	if n := testing.AllocsPerRun(100, func() { _ = r.decode(&out) }); n > 1 {
		t.Errorf("decoding a delete's answer: %v allocations, want 1 (the ID)", n)
	}
}

// FuzzDecodeFast checks that every body decodeFast reads is one
// json.Unmarshal reads without error, to the same value.
func FuzzDecodeFast(f *testing.F) {
	for _, s := range []string{`{"instance_id":"DE-1"}`, " { \"instance_id\" : \"x\" } ", `{"instance_id":"a\"b"}`, `{"instance_id":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast DeleteInstanceResponse
		if !fast.decodeFast(body) {
			if fast.InstanceID != "" {
				t.Fatalf("decodeFast(%q) set %q though it did not read the body", body, fast.InstanceID)
			}
			return
		}
		var want DeleteInstanceResponse
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("decodeFast read %q, which json.Unmarshal refuses: %v", body, err)
		}
		if fast != want {
			t.Fatalf("decodeFast(%q) = %+v, json.Unmarshal %+v", body, fast, want)
		}
	})
}
