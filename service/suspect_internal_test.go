package service

import (
	"bytes"
	"strings"
	"testing"
)

// suspectLowered is suspect written plainly: the whole text lowered into a
// copy without "_" and "-" (as foldKey folds a member's name), then a
// search per word. suspect must answer as it does.
func suspectLowered(raw []byte) bool {
	if bytes.Contains(raw, []byte(`\u`)) {
		return true
	}
	lower := make([]byte, 0, len(raw))
	for _, c := range raw {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != '_' && c != '-' {
			lower = append(lower, c)
		}
	}
	for _, w := range suspectWords {
		if bytes.Contains(lower, w) {
			return true
		}
	}
	return false
}

// TestSuspectAcrossChunks: a word is found wherever it lies in a long
// answer, across the edges of suspect's chunks too, in any ASCII case, and
// not found where it is absent or broken by a byte outside ASCII.
func TestSuspectAcrossChunks(t *testing.T) {
	t.Parallel()
	filler := strings.Repeat(`{"name":"bench-001","status":"RUNNING"},`, 400) // about 16 KB
	for _, w := range []string{"credential", "PassW", "secret", "TOKEN", "Private", "aCCess", "connection",
		"Pass-Word", "to_ken", "c_o_n_n_e_c_t_i_o_n", "t--_--oken"} {
		for at := 0; at < 3*4096+40; at++ {
			if at%4096 > 20 && at%4096 < 4096-20 && at%97 != 0 {
				continue // the edges of the chunks, and a sample of the rest
			}
			in := filler[:at] + w + filler[at:]
			if !suspect([]byte(in)) {
				t.Fatalf("suspect misses %q at %d", w, at)
			}
		}
	}
	if suspect([]byte(filler)) {
		t.Fatal("suspect finds a word in the filler")
	}
	for _, in := range []string{"tok\xc3\xa9n", "toke", "conn ection", "", "t", "_token_"[:5], "-t_o-k_e", "p_a_s_s_"} {
		if suspect([]byte(filler + in)) {
			t.Errorf("suspect finds a word in %q", in)
		}
	}
}

// TestSuspectAllocatesNothing: suspect runs on every answer REST callers
// get (100 instances are about 120 KB); it used to copy the answer.
func TestSuspectAllocatesNothing(t *testing.T) {
	for _, raw := range [][]byte{
		[]byte(strings.Repeat(`{"name":"bench-001","status":"RUNNING"},`, 3000)),
		[]byte(`{"instance_id":"DE-00000000-0000-0000-0000-000000000001"}`),
	} {
		if n := testing.AllocsPerRun(10, func() { suspect(raw) }); n != 0 {
			t.Errorf("suspect of %d bytes allocates %.0f times; want none", len(raw), n)
		}
	}
}

// FuzzSuspect: suspect answers as suspectLowered, on any text (a short
// seed is repeated so that inputs span several chunks).
func FuzzSuspect(f *testing.F) {
	f.Add([]byte(`{"Token":1}`), 1)
	f.Add([]byte("x\xffCONNECTION"), 700)
	f.Add([]byte(`"\u0074"`), 3)
	f.Add([]byte(`{"Pass-_Word":1}`), 300)
	f.Fuzz(func(t *testing.T, in []byte, repeat int) {
		if repeat < 1 || repeat > 2000 {
			repeat = 1
		}
		raw := bytes.Repeat(in, repeat)
		if got, want := suspect(raw), suspectLowered(raw); got != want {
			t.Fatalf("suspect(%q × %d) = %v; want %v", in, repeat, got, want)
		}
	})
}

// BenchmarkSuspect looks for the suspect words in 120 KB holding none (a
// list of 100 instances is about that) and in a delete's answer, as
// suspect does and as it did before (suspectLowered).
func BenchmarkSuspect(b *testing.B) {
	list := []byte(strings.Repeat(`{"name":"bench-001","status":"RUNNING","flavor":"modelarts.vm.cpu.2u"},`, 1700))
	deleted := []byte(`{"instance_id":"DE-00000000-0000-0000-0000-000000000001"}`)
	for _, bm := range []struct {
		name string
		raw  []byte
		f    func([]byte) bool
	}{{"list/chunks", list, suspect}, {"list/lowered", list, suspectLowered}, {"delete/chunks", deleted, suspect}, {"delete/lowered", deleted, suspectLowered}} {
		raw := bm.raw
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if bm.f(raw) {
					b.Fatal("suspect")
				}
			}
		})
	}
}
