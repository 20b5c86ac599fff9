package server_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/mem"
)

// h2conn is a raw HTTP/2 client connection, for what grpc-go's client
// will not do: headers without a request, oversized metadata.
type h2conn struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	mu   sync.Mutex // serialises writes
	acks chan [8]byte
}

func dialH2(t *testing.T, addr string) *h2conn {
	t.Helper()
	c, err := tryDialH2(t, addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tryDialH2 is dialH2 for goroutines other than the test's.
func tryDialH2(t *testing.T, addr string) (*h2conn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	c := &h2conn{t: t, conn: conn, fr: http2.NewFramer(conn, conn), acks: make(chan [8]byte, 1)}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(64<<10, nil)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return nil, err
	}
	return c, c.fr.WriteSettings()
}

// headerBlock encodes a gRPC call's headers, with extra metadata.
func headerBlock(method string, extra map[string]string) []byte {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, kv := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", method}, {":authority", "facade"},
		{"content-type", "application/grpc"}, {"te", "trailers"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1], Sensitive: true})
	}
	for k, v := range extra {
		_ = enc.WriteField(hpack.HeaderField{Name: k, Value: v, Sensitive: true})
	}
	return block.Bytes()
}

// headers sends a gRPC call's HEADERS for stream id, with extra metadata,
// without ending the stream (no request follows).
func (c *h2conn) headers(id uint32, method string, extra map[string]string) error {
	return c.writeBlock(id, headerBlock(method, extra))
}

// writeBlock sends an encoded header block as HEADERS and CONTINUATION
// frames for stream id, without ending the stream.
func (c *h2conn) writeBlock(id uint32, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	const chunk = 16 << 10
	first := b[:min(len(b), chunk)]
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndHeaders: len(b) <= chunk}); err != nil {
		return err
	}
	for b = b[len(first):]; len(b) > 0; {
		n := min(len(b), chunk)
		if err := c.fr.WriteContinuation(id, n == len(b), b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// ends reads frames until every stream in ids has ended (trailers or
// RST_STREAM) and returns the gRPC status of each (-1 for a reset), or
// fails after timeout.
func (c *h2conn) ends(ids []uint32, timeout time.Duration) map[uint32]int {
	c.t.Helper()
	want := map[uint32]bool{}
	for _, id := range ids {
		want[id] = true
	}
	got := map[uint32]int{}
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for len(got) < len(want) {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("after %d of %d streams ended: %v", len(got), len(want), err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if _, seen := got[f.StreamID]; want[f.StreamID] && f.StreamEnded() && !seen {
				code := -1
				for _, hf := range f.RegularFields() {
					if hf.Name == "grpc-status" {
						if n, err := strconv.Atoi(hf.Value); err == nil {
							code = n
						}
					}
				}
				got[f.StreamID] = code
			}
		case *http2.RSTStreamFrame:
			if _, seen := got[f.StreamID]; want[f.StreamID] && !seen {
				got[f.StreamID] = -1
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.mu.Lock()
				_ = c.fr.WriteSettingsAck()
				c.mu.Unlock()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				c.mu.Lock()
				_ = c.fr.WritePing(true, f.Data)
				c.mu.Unlock()
			}
		case *http2.GoAwayFrame:
			c.t.Fatalf("GOAWAY after %d of %d streams ended: %v", len(got), len(want), f.ErrCode)
		}
	}
	return got
}

// respond answers the server's SETTINGS and PINGs, as a client's HTTP/2
// stack does, until the connection closes.
func (c *h2conn) respond() {
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return
		}
		c.mu.Lock()
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = c.fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = c.fr.WritePing(true, f.Data)
			} else {
				select {
				case c.acks <- f.Data:
				default:
				}
			}
		}
		c.mu.Unlock()
	}
}

// sync returns once the server has processed every frame written before:
// it answers a PING only after them. respond must be running.
func (c *h2conn) sync() {
	c.t.Helper()
	data := [8]byte{'s', 'y', 'n', 'c'}
	c.mu.Lock()
	err := c.fr.WritePing(false, data)
	c.mu.Unlock()
	if err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-c.acks:
	case <-time.After(10 * time.Second):
		c.t.Fatal("no PING acknowledgement")
	}
}

// endedOrClosed reports whether stream id ended or the server closed the
// connection within timeout.
func (c *h2conn) endedOrClosed(id uint32, timeout time.Duration) bool {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == id && f.StreamEnded() {
				return true
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				return true
			}
		case *http2.GoAwayFrame:
			return true
		}
	}
}

// rawMessage is a request or response as its wire bytes.
type rawMessage []byte

// rawCodec sends and receives rawMessage unchecked.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(rawMessage))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*(v.(*rawMessage)) = data.Materialize()
	return nil
}
