package server

import (
	"net"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// TestEveryServedRPCDeclared: every RPC of every service the gRPC server
// serves has a complete declaration in the table the layers read (package
// rpcdecl): caller authorization, the pipeline and devenvctl answer an
// undeclared RPC only by refusing or assuming the worst.
func TestEveryServedRPCDeclared(t *testing.T) {
	t.Parallel()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer grpcLis.Close()
	opts := Options{}
	opts.GRPCListener, opts.Endpoint = grpcLis, "http://127.0.0.1:1"
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := rpcdecl.Served().Err(); err != nil {
		t.Errorf("declarations missing or wrong:\n%v", err)
	}
	served := 0
	for svc, info := range s.grpcServer.GetServiceInfo() {
		for _, m := range info.Methods {
			served++
			if name := "/" + svc + "/" + m.Name; !rpcdecl.Served().Lookup(name).Declared() {
				t.Errorf("%s is served but not declared", name)
			}
		}
	}
	if served < 10 {
		t.Errorf("the gRPC server serves %d methods; want the API's, health's and reflection's", served)
	}
}
