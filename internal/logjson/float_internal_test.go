package logjson

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func checkFloat(t *testing.T, f float64) {
	t.Helper()
	want := strconv.AppendFloat(nil, f, 'f', -1, 64)
	if got := appendFloat(nil, f); string(got) != string(want) {
		t.Fatalf("appendFloat(%v) = %s; want %s (strconv)", f, got, want)
	}
}

// TestAppendFloat: the thousandths' fast path writes what strconv writes,
// for every thousandth up to 300 and random ones up to a million, values
// that are not thousandths, and the edges.
func TestAppendFloat(t *testing.T) {
	for n := range 300_000 {
		checkFloat(t, float64(n)/1000)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300_000 {
		checkFloat(t, float64(r.Int64N(1_000_000_000))/1000)
		checkFloat(t, r.Float64()*1e6)
		checkFloat(t, r.Float64())
	}
	for _, f := range []float64{0, math.Copysign(0, -1), -1.5, -0.001, 0.001, 0.0005, 1e-6, 999999.999, 1e6, 1e6 + 0.5,
		math.Nextafter(0.1, 1), math.Nextafter(5, 0), 123.4565, 1e20, math.SmallestNonzeroFloat64} {
		checkFloat(t, f)
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 0.001, 12.345, 999999.999, 0.1 + 0.2, -3} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		checkFloat(t, v)
	})
}

func BenchmarkAppendFloat(b *testing.B) {
	buf := make([]byte, 0, 32)
	for i := 0; b.Loop(); i++ {
		buf = appendFloat(buf[:0], float64(i%100000)/1000)
	}
}
