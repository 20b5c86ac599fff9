package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// seed creates listSize instances in readProject, straight at the emulator
// (started with --create-delay 0, so each is RUNNING at once), checks that
// the list returns exactly them, and returns the ID of the first, which
// GetInstance reads.
func seed(emuURL, token string) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, url string, body []byte) ([]byte, error) {
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
