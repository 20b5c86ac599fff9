package mirror

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/metadata"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// A call over the mirror gets as incoming metadata the headers of its
// HTTP request the facade reads, under the keys it reads them by, as
// grpc-gateway would make them with a matcher that forwards these headers
// alone (TestIncomingMetadata_asTheGatewayMakesIt):
//
//   - Authorization as "authorization" (grpc-gateway forwards it always);
//   - X-Auth-Token as "x-auth-token" and X-Request-Id as "x-request-id"
//     (the service's keys);
//   - Cache-Control as "grpcgateway-cache-control" (grpc-gateway's prefix,
//     under which the service reads it from REST callers);
//
// each with the header's values that are valid gRPC metadata (printable
// ASCII), in their order. No other header: none is read, and grpc-gateway
// would make each a key of its metadata, copied again for the call, at
// about five allocations a header per call (User-Agent, Accept, ...).
//
// The mirror makes this metadata itself rather than take grpc-gateway's:
// the gateway's handlers make theirs of every header the mux's matcher
// forwards (the server handlers as incoming metadata, the client handlers
// as outgoing metadata, which grpc-go gives out only as a copy:
// metadata.FromOutgoingContext, an allocation per key and the map); here
// the map is the one allocation,
// and its values are the header's own (metadata readers copy what they
// read: metadata.FromIncomingContext, ValueFromIncomingContext).

// metadataKeyCacheControl is the metadata key of a REST call's
// Cache-Control header, the one grpc-gateway's default matcher gives it
// (the service reads it there: its wantsFresh).
const metadataKeyCacheControl = runtime.MetadataPrefix + "cache-control"

// incomingMetadata returns the incoming metadata of a call whose HTTP
// request has header h (nil if none of the headers is there).
func incomingMetadata(h http.Header) metadata.MD {
	var md metadata.MD
	add := func(key string, vals []string) {
		if vals = validMetadataValues(vals); len(vals) == 0 {
			return
		}
		if md == nil {
			md = make(metadata.MD, 4)
		}
		if prev := md[key]; len(prev) > 0 {
			// A second spelling of the header's name (net/http's server
			// gives one, the canonical): a new slice, never the header's.
			vals = append(append(make([]string, 0, len(prev)+len(vals)), prev...), vals...)
		}
		md[key] = vals
	}
	// grpc-gateway reads Authorization by its canonical name, first, and
	// every other header by any spelling of its name.
	add("authorization", h["Authorization"])
	for name, vals := range h {
		switch {
		case strings.EqualFold(name, callctx.MetadataKeyAuthToken):
			add(callctx.MetadataKeyAuthToken, vals)
		case strings.EqualFold(name, callctx.MetadataKeyRequestID):
			add(callctx.MetadataKeyRequestID, vals)
		case strings.EqualFold(name, "cache-control"):
			add(metadataKeyCacheControl, vals)
		}
	}
	return md
}

// validMetadataValues returns the values of vals that are valid gRPC
// metadata values (printable ASCII, as grpc-gateway requires): vals
// itself when all are, else a new slice of those that are.
func validMetadataValues(vals []string) []string {
	for i, v := range vals {
		if !validMetadataValue(v) {
			valid := append(make([]string, 0, len(vals)-1), vals[:i]...)
			for _, v := range vals[i+1:] {
				if validMetadataValue(v) {
					valid = append(valid, v)
				}
			}
			return valid
		}
	}
	return vals
}

// validMetadataValue reports whether v is printable ASCII (0x20 to 0x7E).
func validMetadataValue(v string) bool {
	for i := range len(v) {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestMetadata returns the incoming metadata of the REST request ctx is
// the context of (see [incomingMetadata]), or nil.
func requestMetadata(ctx context.Context) metadata.MD {
	if c, ok := ctx.Value(restCallKey{}).(*restCall); ok {
		return incomingMetadata(c.header)
	}
	return nil
}
