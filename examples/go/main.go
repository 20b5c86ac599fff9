// Command example calls the facade with the generated Go stub: it gets a
// sample instance of the embedded emulator, then one that does not exist,
// and prints what the facade says about it, read with service.ErrorFrom.
// The facade's gRPC address is the first argument (default 127.0.0.1:9090).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/service"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	addr := "127.0.0.1:9090"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := devenvv1.NewDevEnvServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const project = "0123456789abcdef0123456789abcdef" // the emulator's sample project

	resp, err := client.GetInstance(ctx, &devenvv1.GetInstanceRequest{
		ProjectId: project, InstanceId: "DE-7d558ef8-c73d-11ea-964c-0255ac100033"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetInstance().GetName(), resp.GetInstance().GetStatus()) // notebook-d115 RUNNING

	_, err = client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "notebook-gone"})
	if e, ok := service.ErrorFrom(err); ok {
		fmt.Println(e.Code(), e.VendorCode(), e.HTTPStatus()) // NotFound ModelArts.6309 400
	}
}
