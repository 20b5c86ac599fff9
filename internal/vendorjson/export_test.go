package vendorjson

// The reflective reader and writer, the reference of the generated code's
// tests.
var (
	UnmarshalReflect = unmarshalReflect
	MarshalReflect   = marshalReflect
)
