package main

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
)

// otlpSink is the smallest OTLP/HTTP trace receiver: it takes every export
// (POST /v1/traces, protobuf), counts its spans and answers 200 with an
// empty ExportTraceServiceResponse. The facade whose tracing is measured
// exports to it, so that its spans are recorded, batched, encoded and sent
// as with a real collector, on loopback.
type otlpSink struct {
	srv      *http.Server
	addr     string
	requests atomic.Int64
	spans    atomic.Int64
	bytes    atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{addr: lis.Addr().String()}
	s.srv = &http.Server{Handler: s}
	go func() { _ = s.srv.Serve(lis) }()
	return s, nil
}

func (s *otlpSink) close() { _ = s.srv.Close() }

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.requests.Add(1)
	s.bytes.Add(int64(len(b)))
	s.spans.Add(int64(countSpans(b)))
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// countSpans counts the spans of an ExportTraceServiceRequest:
// resource_spans (1) -> scope_spans (2) -> spans (2).
func countSpans(b []byte) int {
	n := 0
	for _, rs := range fieldBytes(b, 1) {
		for _, ss := range fieldBytes(rs, 2) {
			n += len(fieldBytes(ss, 2))
		}
	}
	return n
}

// fieldBytes returns the values of a message's length-delimited field num.
func fieldBytes(b []byte, num protowire.Number) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return out
		}
		b = b[l:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return out
			}
			if n == num {
				out = append(out, v)
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(n, typ, b)
		if m < 0 {
			return out
		}
		b = b[m:]
	}
	return out
}
