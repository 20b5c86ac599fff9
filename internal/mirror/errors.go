package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// WriteError answers r with err in the ModelArts error shape, with the given
// HTTP status (or, if zero, the status err's details call for). Handlers in
// front of the mirror use it to answer like the mirror does.
func WriteError(w http.ResponseWriter, r *http.Request, err error, httpStatus int) {
	if httpStatus != 0 {
		err = &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: err}
	}
	writeError(r.Context(), nil, nil, w, r, err)
}

// errorBody is the ModelArts error shape.
type errorBody struct {
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// vendorError is what the mirror answers for an error.
type vendorError struct {
	httpStatus int
	body       errorBody
	retryAfter float64 // seconds, 0 for none
}

// toVendorError converts a gRPC status into the ModelArts error shape. The
// google.rpc.ErrorInfo metadata, present on every error the service returns,
// holds the code, message and (for ModelArts errors) the upstream HTTP
// status; a status without it (grpc-gateway's own, for a malformed query
// parameter) gets a facade code named after its gRPC code.
func toVendorError(st *status.Status) vendorError {
	v := vendorError{httpStatus: runtime.HTTPStatusFromCode(st.Code())}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			md := d.GetMetadata()
			v.body.ErrorCode, v.body.ErrorMessage = md[apierror.MetadataErrorCode], md[apierror.MetadataErrorMessage]
			// Only a real error status can be replayed; ModelArts' table
			// lists one code with "100", which is no final answer.
			if hs, err := strconv.Atoi(md[apierror.MetadataHTTPStatus]); err == nil && hs >= 400 && hs <= 599 {
				v.httpStatus = hs
			}
		case *errdetails.RetryInfo:
			v.retryAfter = d.GetRetryDelay().AsDuration().Seconds()
		}
	}
	if v.body.ErrorCode == "" {
		v.body.ErrorCode = apierror.FacadeCodePrefix + codeName(st.Code())
	}
	if v.body.ErrorMessage == "" {
		v.body.ErrorMessage = st.Message()
	}
	return v
}

// codeName returns the google.rpc.Code name of c, such as "INVALID_ARGUMENT".
func codeName(c codes.Code) string {
	return rpccode.Code(c).String()
}

// writeError is the mux's error handler.
func writeError(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
	var override *runtime.HTTPStatusError
	if errors.As(err, &override) {
		err = override.Err
		if _, ok := status.FromError(err); !ok && override.HTTPStatus == http.StatusBadRequest {
			// grpc-gateway's own complaint, such as a malformed %-escape.
			err = apierror.New(codes.InvalidArgument, apierror.ReasonInvalidArgument, err.Error(), "")
		}
	}
	v := toVendorError(status.Convert(err))
	if override != nil {
		v.httpStatus = override.HTTPStatus
	}
	if v.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(v.retryAfter)), 10))
	}
	if v.body.ErrorCode == apierror.FacadeCodePrefix+apierror.ReasonCallerUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devenv-facade"`)
	}
	writeJSON(w, v.httpStatus, v.body)
}

// writeRoutingError answers requests that match no API.
func writeRoutingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	code, reason, msg := codes.InvalidArgument, apierror.ReasonInvalidArgument, "malformed request path"
	switch httpStatus {
	case http.StatusNotFound:
		code, reason, msg = codes.NotFound, apierror.ReasonRouteNotFound, fmt.Sprintf("no API at %s", describePath(r))
	case http.StatusMethodNotAllowed:
		code, reason, msg = codes.Unimplemented, apierror.ReasonMethodNotAllowed, fmt.Sprintf("method %s is not allowed at %s", describeMethod(r.Method), describePath(r))
		if allow := routeTable.allowed(r.URL.EscapedPath()); allow != "" {
			w.Header().Set("Allow", allow)
		}
	}
	err := apierror.New(code, reason, msg, "")
	writeError(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: err})
}

// describePath quotes the request path for an error message, shortened.
func describePath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if len(p) > 200 {
		p = p[:200] + "..."
	}
	return strconv.Quote(p)
}

func describeMethod(m string) string {
	if len(m) > 16 {
		m = m[:16]
	}
	return strconv.Quote(m)
}

func writeJSON(w http.ResponseWriter, httpStatus int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpStatus, b = http.StatusInternalServerError, []byte(`{"error_code":"Facade.INTERNAL","error_message":"cannot encode the error"}`)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(httpStatus)
	_, _ = w.Write(b)
}
