package mirror

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"runtime/debug"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// inProcessStreamMethod is a server-streaming method of a service.
type inProcessStreamMethod struct {
	impl    any
	handler grpc.StreamHandler
}

// NewStream starts a call of a server-streaming method (a watch): the
// gateway's client sends the one request ([clientStream.SendMsg]), which
// starts the method's handler, through the stream interceptor, in a
// goroutine of its own, and then receives what the handler sends. The
// handler's context is what a unary call gets ([newInCall]: the HTTP
// request's headers as incoming metadata, a transport stream for
// grpc.SetHeader),
// cancelled when the gateway's is. Client- and bidirectional-streaming
// methods are not served: the API has none, and no HTTP rule could carry
// them.
//
// The handler and the gateway hand each message over without a copy: the
// handler's SendMsg returns once the gateway has written the message and
// asks for the next one (or the call ends), as grpc-go's returns once it
// has encoded it, so that a handler may reuse its message.
func (c *inProcess) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	m, ok := c.streams[method]
	if !ok || desc.ClientStreams || !desc.ServerStreams {
		return nil, status.Errorf(codes.Unimplemented, "mirror: %s is not a server-streaming method of the mirror's services", method)
	}
	ctx = metadata.NewOutgoingContext(ctx, nil) // the gateway's, hidden
	if md := requestMetadata(ctx); md != nil {
		ctx = metadata.NewIncomingContext(ctx, md)
	}
	call := &streamCall{
		method:    method,
		md:        transportStream{method: method},
		clientCtx: ctx,
		msgs:      make(chan proto.Message),
		consumed:  make(chan struct{}, 1),
		accepted:  make(chan struct{}),
		done:      make(chan struct{}),
		start: func(ss grpc.ServerStream) error {
			if c.streamInterceptor == nil {
				return m.handler(m.impl, ss)
			}
			return c.streamInterceptor(m.impl, ss, &grpc.StreamServerInfo{FullMethod: method, IsServerStream: true}, m.handler)
		},
		logger: c.logger,
	}
	call.ctx, call.cancel = context.WithCancel(grpc.NewContextWithServerTransportStream(ctx, streamTransport{call}))
	if w := streamingFrom(ctx); w != nil {
		w.call = call
	}
	return (*clientStream)(call), nil
}

// streamCall is one call of a server-streaming method in process: the
// handler's side is [serverStream], the gateway's [clientStream].
type streamCall struct {
	method    string
	clientCtx context.Context
	ctx       context.Context // the handler's: clientCtx's child
	cancel    context.CancelFunc
	start     func(grpc.ServerStream) error
	logger    *slog.Logger

	// started: the request was sent; read by the client side only.
	started bool
	// req is the request, set before the handler starts.
	req proto.Message
	// reqRead: the handler read the request; the handler's side only.
	reqRead bool

	// msgs hands each message from the handler to the client.
	msgs chan proto.Message
	// consumed tells the handler the client is done with the last
	// message; it holds at most the one signal its SendMsg waits for.
	consumed chan struct{}
	// holding: the client received a message it has not released;
	// the client's side only.
	holding bool

	// accepted is closed when the handler sends its header or its first
	// message, or returns; acceptErr is then the handler's error if it
	// returned first.
	accepted   chan struct{}
	acceptOnce sync.Once
	acceptErr  error

	// done is closed when the handler has returned, with err.
	done chan struct{}
	err  error

	// md keeps the header and trailer metadata the handler sets.
	md transportStream
}

// accept closes accepted, with err if the handler returned before it sent
// anything.
func (c *streamCall) accept(err error) {
	c.acceptOnce.Do(func() {
		c.acceptErr = err
		close(c.accepted)
	})
}

// run runs the handler and records how it ended. A panic ends the call
// with INTERNAL and a log line, as it would end a gRPC server's, rather
// than the facade: the handler runs in a goroutine no one else recovers.
func (c *streamCall) run() {
	var err error
	defer func() {
		if p := recover(); p != nil {
			requestID := callctx.RequestID(c.ctx)
			if c.logger != nil {
				c.logger.LogAttrs(c.ctx, slog.LevelError, "panic in a streaming call", slog.String("method", c.method),
					slog.String("request_id", requestID), slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			}
			err = apierror.New(codes.Internal, apierror.ReasonInternal, "the call failed inside the facade", requestID)
		}
		c.err = err
		c.accept(err)
		c.cancel()
		close(c.done)
	}()
	err = c.start((*serverStream)(c))
}

// release tells the handler the client is done with the message it
// received last, if any.
func (c *streamCall) release() {
	if c.holding {
		c.holding = false
		c.consumed <- struct{}{}
	}
}

// end cancels the handler's context and waits for the handler to return.
func (c *streamCall) end() {
	c.cancel()
	<-c.done
}

// serverStream is the handler's side of a [streamCall]: a
// grpc.ServerStream.
type serverStream streamCall

// Context returns the handler's context.
func (s *serverStream) Context() context.Context { return s.ctx }

// SetHeader adds md to the header metadata, which the gateway writes with
// the answer's headers.
func (s *serverStream) SetHeader(md metadata.MD) error { return s.md.SetHeader(md) }

// SendHeader adds md to the header metadata and accepts the call: an
// error after it is written as part of the stream, not as the answer.
func (s *serverStream) SendHeader(md metadata.MD) error {
	_ = s.md.SetHeader(md)
	(*streamCall)(s).accept(nil)
	return nil
}

// SetTrailer adds md to the trailer metadata.
func (s *serverStream) SetTrailer(md metadata.MD) { _ = s.md.SetTrailer(md) }

// streamTransport is the grpc.ServerTransportStream of a [streamCall]'s
// context, for grpc.SetHeader and grpc.SendHeader: the same metadata as
// the handler's stream.
type streamTransport struct{ call *streamCall }

// Method returns the call's full method name.
func (t streamTransport) Method() string { return t.call.method }

// SetHeader adds md to the header metadata.
func (t streamTransport) SetHeader(md metadata.MD) error { return t.call.md.SetHeader(md) }

// SendHeader is [serverStream.SendHeader].
func (t streamTransport) SendHeader(md metadata.MD) error {
	return (*serverStream)(t.call).SendHeader(md)
}

// SetTrailer adds md to the trailer metadata.
func (t streamTransport) SetTrailer(md metadata.MD) error { return t.call.md.SetTrailer(md) }

// SendMsg hands m to the client and returns once the client is done with
// it, or with the context's error once the call is cancelled.
func (s *serverStream) SendMsg(m any) error {
	msg, ok := m.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "mirror: %s sent %T, not a message", s.method, m)
	}
	_ = s.SendHeader(nil)
	select {
	case s.msgs <- msg:
	case <-s.ctx.Done():
		return status.FromContextError(s.ctx.Err()).Err()
	}
	select {
	case <-s.consumed:
		return nil
	case <-s.ctx.Done():
		return status.FromContextError(s.ctx.Err()).Err()
	}
}

// RecvMsg reads the call's one request into m, then reports io.EOF.
func (s *serverStream) RecvMsg(m any) error {
	if s.reqRead {
		return io.EOF
	}
	to, ok := m.(proto.Message)
	if !ok || to.ProtoReflect().Descriptor() != s.req.ProtoReflect().Descriptor() {
		return status.Errorf(codes.Internal, "mirror: %s reads %T for %T", s.method, m, s.req)
	}
	s.reqRead = true
	move(to, s.req)
	return nil
}

// clientStream is the gateway's side of a [streamCall]: a
// grpc.ClientStream.
type clientStream streamCall

// Context returns the gateway's context of the call.
func (c *clientStream) Context() context.Context { return c.clientCtx }

// SendMsg sends the call's one request and starts the handler. The
// gateway's message is the request the interceptors and the handler get,
// as in a unary call.
func (c *clientStream) SendMsg(m any) error {
	req, ok := m.(proto.Message)
	if !ok || c.started {
		return status.Errorf(codes.Internal, "mirror: %s takes one request message", c.method)
	}
	c.started, c.req = true, req
	go (*streamCall)(c).run()
	return nil
}

// CloseSend does nothing: the request was the one message.
func (c *clientStream) CloseSend() error { return nil }

// Header waits until the handler sends its header or its first message,
// and returns the header metadata; if the handler returns first, with an
// error, Header returns that error, which the gateway answers as it
// answers a unary call's: an ordinary REST error, not a stream.
func (c *clientStream) Header() (metadata.MD, error) {
	<-c.accepted
	if c.acceptErr != nil {
		return nil, c.acceptErr
	}
	c.md.mu.Lock()
	defer c.md.mu.Unlock()
	return c.md.header.Copy(), nil
}

// Trailer returns the trailer metadata once the handler has returned.
func (c *clientStream) Trailer() metadata.MD {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.md.mu.Lock()
	defer c.md.mu.Unlock()
	return c.md.trailer.Copy()
}

// RecvMsg releases the message received before and moves the next one
// into m; once the handler has returned, it reports its error, or io.EOF.
// A request the mirror answers with Server-Sent Events is written here
// instead ([sseStream.serve]), after which RecvMsg reports io.EOF: the
// gateway's forwarder then has nothing to write.
func (c *clientStream) RecvMsg(m any) error {
	call := (*streamCall)(c)
	if w := streamingFrom(c.clientCtx); w != nil && w.sse != nil {
		w.sse.serve(call)
		return io.EOF
	}
	call.release()
	select {
	case msg := <-c.msgs:
		to, ok := m.(proto.Message)
		if !ok || to.ProtoReflect().Descriptor() != msg.ProtoReflect().Descriptor() {
			return status.Errorf(codes.Internal, "mirror: %s answered %T for %T", c.method, msg, m)
		}
		move(to, msg)
		vendorjson.OriginalsFrom(c.ctx).Move(msg, to)
		c.holding = true
		return nil
	case <-c.done:
		if c.err != nil {
			return c.err
		}
		return io.EOF
	}
}

// move makes to hold what from holds, sharing its fields' values (the
// messages, lists and maps in them) rather than copying them: from is not
// used again. to and from are messages of one type; to is empty.
//
// A message of protoc-gen-go's open struct API, as the API's are, has one
// exported Go field per field of the proto (one per oneof), which move
// assigns; its internal state, never. protoreflect's Set would do the
// same, but boxes every scalar it is given: two allocations per string
// field of an answer. A message whose Go fields are not the proto's (the
// opaque API) is moved with protoreflect.
func move(to, from proto.Message) {
	src := from.ProtoReflect()
	if fields, ok := goFields(src.Descriptor(), reflect.TypeOf(from)); ok {
		dst, srcv := reflect.ValueOf(to).Elem(), reflect.ValueOf(from).Elem()
		for _, i := range fields {
			dst.Field(i).Set(srcv.Field(i))
		}
	} else {
		dst := to.ProtoReflect()
		src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			dst.Set(fd, v)
			return true
		})
	}
	if u := src.GetUnknown(); len(u) > 0 {
		to.ProtoReflect().SetUnknown(u)
	}
}

// goFieldsOf caches goFields' answers by Go type.
var goFieldsOf sync.Map // reflect.Type -> []int, or nil when not open

// goFields returns the indices of the exported Go fields of t, a pointer
// to a generated struct of md, if they are one per field of md (a oneof
// counting as one): the open struct API.
func goFields(md protoreflect.MessageDescriptor, t reflect.Type) ([]int, bool) {
	if v, ok := goFieldsOf.Load(t); ok {
		fields, _ := v.([]int)
		return fields, fields != nil
	}
	var fields []int
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		st := t.Elem()
		for i := range st.NumField() {
			if st.Field(i).IsExported() {
				fields = append(fields, i)
			}
		}
		want := 0
		for i := range md.Fields().Len() {
			if od := md.Fields().Get(i).ContainingOneof(); od == nil || od.IsSynthetic() {
				want++
			}
		}
		for i := range md.Oneofs().Len() {
			if !md.Oneofs().Get(i).IsSynthetic() {
				want++
			}
		}
		if len(fields) != want {
			fields = nil
		}
	}
	if fields == nil {
		goFieldsOf.Store(t, nil)
		return nil, false
	}
	goFieldsOf.Store(t, fields)
	return fields, true
}
