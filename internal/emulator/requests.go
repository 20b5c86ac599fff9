package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// maxBody is the largest request body the emulator reads; a larger one is
// refused as an invalid payload (inferred: the reference sets no limit).
const maxBody = 1 << 20

// The limits of the create and update fields, from the reference.
const (
	maxNameLen        = 64
	maxDescriptionLen = 512
	// descriptionForbidden are the characters a description may not hold.
	descriptionForbidden = `&<>"'/`
)

// readBody reads the request body (at most maxBody bytes) and puts it back
// for whoever reads it next.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errors.New("larger than 1 MiB")
	}
	return b, nil
}

// decodeBody decodes the request's JSON object into v. A body that is not
// one JSON object gives ModelArts.6400 ("Invalid request payload"); a value
// of the wrong JSON type gives ModelArts.6332 ("Incorrect parameter type"),
// naming the field and the type wanted. Unknown fields are ignored and
// null counts as absent (inferred).
func decodeBody(r *http.Request, v any) *vendorError {
	b, err := readBody(r)
	if err != nil {
		return errPayload("(" + err.Error() + ")")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return errPayload("(empty body)")
	}
	err = json.Unmarshal(b, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		field := te.Field
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		return errParamType(field, jsonTypeName(te.Type))
	case errors.As(err, &te):
		return errPayload("(not a JSON object)")
	default:
		return errPayload("(" + strings.TrimPrefix(err.Error(), "json: ") + ")")
	}
}

// jsonTypeName names the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// The request bodies. Pointers tell an absent (or null) field from a zero
// one.
type (
	createRequest struct {
		Name        *string      `json:"name"`
		ProfileID   *string      `json:"profile_id"`
		Description *string      `json:"description"`
		Flavor      *string      `json:"flavor"`
		Spec        *createSpec  `json:"spec"`
		Workspace   *idRequest   `json:"workspace"`
		Pool        *poolRequest `json:"pool"`
		AIProject   *idRequest   `json:"ai_project"`
	}
	createSpec struct {
		Storage       *storageRequest   `json:"storage"`
		ExtendStorage []storageRequest  `json:"extend_storage"`
		AutoStop      *autoStopRequest  `json:"auto_stop"`
		Annotations   map[string]string `json:"annotations"`
	}
	storageRequest struct {
		Type     *string `json:"type"`
		Location *struct {
			Path       *string `json:"path"`
			VolumeSize *int    `json:"volume_size"`
		} `json:"location"`
	}
	autoStopRequest struct {
		Enable   *bool `json:"enable"`
		Duration *int  `json:"duration"`
		Prompt   *bool `json:"prompt"`
	}
	idRequest struct {
		ID *string `json:"id"`
	}
	poolRequest struct {
		ID    *string `json:"id"`
		Type  string  `json:"type"`
		Name  string  `json:"name"`
		Owner *struct {
			ProjectID string `json:"project_id"`
		} `json:"owner"`
	}
	updateRequest struct {
		Description *string `json:"description"`
		Spec        *struct {
			AutoStop *autoStopRequest `json:"auto_stop"`
		} `json:"spec"`
	}
	actionRequest struct {
		Action *string `json:"action"`
	}
)

// checkName applies the reference's name rules: required (6335), only
// letters, digits, "-" and "_" (6334, naming the first other character),
// at most 64 characters (6336).
func checkName(name *string) *vendorError { return checkNameUpTo(name, maxNameLen) }

// checkNameUpTo applies the name rules with a length limit of its own
// (the new API's is 128).
func checkNameUpTo(name *string, limit int) *vendorError {
	if name == nil || *name == "" {
		return errRequired("name")
	}
	for _, c := range *name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return errForbiddenChar(c)
		}
	}
	if len(*name) > limit {
		return errBadValue("name")
	}
	return nil
}

// checkDescription applies the reference's description rules: none of
// & < > " ' / (6334), at most 512 characters (6336).
func checkDescription(d string) *vendorError { return checkDescriptionWithout(d, descriptionForbidden) }

// checkDescriptionWithout applies the description rules with a set of
// forbidden characters of its own (the new API's update allows ').
func checkDescriptionWithout(d, forbidden string) *vendorError {
	if i := strings.IndexAny(d, forbidden); i >= 0 {
		c, _ := utf8.DecodeRuneInString(d[i:])
		return errForbiddenChar(c)
	}
	if utf8.RuneCountInString(d) > maxDescriptionLen {
		return errBadValue("description")
	}
	return nil
}

// checkAutoStop applies the auto-stop rules to the setting as it will be:
// enabled without a duration is 6348; a duration given outside
// 3600-86400 is 6349, whether or not auto-stop is enabled (the reference
// states the range without a condition).
func checkAutoStop(given *autoStopRequest, enable bool, duration time.Duration) *vendorError {
	if given != nil && given.Duration != nil && (*given.Duration < minAutoStop || *given.Duration > maxAutoStop) {
		return errDurationRange
	}
	if enable && duration == 0 {
		return errDurationMissing
	}
	return nil
}

// checkStorage applies the storage rules: storage required (6316), type
// required (6335) and "obs" (6324), location.path required for obs (6317),
// ending in "/" (6318), below a bucket (6358). The path may be written
// "/bucket/dir/" (as in the reference's sample), "bucket/dir/" or
// "obs://bucket/dir/".
func checkStorage(st *storageRequest) *vendorError {
	if st == nil {
		return errStorageMissing
	}
	if st.Type == nil || *st.Type == "" {
		return errRequired("type")
	}
	if *st.Type != "obs" {
		return errStorageType
	}
	if st.Location == nil || st.Location.Path == nil || *st.Location.Path == "" {
		return errPathMissing
	}
	path := *st.Location.Path
	if !strings.HasSuffix(path, "/") {
		return errPathNoSlash
	}
	rest := strings.TrimPrefix(path, "obs://")
	segments := 0
	for seg := range strings.SplitSeq(rest, "/") {
		if seg != "" {
			segments++
		}
	}
	if segments < 2 {
		return errBucketRoot
	}
	return nil
}
