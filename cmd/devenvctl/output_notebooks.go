package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// orEmpty returns m, or a new empty message of its type when m is nil, so
// that -o json prints {} rather than null.
func orEmpty[M interface {
	proto.Message
	comparable
}](m M) proto.Message {
	var zero M
	if m == zero {
		return m.ProtoReflect().Type().New().Interface()
	}
	return m
}

// formatEpochMillis formats milliseconds since the Unix epoch, as the
// notebook API writes times, in UTC RFC 3339; "" when unset.
func formatEpochMillis(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// formatMillisDuration formats a duration in milliseconds: "2h0m0s".
func formatMillisDuration(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}

// leaseStopAt returns when a lease stops its notebook by itself,
// create_at + duration in milliseconds since the epoch, and whether it
// does: a lease that is enabled, TIMING (or of no stated type) and
// complete. The facade's GetLease computes the same (stop_at).
func leaseStopAt(l *notebookv1.Lease) (int64, bool) {
	if l == nil || !l.GetEnable() || strings.EqualFold(l.GetType(), "IDLE") || l.CreateAt == nil || l.Duration == nil || l.GetDuration() <= 0 {
		return 0, false
	}
	return l.GetCreateAt() + l.GetDuration(), true
}

// leaseSpan returns the duration a lease was last armed for (at a start
// or a renewal, update_at): its duration counts from create_at, so the
// span is duration - (update_at - create_at).
func leaseSpan(l *notebookv1.Lease) (int64, bool) {
	if l.Duration == nil || l.GetDuration() <= 0 {
		return 0, false
	}
	armed := int64(0)
	if l.UpdateAt != nil && l.CreateAt != nil {
		armed = max(0, l.GetUpdateAt()-l.GetCreateAt())
	}
	if l.GetDuration() <= armed {
		return 0, false
	}
	return l.GetDuration() - armed, true
}

// leaseText describes when a notebook stops by itself: "at
// 2026-12-06T16:00:00Z (TIMING)", "after 1h0m0s without activity (IDLE)",
// or "never (lease off)".
func leaseText(l *notebookv1.Lease, stopAt *int64) string {
	switch {
	case l == nil:
		return ""
	case l.Enable != nil && !l.GetEnable():
		return "never (the lease is off)"
	case strings.EqualFold(l.GetType(), "IDLE"):
		if span, ok := leaseSpan(l); ok {
			return "after " + formatMillisDuration(span) + " without activity (IDLE)"
		}
		return "after a time without activity (IDLE)"
	}
	at, ok := leaseStopAt(l)
	if stopAt != nil {
		at, ok = *stopAt, true
	}
	if !ok {
		return strings.TrimSpace("unknown " + l.GetType())
	}
	typ := l.GetType()
	if typ == "" {
		typ = "TIMING"
	}
	return "at " + formatEpochMillis(at) + " (" + typ + ")"
}

// imageName names an image: "name:tag", else its ID.
func imageName(im *notebookv1.Image) string {
	switch {
	case im == nil:
		return ""
	case im.GetName() != "" && im.GetTag() != "":
		return im.GetName() + ":" + im.GetTag()
	case im.GetName() != "":
		return im.GetName()
	}
	return im.GetId()
}

// fieldTable writes "Name:  value" rows, values cleaned by s.cell.
type fieldTable struct {
	s  *session
	tw *tabwriter.Writer
}

func (s *session) newFieldTable() *fieldTable {
	return &fieldTable{s: s, tw: tabwriter.NewWriter(s.stdout, 0, 4, 2, ' ', 0)}
}

// row writes one row.
func (t *fieldTable) row(name, value string) { fmt.Fprintf(t.tw, "%s:\t%s\n", name, t.s.cell(value)) }

// rowIf writes one row if value is not empty.
func (t *fieldTable) rowIf(name, value string) {
	if value != "" {
		t.row(name, value)
	}
}

func (t *fieldTable) flush() error { return t.tw.Flush() }

// notebookStops describes when a notebook stops by itself: its lease's
// deadline while it runs (RUNNING, or SNAPSHOTTING, saving an image),
// else "not running": the lease of a stopped notebook stops nothing, and a
// start arms a new one.
func notebookStops(nb *notebookv1.Notebook) string {
	switch strings.ToUpper(nb.GetStatus()) {
	case "RUNNING", "SNAPSHOTTING":
		return leaseText(nb.GetLease(), nil)
	case "":
		return ""
	}
	return "not running"
}

// printNotebook writes one notebook: with -o json the notebook itself, as
// ModelArts answers it, else one field a line. A notebook the facade
// inferred (a create whose answer was lost) is said so on stderr.
func (s *session) printNotebook(nb *notebookv1.Notebook) error {
	if out := s.header.Get(mdOutcome); len(out) > 0 && out[0] == "inferred" {
		fmt.Fprintln(s.stderr, "devenvctl: ModelArts did not confirm this: an attempt got no answer, and the facade found the notebook by reading (see docs/errors.md)")
	}
	if s.g.output == outputJSON {
		return s.printJSON(orEmpty(nb))
	}
	t := s.newFieldTable()
	t.row("ID", nb.GetId())
	t.row("Name", nb.GetName())
	t.row("Status", nb.GetStatus())
	t.rowIf("Failed", nb.GetFailReason())
	for _, p := range nb.GetActionProgress() {
		desc := p.GetStepDescription()
		if desc == "" {
			desc = p.GetDescription()
		}
		t.row("Progress", strings.Join(strings.Fields(fmt.Sprintf("step %d %s %s", p.GetStep(), p.GetStatus(), desc)), " "))
	}
	t.row("Description", nb.GetDescription())
	t.row("Flavor", nb.GetFlavor())
	image := imageName(nb.GetImage())
	if id := nb.GetImage().GetId(); id != "" && id != image {
		image += " (" + id + ")"
	}
	t.row("Image", image)
	t.row("Storage", volumeText(nb.GetVolume()))
	for _, m := range nb.GetDataVolumes() {
		t.row("Mount", mountText(m))
	}
	for _, e := range nb.GetEndpoints() {
		t.row("Endpoint", endpointText(e))
	}
	t.row("Stops", notebookStops(nb))
	t.rowIf("URL", nb.GetUrl())
	t.row("Feature", nb.GetFeature())
	t.row("Workspace", nb.GetWorkspaceId())
	if p := nb.GetPool(); p != nil {
		t.row("Pool", strings.TrimSpace(p.GetId()+" "+p.GetName()))
	}
	owner := nb.GetUser().GetName()
	if owner == "" {
		owner = nb.GetUserId()
	}
	t.rowIf("Owner", owner)
	t.row("Created", formatEpochMillis(nb.GetCreateAt()))
	t.row("Updated", formatEpochMillis(nb.GetUpdateAt()))
	return t.flush()
}

// volumeText describes a notebook's storage: "EVS MANAGED 5 GB at
// /home/ma-user/work/".
func volumeText(v *notebookv1.Volume) string {
	if v == nil {
		return ""
	}
	parts := []string{v.GetCategory(), v.GetOwnership()}
	if v.Capacity != nil {
		parts = append(parts, strconv.Itoa(int(v.GetCapacity()))+" GB")
	}
	if v.GetMountPath() != "" {
		parts = append(parts, "at "+v.GetMountPath())
	}
	if v.GetStatus() != "" {
		parts = append(parts, "("+v.GetStatus()+")")
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// mountText describes an OBS mount: "obs://bucket/dir/ at /data/ (MOUNTED)".
func mountText(m *notebookv1.StorageMount) string {
	text := m.GetUri() + " at " + m.GetMountPath()
	if m.GetStatus() != "" {
		text += " (" + m.GetStatus() + ")"
	}
	if m.GetId() != "" {
		text += ", id " + m.GetId()
	}
	return text
}

// endpointText describes a way into a notebook: "SSH ssh://... keys a,b
// from 192.0.2.1".
func endpointText(e *notebookv1.Endpoint) string {
	service := e.GetService()
	if service == "" {
		service = e.GetDevService()
	}
	parts := []string{service, e.GetUri()}
	keys := e.GetKeyPairNames()
	if len(keys) == 0 {
		keys = e.GetSshKeys()
	}
	if len(keys) > 0 {
		parts = append(parts, "keys "+strings.Join(keys, ","))
	}
	if ips := e.GetAllowedAccessIps(); len(ips) > 0 {
		parts = append(parts, "from "+strings.Join(ips, ","))
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
