// Package kubernetes_test checks the manifests of deploy/kubernetes: every
// file decodes strictly into the Kubernetes API types (an unknown or
// misspelled field fails), kustomize builds them, and they agree with the
// facade itself: the configuration they give it is one it accepts (the
// built facade runs --print-config with the Deployment's arguments and
// mounted files), the probes reach real ports and health services of a
// running facade, the Services, the NetworkPolicy and the drain timing
// match the container.
package kubernetes_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// namespace is where kustomization.yaml puts everything.
const namespace = "devenv-facade"

// newObject returns an empty object of the API type a manifest names; the
// kinds deploy/kubernetes may hold.
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, nil
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, nil
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	}
	return nil, fmt.Errorf("apiVersion %q kind %q is not a type these manifests use", apiVersion, kind)
}

// decodeStrict decodes one YAML document into its API type, as the API
// server's strict field validation would: an unknown field, a field in
// the wrong case and a duplicate key are errors.
func decodeStrict(doc []byte) (any, error) {
	js, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, err
	}
	obj, err := newObject(tm.APIVersion, tm.Kind)
	if err != nil {
		return nil, err
	}
	strict, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
	}
	return obj, nil
}

// documents splits a YAML stream into its documents.
func documents(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(d, "")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// kustomization is the part of kustomization.yaml these manifests use;
// anything else in the file is an error.
type kustomization struct {
	APIVersion         string   `json:"apiVersion"`
	Kind               string   `json:"kind"`
	Namespace          string   `json:"namespace"`
	Resources          []string `json:"resources"`
	ConfigMapGenerator []struct {
		Name  string   `json:"name"`
		Files []string `json:"files"`
	} `json:"configMapGenerator"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images"`
}

func readKustomization(t *testing.T) kustomization {
	t.Helper()
	data, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := sigsyaml.YAMLToJSONStrict(data)
	if err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	var k kustomization
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	return k
}

// TestManifests_decodeStrictly: every manifest file decodes strictly, is
// listed in kustomization.yaml (or generates a ConfigMap from it), and
// kustomize builds the whole into objects that decode strictly too.
func TestManifests_decodeStrictly(t *testing.T) {
	t.Parallel()
	k := readKustomization(t)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" || k.Namespace != namespace {
		t.Errorf("kustomization.yaml: %s %s namespace %q", k.APIVersion, k.Kind, k.Namespace)
	}
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range k.Resources {
		listed[r] = true
		data, err := os.ReadFile(r)
		if err != nil {
			t.Fatalf("resource %s: %v", r, err)
		}
		docs := documents(data)
		if len(docs) == 0 {
			t.Errorf("%s holds no manifest", r)
		}
		for i, doc := range docs {
			if _, err := decodeStrict(doc); err != nil {
				t.Errorf("%s, document %d: %v", r, i+1, err)
			}
		}
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			listed[f] = true
		}
	}
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[f] {
			t.Errorf("%s is in deploy/kubernetes but kustomization.yaml does not use it", f)
		}
	}

	kinds := map[string]int{}
	for _, obj := range built(t) {
		kinds[fmt.Sprintf("%T", obj)]++
		if m, ok := obj.(metav1.Object); ok {
			if _, isNS := obj.(*corev1.Namespace); !isNS && m.GetNamespace() != namespace {
				t.Errorf("%T %s is in namespace %q; want %q", obj, m.GetName(), m.GetNamespace(), namespace)
			}
		}
	}
	want := map[string]int{
		"*v1.Namespace": 1, "*v1.ServiceAccount": 1, "*v1.ConfigMap": 1, "*v1.Deployment": 1, "*v1.Service": 2,
		"*v1.PodDisruptionBudget": 1, "*v2.HorizontalPodAutoscaler": 1, "*v1.NetworkPolicy": 1,
	}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("kustomize built %v; want %v", kinds, want)
	}
}

// TestDecodeStrict_refuses: the decoder the other tests rely on refuses
// what the API server's strict validation refuses.
func TestDecodeStrict_refuses(t *testing.T) {
	t.Parallel()
	ok := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: x\nspec:\n  maxUnavailable: 1\n"
	if _, err := decodeStrict([]byte(ok)); err != nil {
		t.Fatalf("a valid manifest: %v", err)
	}
	for name, doc := range map[string]string{
		"unknown_field":   strings.Replace(ok, "maxUnavailable", "maxUnavailabe", 1),
		"wrong_case":      strings.Replace(ok, "maxUnavailable", "MaxUnavailable", 1),
		"duplicate_key":   ok + "  maxUnavailable: 2\n",
		"unknown_kind":    strings.Replace(ok, "PodDisruptionBudget", "PodDisruptionBudgets", 1),
		"old_api_version": strings.Replace(ok, "policy/v1", "policy/v1beta1", 1),
		"wrong_type":      strings.Replace(ok, "maxUnavailable: 1", "maxUnavailable: [1]", 1),
	} {
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: accepted:\n%s", name, doc)
		}
	}
}

var (
	buildOnce sync.Once
	builtObjs []any
	buildErr  error
)

// built runs kustomize on this directory, as kubectl apply -k does, and
// decodes what it makes strictly.
func built(t *testing.T) []any {
	t.Helper()
	buildOnce.Do(func() {
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		rm, err := k.Run(filesys.MakeFsOnDisk(), ".")
		if err != nil {
			buildErr = fmt.Errorf("kustomize build: %w", err)
			return
		}
		for _, r := range rm.Resources() {
			y, err := r.AsYAML()
			if err != nil {
				buildErr = err
				return
			}
			obj, err := decodeStrict(y)
			if err != nil {
				buildErr = fmt.Errorf("kustomize output %s: %w", r.CurId(), err)
				return
			}
			builtObjs = append(builtObjs, obj)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtObjs
}

// one returns the only built object of type T (named name, if not "").
func one[T any](t *testing.T, name string) T {
	t.Helper()
	var found []T
	for _, obj := range built(t) {
		if o, ok := obj.(T); ok {
			if m, ok := obj.(metav1.Object); ok && name != "" && m.GetName() != name {
				continue
			}
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T named %q; want 1", len(found), zero, name)
	}
	return found[0]
}

func deployment(t *testing.T) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	d := one[*appsv1.Deployment](t, "devenv-facade")
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers; want 1", len(d.Spec.Template.Spec.Containers))
	}
	return d, &d.Spec.Template.Spec.Containers[0]
}

// containerPort returns the container's port named name.
func containerPort(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("the container has no port named %q", name)
	return 0
}

func TestDeployment_securityContext(t *testing.T) {
	t.Parallel()
	d, c := deployment(t)
	pod := d.Spec.Template.Spec
	ps := pod.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v; want runAsNonRoot and a non-zero runAsUser", ps)
	}
	if ps == nil || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod seccompProfile is not RuntimeDefault")
	}
	if ps != nil && ps.RunAsUser != nil && (ps.FSGroup == nil || ps.RunAsGroup == nil || *ps.FSGroup != *ps.RunAsGroup) {
		t.Error("fsGroup must be the facade's own group (runAsGroup): the Secrets are mounted 0440 for it, and the facade warns about files other groups may read")
	}
	cs := c.SecurityContext
	switch {
	case cs == nil:
		t.Fatal("the container has no securityContext")
	case cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation is not false")
	case cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem:
		t.Error("readOnlyRootFilesystem is not true")
	case cs.Privileged != nil && *cs.Privileged:
		t.Error("the container is privileged")
	case cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(cs.Capabilities.Add) > 0:
		t.Errorf("capabilities %+v; want drop [ALL] and nothing added", cs.Capabilities)
	case cs.SeccompProfile != nil && cs.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("the container's seccompProfile is not RuntimeDefault")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token; the facade never calls the Kubernetes API")
	}
	if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
		t.Error("service links are on: they put DEVENV_FACADE_* variables of Kubernetes' own into the facade's environment")
	}
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
		t.Errorf("resources %+v; want CPU and memory requests (the autoscaler needs the CPU request) and a memory limit", c.Resources)
	}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			t.Errorf("volume %s is a hostPath", v.Name)
		}
		if v.Secret != nil && (v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&^0o440 != 0 || *v.Secret.DefaultMode&0o040 == 0) {
			t.Errorf("Secret volume %s: defaultMode %#o; want 0440 (read-only, for the owner and the fsGroup, which is the facade's)", v.Name, ptrOr(v.Secret.DefaultMode, 0))
		}
	}
	ns := one[*corev1.Namespace](t, namespace)
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace labels %v; want the restricted Pod Security Standard enforced", ns.Labels)
	}
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// TestServices: both Services select the pod, name its ports, and say
// which protocol they speak (grpc; https when the facade serves TLS).
func TestServices(t *testing.T) {
	t.Parallel()
	d, c := deployment(t)
	podLabels := labels.Set(d.Spec.Template.Labels)
	tls := printConfig(t, materialize(t, nil))["tls-cert"].value != ""
	wantProto := map[string]string{"grpc": "grpc", "http": "http", "admin": "http"}
	if tls {
		wantProto["http"] = "https"
	}
	for _, name := range []string{"devenv-facade", "devenv-facade-headless"} {
		svc := one[*corev1.Service](t, name)
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) || len(svc.Spec.Selector) == 0 {
			t.Errorf("Service %s selects %v, not the pods (%v)", name, svc.Spec.Selector, podLabels)
		}
		seen := map[string]bool{}
		for _, sp := range svc.Spec.Ports {
			seen[sp.Name] = true
			target := sp.TargetPort
			cp := containerPort(t, c, sp.Name)
			if target != intstr.FromString(sp.Name) && target != intstr.FromInt32(cp) {
				t.Errorf("Service %s port %s targets %s; want the container port %s (%d)", name, sp.Name, target.String(), sp.Name, cp)
			}
			if sp.Port != cp {
				t.Errorf("Service %s port %s is %d; the container's is %d", name, sp.Name, sp.Port, cp)
			}
			if got := ptrOr(sp.AppProtocol, ""); got != wantProto[sp.Name] {
				t.Errorf("Service %s port %s: appProtocol %q; want %q", name, sp.Name, got, wantProto[sp.Name])
			}
		}
		if !seen["grpc"] || !seen["http"] {
			t.Errorf("Service %s has ports %v; want grpc and http", name, seen)
		}
	}
	if h := one[*corev1.Service](t, "devenv-facade-headless"); h.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("the headless Service has clusterIP %q", h.Spec.ClusterIP)
	}
	if s := one[*corev1.Service](t, "devenv-facade"); s.Spec.ClusterIP == corev1.ClusterIPNone {
		t.Error("the main Service is headless too")
	}
}

// TestAvailability: the PodDisruptionBudget and the autoscaler select the
// Deployment and agree: at least two replicas, one disrupted at a time,
// and the CPU request the utilization target is a share of.
func TestAvailability(t *testing.T) {
	t.Parallel()
	d, c := deployment(t)
	podLabels := labels.Set(d.Spec.Template.Labels)
	if d.Spec.Replicas != nil {
		t.Errorf("the Deployment sets replicas (%d); the autoscaler owns them, and a re-apply would reset its choice", *d.Spec.Replicas)
	}
	if s := d.Spec.Strategy.RollingUpdate; s == nil || s.MaxUnavailable == nil || s.MaxUnavailable.IntValue() != 0 {
		t.Error("a rolling update may take a replica away before its successor is ready (maxUnavailable is not 0)")
	}
	pdb := one[*policyv1.PodDisruptionBudget](t, "devenv-facade")
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || !sel.Matches(podLabels) {
		t.Errorf("the PodDisruptionBudget selects %v, not the pods (%v): %v", pdb.Spec.Selector, podLabels, err)
	}
	hpa := one[*autoscalingv2.HorizontalPodAutoscaler](t, "devenv-facade")
	ref := hpa.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("the autoscaler scales %+v; want the Deployment %s", ref, d.Name)
	}
	minR := ptrOr(hpa.Spec.MinReplicas, 1)
	if minR < 2 || hpa.Spec.MaxReplicas < minR {
		t.Errorf("replicas %d to %d; want at least 2, so one can drain while another serves", minR, hpa.Spec.MaxReplicas)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() < 1 || pdb.Spec.MaxUnavailable.IntValue() >= int(minR) {
		t.Errorf("the PodDisruptionBudget's maxUnavailable %v must let a node drain (>= 1) and keep a replica (< %d)", pdb.Spec.MaxUnavailable, minR)
	}
	cpu := false
	for _, m := range hpa.Spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
			m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && ptrOr(m.Resource.Target.AverageUtilization, 0) > 0 {
			cpu = true
		}
	}
	if !cpu || c.Resources.Requests.Cpu().IsZero() {
		t.Error("the autoscaler needs a CPU utilization target and the container a CPU request")
	}
}

// TestNetworkPolicy: the policy selects the pods, lets callers reach the
// API ports and monitoring the admin port, and lets the facade resolve
// names and reach HTTPS endpoints (ModelArts, IAM).
func TestNetworkPolicy(t *testing.T) {
	t.Parallel()
	d, c := deployment(t)
	np := one[*networkingv1.NetworkPolicy](t, "devenv-facade")
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Fatalf("the NetworkPolicy selects %v, not the pods", np.Spec.PodSelector)
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("policy types %v; want Ingress and Egress", np.Spec.PolicyTypes)
	}
	allowsIn := func(port int32) bool {
		for _, r := range np.Spec.Ingress {
			for _, p := range r.Ports {
				if p.Port != nil && (p.Port.IntValue() == int(port)) {
					return true
				}
			}
		}
		return false
	}
	for _, name := range []string{"grpc", "http", "admin"} {
		if p := containerPort(t, c, name); !allowsIn(p) {
			t.Errorf("no ingress rule lets anyone reach port %s (%d)", name, p)
		}
	}
	allowsOut := func(port int, proto corev1.Protocol) bool {
		for _, r := range np.Spec.Egress {
			for _, p := range r.Ports {
				if p.Port != nil && p.Port.IntValue() == port && ptrOr(p.Protocol, corev1.ProtocolTCP) == proto {
					return true
				}
			}
		}
		return false
	}
	for _, want := range []struct {
		port  int
		proto corev1.Protocol
	}{{53, corev1.ProtocolUDP}, {53, corev1.ProtocolTCP}, {443, corev1.ProtocolTCP}} {
		if !allowsOut(want.port, want.proto) {
			t.Errorf("no egress rule allows %d/%s", want.port, want.proto)
		}
	}
}

// TestImage: the Deployment runs the image make image builds, under its
// user.
func TestImage(t *testing.T) {
	t.Parallel()
	d, c := deployment(t)
	if !strings.HasPrefix(c.Image, "devenv-facade:") && !strings.Contains(c.Image, "/devenv-facade:") {
		t.Errorf("image %q; want devenv-facade:TAG (kustomization.yaml images)", c.Image)
	}
	if u := ptrOr(d.Spec.Template.Spec.SecurityContext.RunAsUser, 0); u != 65532 {
		t.Errorf("runAsUser %d; the image's user is 65532", u)
	}
	if len(c.Command) > 0 {
		t.Errorf("command %q replaces the image's entry point", c.Command)
	}
}

// TestDocs_secrets: docs/kubernetes.md tells operators to create every Secret
// the Deployment mounts, with the keys it mounts.
func TestDocs_secrets(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../docs/kubernetes.md")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := deployment(t)
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret == nil {
			continue
		}
		if !regexp.MustCompile(`kubectl -n devenv-facade create secret \w+ ` + regexp.QuoteMeta(v.Secret.SecretName) + ` `).Match(readme) {
			t.Errorf("docs/kubernetes.md has no `kubectl -n devenv-facade create secret ... %s` for the Secret the Deployment mounts", v.Secret.SecretName)
		}
		for _, it := range v.Secret.Items {
			if !bytes.Contains(readme, []byte(it.Key)) {
				t.Errorf("docs/kubernetes.md does not mention the key %s of Secret %s", it.Key, v.Secret.SecretName)
			}
		}
	}
}
