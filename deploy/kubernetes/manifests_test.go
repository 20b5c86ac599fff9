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
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
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

// setting is one line of --print-config.
type setting struct{ value, source string }

var (
	facadeOnce sync.Once
	facadeBin  string
	facadeErr  error
	facadeDir  string
)

// TestMain removes the facade this package built.
func TestMain(m *testing.M) {
	code := m.Run()
	if facadeDir != "" {
		os.RemoveAll(facadeDir)
	}
	os.Exit(code)
}

// facade builds the facade from this repository, once.
func facade(t *testing.T) string {
	t.Helper()
	facadeOnce.Do(func() {
		if facadeDir, facadeErr = os.MkdirTemp("", "devenv-facade-k8s-test-"); facadeErr != nil {
			return
		}
		facadeBin = filepath.Join(facadeDir, "devenv-facade")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", facadeBin, "./cmd/devenv-facade")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			facadeErr = fmt.Errorf("go build ./cmd/devenv-facade: %v\n%s", err, out)
		}
	})
	if facadeErr != nil {
		t.Fatal(facadeErr)
	}
	return facadeBin
}

// pod is the Deployment's container made real on this machine: its
// mounted files under root, its arguments pointing there.
type pod struct {
	root string
	args []string
	env  []string
}

// secretFixtures are the Secrets the operator creates (docs/kubernetes.md,
// "Kubernetes"), with stand-in contents of the right form.
func secretFixtures(t *testing.T) map[string]map[string][]byte {
	t.Helper()
	crt, key := selfSigned(t)
	return map[string]map[string][]byte{
		"devenv-facade-callers": {"callers.yaml": []byte(`callers:
  - name: platform-admin
    token_sha256: 47276e0703c50cdecbe34a9ca7d1d202246b0ca57271aacc86a9b7bb24e939a0
    projects: ["*"]
`)},
		"devenv-facade-upstream": {"access-key": []byte("EXAMPLEACCESSKEY0000\n"), "secret-key": []byte("example-secret-key-0000000000000000000000\n")},
		"devenv-facade-tls":      {"tls.crt": crt, "tls.key": key},
	}
}

// selfSigned returns a certificate and key for the Service's names.
func selfSigned(t *testing.T) (crt, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "devenv-facade"},
		DNSNames:  []string{"devenv-facade", "devenv-facade.devenv-facade.svc", "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

// materialize writes the container's volumes under a temporary root, as
// the kubelet would mount them, and rewrites the mount paths in the
// arguments, the environment and the ConfigMap's files to point there. A
// Secret key the fixtures do not know fails the test.
func materialize(t *testing.T, ports map[int32]int32) pod {
	t.Helper()
	d, c := deployment(t)
	root := t.TempDir()
	volumes := map[string]corev1.Volume{}
	for _, v := range d.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := slices.Clone(c.VolumeMounts)
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].MountPath) > len(mounts[j].MountPath) })
	rewrite := func(s string) string {
		for _, m := range mounts {
			s = strings.ReplaceAll(s, m.MountPath, root+m.MountPath)
		}
		return s
	}
	secrets := secretFixtures(t)
	for _, m := range mounts {
		v, ok := volumes[m.Name]
		if !ok {
			t.Fatalf("volumeMount %s names no volume", m.Name)
		}
		if !m.ReadOnly {
			t.Errorf("volumeMount %s is writable", m.Name)
		}
		dir := root + m.MountPath
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var data map[string][]byte
		var items []corev1.KeyToPath
		switch {
		case v.ConfigMap != nil:
			cm := one[*corev1.ConfigMap](t, v.ConfigMap.Name)
			data = map[string][]byte{}
			for k, s := range cm.Data {
				data[k] = []byte(rewrite(s))
			}
			items = v.ConfigMap.Items
		case v.Secret != nil:
			data = secrets[v.Secret.SecretName]
			if data == nil {
				t.Fatalf("the Deployment mounts Secret %s, which docs/kubernetes.md does not tell operators to create", v.Secret.SecretName)
			}
			items = v.Secret.Items
		default:
			t.Fatalf("volume %s is neither a ConfigMap nor a Secret", v.Name)
		}
		if len(items) == 0 {
			for k := range data {
				items = append(items, corev1.KeyToPath{Key: k, Path: k})
			}
		}
		for _, it := range items {
			content, ok := data[it.Key]
			if !ok {
				t.Fatalf("volume %s wants key %s, which its %s does not have", v.Name, it.Key, map[bool]string{true: "ConfigMap", false: "Secret"}[v.ConfigMap != nil])
			}
			if err := os.WriteFile(filepath.Join(dir, it.Path), content, 0o440); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := pod{root: root}
	for _, a := range c.Args {
		a = rewrite(a)
		for from, to := range ports {
			a = regexp.MustCompile(`^(--[a-z-]+-addr=[^ ]*):`+strconv.Itoa(int(from))+`$`).ReplaceAllString(a, "${1}:"+strconv.Itoa(int(to)))
		}
		p.args = append(p.args, a)
	}
	p.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s comes from a reference this test does not resolve", e.Name)
		}
		p.env = append(p.env, e.Name+"="+rewrite(e.Value))
	}
	return p
}

// printConfig runs the facade with the pod's arguments and --print-config
// and returns its settings.
func printConfig(t *testing.T, p pod) map[string]setting {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), facade(t), append(slices.Clone(p.args), "--print-config")...)
	cmd.Env = p.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("devenv-facade %s --print-config: %v\n%s", strings.Join(p.args, " "), err, stderr.String())
	}
	settings := map[string]setting{}
	line := regexp.MustCompile(`^(?:# )?([a-z0-9-]+): (.*?) +# (.*)$`)
	for l := range strings.SplitSeq(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
		}
		settings[m[1]] = setting{value: v, source: m[3]}
	}
	if len(settings) < 20 {
		t.Fatalf("--print-config printed %d settings:\n%s", len(settings), out)
	}
	return settings
}

// TestDeployment_configAccepted: the facade accepts the configuration the
// Deployment gives it (arguments, config file, mounted files), listens
// where the container's ports are, authenticates callers, and finds every
// file it is told about in a mounted volume.
func TestDeployment_configAccepted(t *testing.T) {
	t.Parallel()
	_, c := deployment(t)
	for _, a := range c.Args {
		if !regexp.MustCompile(`^--[a-z][a-z0-9-]*=`).MatchString(a) {
			t.Errorf("argument %q: write flags as --name=value", a)
		}
	}
	p := materialize(t, nil)
	s := printConfig(t, p)
	for flag, port := range map[string]string{"grpc-addr": "grpc", "http-addr": "http", "admin-addr": "admin"} {
		want := "0.0.0.0:" + strconv.Itoa(int(containerPort(t, c, port)))
		if s[flag].value != want {
			t.Errorf("--%s is %q (%s); want %s, the container port %s on every interface of the pod", flag, s[flag].value, s[flag].source, want, port)
		}
	}
	if s["caller-tokens-file"].value == "" && s["client-ca"].value == "" {
		t.Error("no caller authentication: neither caller-tokens-file nor client-ca is set")
	}
	if s["insecure"].value != "false" {
		t.Errorf("insecure is %s", s["insecure"].value)
	}
	if s["tls-cert"].value == "" || s["tls-key"].value == "" {
		t.Error("no TLS: bearer tokens would cross the network in the clear")
	}
	if !strings.HasPrefix(s["modelarts-endpoint"].value, "https://") {
		t.Errorf("modelarts-endpoint %q; want a real ModelArts over HTTPS", s["modelarts-endpoint"].value)
	}
	for name, st := range s {
		if (strings.HasSuffix(name, "-file") || name == "tls-cert" || name == "tls-key" || name == "client-ca" || name == "config") &&
			st.value != "" && !strings.HasPrefix(st.value, p.root) {
			t.Errorf("%s %s is not in a mounted volume", name, st.value)
		}
	}
	if !strings.HasPrefix(s["config"].source, "flag") {
		t.Errorf("config comes from %s; want the Deployment's arguments", s["config"].source)
	}
}

// healthService reads the gRPC service name of the API from the proto.
func healthService(t *testing.T) string {
	t.Helper()
	proto, err := os.ReadFile("../../proto/modelarts/devenv/v1/devenv.proto")
	if err != nil {
		t.Fatal(err)
	}
	pkg := regexp.MustCompile(`(?m)^package ([\w.]+);`).FindSubmatch(proto)
	svc := regexp.MustCompile(`(?m)^service (\w+) \{`).FindSubmatch(proto)
	if pkg == nil || svc == nil {
		t.Fatal("no package or service in devenv.proto")
	}
	return string(pkg[1]) + "." + string(svc[1])
}

// probes returns the container's probes by name.
func probes(c *corev1.Container) map[string]*corev1.Probe {
	return map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe}
}

// TestDeployment_probes: every probe uses the admin listener's port, by
// gRPC health of the whole server or of the API's service, or by one of
// its HTTP paths; and a running facade, configured as the Deployment
// configures it, answers each probe.
func TestDeployment_probes(t *testing.T) {
	t.Parallel()
	_, c := deployment(t)
	admin := containerPort(t, c, "admin")
	api := healthService(t)
	for name, pr := range probes(c) {
		switch {
		case pr == nil:
			t.Errorf("%s is missing", name)
		case pr.GRPC != nil:
			if pr.GRPC.Port != admin {
				t.Errorf("%s: gRPC port %d; want the admin port %d (the API ports need caller credentials, which the kubelet has not)", name, pr.GRPC.Port, admin)
			}
			if svc := ptrOr(pr.GRPC.Service, ""); svc != "" && svc != api {
				t.Errorf("%s: gRPC health service %q; want \"\" or %q", name, svc, api)
			}
		case pr.HTTPGet != nil:
			if pr.HTTPGet.Port != intstr.FromInt32(admin) && pr.HTTPGet.Port != intstr.FromString("admin") {
				t.Errorf("%s: HTTP port %s; want the admin port", name, pr.HTTPGet.Port.String())
			}
			if pr.HTTPGet.Scheme == corev1.URISchemeHTTPS {
				t.Errorf("%s: HTTPS; the admin listener is plaintext", name)
			}
		default:
			t.Errorf("%s: neither gRPC nor HTTP", name)
		}
	}
	if c.LivenessProbe != nil && c.LivenessProbe.GRPC != nil && ptrOr(c.LivenessProbe.GRPC.Service, "") != "" {
		t.Errorf("the liveness probe checks %q, which goes NOT_SERVING when ModelArts is unreachable; restarting would not help: check the process (\"\")", *c.LivenessProbe.GRPC.Service)
	}
	if lp := c.LivenessProbe; lp != nil && lp.HTTPGet != nil && lp.HTTPGet.Path != "/healthz" {
		t.Errorf("the liveness probe GETs %s; want /healthz", lp.HTTPGet.Path)
	}

	// Run the facade as the pod would, on free ports of this machine.
	free := map[int32]int32{}
	for _, name := range []string{"grpc", "http", "admin"} {
		free[containerPort(t, c, name)] = freePort(t)
	}
	p := materialize(t, free)
	cmd := exec.Command(facade(t), p.args...)
	cmd.Env = p.env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
			if t.Failed() {
				t.Logf("facade output:\n%s", logs.String())
			}
			return // it failed on its own; reported above
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if exitErr != nil {
				t.Errorf("after SIGTERM the facade exited with %v; want a graceful stop (0)", exitErr)
			}
		case <-time.After(30 * time.Second):
			t.Error("the facade did not stop within 30s of SIGTERM")
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("facade output:\n%s", logs.String())
		}
	}()
	adminAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(free[admin])))
	conn, err := grpc.NewClient(adminAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for name, pr := range probes(c) {
		if pr == nil {
			continue
		}
		for {
			select {
			case <-exited:
				t.Fatalf("the facade exited: %v", exitErr)
			default:
			}
			got, err := answer(t.Context(), health, adminAddr, pr)
			if err == nil && (got == "SERVING" || got == "200" || (name == "readinessProbe" && (got == "NOT_SERVING" || got == "503"))) {
				t.Logf("%s: %s", name, got)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: answer %q, %v", name, got, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// answer asks the running facade what the kubelet would ask for pr.
func answer(ctx context.Context, health healthpb.HealthClient, addr string, pr *corev1.Probe) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if pr.GRPC != nil {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: ptrOr(pr.GRPC.Service, "")})
		if err != nil {
			return "", err
		}
		return resp.GetStatus().String(), nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+pr.HTTPGet.Path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	return strconv.Itoa(resp.StatusCode), nil
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// freePort returns a TCP port free on this machine a moment ago.
func freePort(t *testing.T) int32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

// TestDeployment_drain: the preStop sleep lets endpoints forget the pod
// before SIGTERM; then the facade drains for --shutdown-grace and closes
// connections 2s later; terminationGracePeriodSeconds covers all of it.
func TestDeployment_drain(t *testing.T) {
	t.Parallel()
	d, c := deployment(t)
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("no preStop sleep (the image has no shell: use the sleep action)")
	}
	sleep := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	grace, err := time.ParseDuration(printConfig(t, materialize(t, nil))["shutdown-grace"].value)
	if err != nil {
		t.Fatal(err)
	}
	const closeAfter = 2 * time.Second // server: connections still open 2s after the grace are closed
	total := time.Duration(ptrOr(d.Spec.Template.Spec.TerminationGracePeriodSeconds, 30)) * time.Second
	if sleep < 2*time.Second || sleep > 15*time.Second {
		t.Errorf("preStop sleeps %s; want a few seconds (2s to 15s) for endpoints to drop the pod", sleep)
	}
	if need := sleep + grace + closeAfter; total < need {
		t.Errorf("terminationGracePeriodSeconds %s < preStop %s + --shutdown-grace %s + %s: the kubelet would kill calls the facade is draining", total, sleep, grace, closeAfter)
	} else if total > need+15*time.Second {
		t.Errorf("terminationGracePeriodSeconds %s is far above preStop %s + --shutdown-grace %s + %s: a hung facade would hold its pod that long", total, sleep, grace, closeAfter)
	}
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

// TestREADME_secrets: docs/kubernetes.md tells operators to create every Secret
// the Deployment mounts, with the keys it mounts.
func TestREADME_secrets(t *testing.T) {
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
