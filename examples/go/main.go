// Command example calls the facade with the generated Go stub: it gets a
// sample notebook of the embedded emulator (the new notebook API,
// NotebookService), then one that does not exist, and prints what the
// facade says about it, read with service.ErrorFrom. The facade's gRPC
// address is the first argument (default 127.0.0.1:9090).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
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
	client := notebookv1.NewNotebookServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const project = "0123456789abcdef0123456789abcdef" // the emulator's sample project

	resp, err := client.GetNotebook(ctx, &notebookv1.GetNotebookRequest{
		ProjectId: project, NotebookId: "f9937afa-4451-42db-a76b-72d624749f66"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetNotebook().GetName(), resp.GetNotebook().GetStatus()) // notebooks_test RUNNING

	_, err = client.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: "notebook-gone"})
	if e, ok := service.ErrorFrom(err); ok {
		fmt.Println(e.Code(), e.VendorCode(), e.HTTPStatus()) // NotFound ModelArts.6309 400
	}
}
