package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// seeder returns a function that sends one request to the emulator with
// token and returns the body of its 200 answer.
func seeder(token string) func(method, url string, body []byte) ([]byte, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	return func(method, url string, body []byte) ([]byte, error) {
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-Auth-Token", token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s %s: HTTP %d: %.300s", method, url, resp.StatusCode, b)
		}
		return b, err
	}
}

// seed creates listSize instances in readProject, straight at the emulator
// (started with --create-delay 0, so each is RUNNING at once), checks that
// the list returns exactly them, and returns the ID of the first, which
// GetInstance reads.
func seed(emuURL, token string) (string, error) {
	do := seeder(token)
	base := emuURL + "/v1/" + readProject + "/demanager/instances"
	var first string
	for i := range listSize {
		body, _ := json.Marshal(map[string]any{
			"name":        fmt.Sprintf("bench-%03d", i),
			"description": "devenv-bench",
			"flavor":      "modelarts.vm.cpu.2u",
			"profile_id":  "Multi-Engine 1.0 (python3)-cpu",
			"spec": map[string]any{
				"storage": map[string]any{"type": "obs", "location": map[string]any{"path": "/bucket/dir/"}},
			},
		})
		b, err := do(http.MethodPost, base, body)
		if err != nil {
			return "", fmt.Errorf("seeding: %w", err)
		}
		if i == 0 {
			var inst struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(b, &inst); err != nil || inst.ID == "" {
				return "", fmt.Errorf("seeding: no instance ID in %.300s", b)
			}
			first = inst.ID
		}
	}
	b, err := do(http.MethodGet, base+"?de_type=Notebook", nil)
	if err != nil {
		return "", fmt.Errorf("seeding: %w", err)
	}
	if err := checkListBody(b, true); err != nil {
		return "", fmt.Errorf("seeding: the list after it: %w", err)
	}
	logf("seeded %d instances in project %s (%d bytes listed)", listSize, readProject, len(b))
	return first, nil
}

// sameAnswers checks, once, that another proxy (vanguard, S3; the bare
// facade, B1) answers GetInstance and ListInstances as the facade does;
// for vanguard, that it transcodes GetInstance and
// ListInstances into the same messages the facade (S1) answers: the
// emulator's JSON read with unknown fields discarded and nulls taken as
// absent, the instance of GetInstance taken from the whole body
// (response_body: "instance").
func sameAnswers(ctx context.Context, facAddr, otherName, vanAddr, instance string) error {
	fd, err := newGRPCDriver(facAddr, "", 1, workload{})
	if err != nil {
		return err
	}
	defer fd.close()
	vd, err := newGRPCDriver(vanAddr, "bench-token", 1, workload{})
	if err != nil {
		return err
	}
	defer vd.close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	vctx := metadata.NewOutgoingContext(ctx, vd.md)
	getReq := &devenvv1.GetInstanceRequest{ProjectId: readProject, InstanceId: instance}
	fg, err := fd.clients[0].GetInstance(ctx, getReq)
	if err != nil {
		return fmt.Errorf("GetInstance through the facade: %w", err)
	}
	vg, err := vd.clients[0].GetInstance(vctx, getReq)
	if err != nil {
		return fmt.Errorf("GetInstance through %s: %w", otherName, err)
	}
	if !proto.Equal(fg, vg) {
		return fmt.Errorf("GetInstance: the facade answers %v, %s %v", fg, otherName, vg)
	}
	listReq := &devenvv1.ListInstancesRequest{ProjectId: readProject, DeType: "Notebook"}
	fl, err := fd.clients[0].ListInstances(ctx, listReq)
	if err != nil {
		return fmt.Errorf("ListInstances through the facade: %w", err)
	}
	vl, err := vd.clients[0].ListInstances(vctx, listReq)
	if err != nil {
		return fmt.Errorf("ListInstances through %s: %w", otherName, err)
	}
	if len(fl.GetInstances()) != listSize || !proto.Equal(fl, vl) {
		return fmt.Errorf("ListInstances: the facade answers %d instances, %s %d, or they differ", len(fl.GetInstances()), otherName, len(vl.GetInstances()))
	}
	logf("%s's GetInstance and ListInstances answers equal the facade's", otherName)
	return nil
}

// seedNotebooks creates listSize notebooks of the new API in readProject,
// straight at the emulator (started with --create-delay 0, so each is
// RUNNING at once), checks that a list of listSize returns exactly them,
// and returns the ID of the first, which GetNotebook reads. Each has what
// makes the new API's objects larger than the old one's: an SSH endpoint
// with key pairs and allowed addresses beside the JupyterLab one, start-up
// hooks, an EVS volume, a lease, and the image, user and progress steps
// ModelArts adds (about 1.6 KB of the emulator's JSON each in a list,
// against 1.2 KB for an instance of the old API).
func seedNotebooks(emuURL, token string) (string, error) {
	do := seeder(token)
	base := emuURL + "/v1/" + readProject + "/notebooks"
	var first string
	for i := range listSize {
		body, _ := json.Marshal(map[string]any{
			"name":        fmt.Sprintf("bench-%03d", i),
			"description": "devenv-bench: a notebook with the fields the new API fills",
			"flavor":      "modelarts.vm.cpu.2u",
			"image_id":    "e1a07296-22a8-4f05-8bc8-e936c8e54090", // the emulator's sample image
			"volume":      map[string]any{"category": "EVS", "ownership": "MANAGED", "capacity": 50},
			"endpoints": []any{map[string]any{"service": "SSH", "key_pair_names": []string{"bench-key-1", "bench-key-2"},
				"allowed_access_ips": []string{"192.0.2.1", "192.0.2.2", "198.51.100.7"}}},
			"hooks": map[string]any{"container_hooks": map[string]any{
				"pre_start":  map[string]any{"script": "/home/ma-user/work/pre-start.sh", "type": "SCRIPT"},
				"post_start": map[string]any{"script": "/home/ma-user/work/post-start.sh", "type": "SCRIPT"},
			}},
			"lease": map[string]any{"duration": 86400000, "type": "timing"},
		})
		b, err := do(http.MethodPost, base, body)
		if err != nil {
			return "", fmt.Errorf("seeding notebooks: %w", err)
		}
		if i == 0 {
			var nb struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(b, &nb); err != nil || nb.ID == "" {
				return "", fmt.Errorf("seeding notebooks: no notebook ID in %.300s", b)
			}
			first = nb.ID
		}
	}
	b, err := do(http.MethodGet, fmt.Sprintf("%s?limit=%d", base, listSize), nil)
	if err != nil {
		return "", fmt.Errorf("seeding notebooks: %w", err)
	}
	if err := checkNotebookListBody(b, true); err != nil {
		return "", fmt.Errorf("seeding notebooks: the list after it: %w", err)
	}
	logf("seeded %d notebooks in project %s (%d bytes listed)", listSize, readProject, len(b))
	return first, nil
}

// sameNotebookAnswers checks, once, that another proxy (vanguard; the
// bare facade) answers GetNotebook and ListNotebooks (those of ops) as the
// facade does: the same messages, read from the emulator's JSON with
// unknown members (the notebook's token among them) dropped.
func sameNotebookAnswers(ctx context.Context, ops []string, facAddr, otherName, otherAddr, notebook string) error {
	fd, err := newGRPCDriver(facAddr, "", 1, workload{})
	if err != nil {
		return err
	}
	defer fd.close()
	od, err := newGRPCDriver(otherAddr, "bench-token", 1, workload{})
	if err != nil {
		return err
	}
	defer od.close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	octx := metadata.NewOutgoingContext(ctx, od.md)
	if slices.Contains(ops, opGetNotebook) {
		getReq := &notebookv1.GetNotebookRequest{ProjectId: readProject, NotebookId: notebook}
		fg, err := fd.notebooks[0].GetNotebook(ctx, getReq)
		if err != nil {
			return fmt.Errorf("GetNotebook through the facade: %w", err)
		}
		og, err := od.notebooks[0].GetNotebook(octx, getReq)
		if err != nil {
			return fmt.Errorf("GetNotebook through %s: %w", otherName, err)
		}
		if !proto.Equal(fg, og) {
			return fmt.Errorf("GetNotebook: the facade answers %v, %s %v", fg, otherName, og)
		}
	}
	if !slices.Contains(ops, opListNotebooks) {
		logf("%s's GetNotebook answers equal the facade's", otherName)
		return nil
	}
	listReq := &notebookv1.ListNotebooksRequest{ProjectId: readProject, Limit: listSize}
	fl, err := fd.notebooks[0].ListNotebooks(ctx, listReq)
	if err != nil {
		return fmt.Errorf("ListNotebooks through the facade: %w", err)
	}
	ol, err := od.notebooks[0].ListNotebooks(octx, listReq)
	if err != nil {
		return fmt.Errorf("ListNotebooks through %s: %w", otherName, err)
	}
	if len(fl.GetData()) != listSize || !proto.Equal(fl, ol) {
		return fmt.Errorf("ListNotebooks: the facade answers %d notebooks, %s %d, or they differ", len(fl.GetData()), otherName, len(ol.GetData()))
	}
	logf("%s's GetNotebook and ListNotebooks answers equal the facade's", otherName)
	return nil
}
