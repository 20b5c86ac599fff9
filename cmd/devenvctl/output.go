package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// maxCell bounds a table cell.
const maxCell = 256

// printJSON writes m as one indented JSON document in the vendor's shape
// (field names and value types as ModelArts sends them, so a script written
// against ModelArts reads it unchanged). A token the server echoed is
// replaced with [REDACTED], as in every other output.
func (s *session) printJSON(m proto.Message) error {
	compact, err := vendorjson.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding the answer as JSON: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		return fmt.Errorf("encoding the answer as JSON: %w", err)
	}
	_, err = s.stdout.Write(s.redact(append(indented.Bytes(), '\n')))
	return err
}

// redact returns b with the tokens replaced with [REDACTED].
func (s *session) redact(b []byte) []byte {
	for _, t := range []string{s.g.token, s.g.authToken} {
		if len(t) >= scrub.MinSecretLen {
			b = bytes.ReplaceAll(b, []byte(t), []byte(scrub.Redacted))
		}
	}
	return b
}

// cell returns server text fit for a table: on one line, without control
// or invisible characters or secrets, bounded; "-" when empty.
func (s *session) cell(v string) string {
	v = scrub.Text(v, maxCell, s.secrets)
	if v == "" {
		return "-"
	}
	return v
}

// newTable returns a writer that aligns tab-separated columns.
func (s *session) newTable() *tabwriter.Writer {
	return tabwriter.NewWriter(s.stdout, 0, 4, 3, ' ', 0)
}

// formatMillis formats milliseconds since the epoch, in decimal as
// ModelArts sends creation_timestamp, as UTC RFC 3339; other text is
// returned as it is.
func formatMillis(ms string) string {
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n <= 0 {
		return ms
	}
	return time.UnixMilli(n).UTC().Format(time.RFC3339)
}

// printInstanceTable writes instances as a table with a header.
func (s *session) printInstanceTable(instances []*devenvv1.Instance) error {
	tw := s.newTable()
	fmt.Fprintln(tw, strings.Join(instanceColumns, "\t"))
	for _, in := range instances {
		fmt.Fprintln(tw, strings.Join(s.instanceRow(in), "\t"))
	}
	return tw.Flush()
}

// instanceColumns are the columns of a table of instances.
var instanceColumns = []string{"ID", "NAME", "STATUS", "FLAVOR", "CREATED"}

// instanceRow returns an instance's cells in a table of instances.
func (s *session) instanceRow(in *devenvv1.Instance) []string {
	return []string{s.cell(in.GetId()), s.cell(in.GetName()), s.cell(in.GetStatus()),
		s.cell(in.GetFlavor()), s.cell(formatMillis(in.GetCreationTimestamp()))}
}

// printInstance writes one instance: with -o json the instance itself,
// else one field a line.
func (s *session) printInstance(in *devenvv1.Instance) error {
	if in == nil {
		in = &devenvv1.Instance{}
	}
	if s.g.output == outputJSON {
		return s.printJSON(in)
	}
	tw := tabwriter.NewWriter(s.stdout, 0, 4, 2, ' ', 0)
	row := func(name, value string) { fmt.Fprintf(tw, "%s:\t%s\n", name, s.cell(value)) }
	spec := in.GetSpec()
	row("ID", in.GetId())
	row("Name", in.GetName())
	row("Status", in.GetStatus())
	if fr := spec.GetFailedReasons(); fr != nil {
		row("Failed", strings.TrimPrefix(fr.GetCode()+": "+fr.GetMessage(), ": "))
	}
	if in.ErrorCode != nil {
		row("Error code", in.GetErrorCode())
	}
	row("Description", in.GetDescription())
	row("Flavor", in.GetFlavor())
	profile := in.GetProfile().GetName()
	if profile == "" {
		profile = in.GetProfile().GetId()
	}
	row("Profile", profile)
	row("Storage", storageText(spec.GetStorage()))
	row("Auto-stop", autoStopText(spec.GetAutoStop()))
	row("Workspace", in.GetWorkspace().GetId())
	if p := in.GetPool(); p != nil {
		row("Pool", strings.TrimSpace(p.GetId()+" "+p.GetName()))
	}
	row("Created", formatMillis(in.GetCreationTimestamp()))
	row("Updated", formatMillis(in.GetLatestUpdateTimestamp()))
	return tw.Flush()
}

// storageText describes an instance's storage: "obs /bucket/dir/".
func storageText(st *devenvv1.Storage) string {
	if st == nil {
		return ""
	}
	parts := []string{st.GetType(), st.GetLocation().GetPath()}
	if n := st.GetLocation().GetVolumeSize(); n > 0 {
		parts = append(parts, strconv.Itoa(int(n))+st.GetLocation().GetVolumeUnit())
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// autoStopText describes automatic stopping: "off", or "after 1h0m0s" and
// when the instance will stop.
func autoStopText(a *devenvv1.AutoStop) string {
	switch {
	case a == nil:
		return ""
	case !a.GetEnable():
		return "off"
	}
	text := "after " + (time.Duration(a.GetDuration()) * time.Second).String()
	if at := a.GetStopTimestamp(); at > 0 {
		text += ", at " + time.UnixMilli(at).UTC().Format(time.RFC3339)
	}
	return text
}

// printTransition writes what start or stop answered: the instance, its
// previous and its current status.
func (s *session) printTransition(id string, t transition) error {
	if got := t.GetInstance().GetId(); got != "" {
		id = got
	}
	tw := s.newTable()
	fmt.Fprintln(tw, "ID\tPREVIOUS\tSTATUS")
	fmt.Fprintf(tw, "%s\t%s\t%s\n", s.cell(id), s.cell(t.GetPreviousState()), s.cell(t.GetCurrentStatus()))
	return tw.Flush()
}

// printDeleted writes what delete answered; outcome is the response's
// x-delete-outcome metadata.
func (s *session) printDeleted(id string, waited bool, outcome []string) error {
	line := "Deleted " + s.cell(id)
	if waited {
		line += " (gone)"
	}
	if len(outcome) > 0 && outcome[0] == "inferred" {
		line += "; ModelArts did not confirm it: an attempt got no answer and a retry found the instance gone"
	}
	_, err := fmt.Fprintln(s.stdout, line+".")
	return err
}
