package main

import (
	"context"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// leaseGroup is devenvctl lease: when a notebook stops by itself.
var leaseGroup = &group{name: "lease", summary: "A notebook's lease, when it stops by itself: show it, renew it", commands: []*command{
	{name: "lease show", args: notebookArg, summary: "Show when a notebook stops by itself", remote: true, setup: setupLeaseShow, about: `Show a notebook's lease: whether and when the notebook stops by itself.

  devenvctl lease show f9937afa-4451-42db-a76b-72d624749f66
  devenvctl lease show f9937afa-4451-42db-a76b-72d624749f66 -o json | jq .stop_at`},
	{name: "lease renew", args: notebookArg, summary: "Reset when a running notebook stops", remote: true, setup: setupLeaseRenew, about: `Reset a running notebook's lease: it stops --duration from now. Renewing
does not add to the time left: a notebook with 3h left, renewed with
--duration 1h, stops in an hour.

  devenvctl lease renew f9937afa-4451-42db-a76b-72d624749f66 --duration 4h
  devenvctl lease renew f9937afa-4451-42db-a76b-72d624749f66 --no-auto-stop`},
}}

// leaseAnswer is what GetLease and RenewLease answer.
type leaseAnswer interface {
	proto.Message
	GetLease() *notebookv1.Lease
}

// printLease writes a lease: with -o json the answer (the vendor's lease,
// and stop_at), else one field a line.
func (s *session) printLease(id string, resp leaseAnswer, stopAt *int64) error {
	if s.g.output == outputJSON {
		return s.printJSON(resp)
	}
	l := resp.GetLease()
	if l == nil {
		l = &notebookv1.Lease{}
	}
	t := s.newFieldTable()
	t.row("Notebook", id)
	t.row("Stops", leaseText(l, stopAt))
	if l.Enable != nil {
		enabled := "no"
		if l.GetEnable() {
			enabled = "yes"
		}
		t.row("Enabled", enabled)
	}
	t.row("Type", l.GetType())
	renewed := formatEpochMillis(l.GetUpdateAt())
	if span, ok := leaseSpan(l); ok && renewed != "" {
		renewed += ", for " + formatMillisDuration(span)
	}
	t.row("Renewed", renewed)
	t.row("Created", formatEpochMillis(l.GetCreateAt()))
	return t.flush()
}

func setupLeaseShow(*envflag.Set) action {
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_GetLease_FullMethodName,
			&notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: args[0]}, s.nb.GetLease)
		if err != nil {
			return err
		}
		resp = orEmptyLease(resp)
		return s.printLease(args[0], resp, resp.StopAt)
	}
}

// orEmptyLease returns resp, or an empty answer when it is nil.
func orEmptyLease(resp *notebookv1.GetLeaseResponse) *notebookv1.GetLeaseResponse {
	if resp == nil {
		return &notebookv1.GetLeaseResponse{}
	}
	return resp
}

func setupLeaseRenew(fs *envflag.Set) action {
	var lease leaseFlags
	lease.define(fs, "duration", "type")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		lr, err := lease.request(fs, "duration", "type")
		if err != nil {
			return err
		}
		if lr == nil || lr.Duration == nil {
			return usagef("devenvctl lease renew needs --duration (such as 2h) or --no-auto-stop")
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_RenewLease_FullMethodName,
			&notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: args[0], Lease: lr}, s.nb.RenewLease)
		if err != nil {
			return err
		}
		if resp == nil {
			resp = &notebookv1.RenewLeaseResponse{}
		}
		return s.printLease(args[0], resp, resp.StopAt)
	}
}
