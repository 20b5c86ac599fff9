// The facade built and run with the configuration the Deployment gives it:
// its arguments and mounted files accepted, its probes answered, its drain
// timed as the Deployment's.

package kubernetes_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
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
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

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
