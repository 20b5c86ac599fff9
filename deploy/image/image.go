// Package image builds the facade's container image from scratch, without a
// registry, a base image or a container daemon.
//
// The image holds two layers and nothing else: the Mozilla root
// certificates (from the Go module golang.org/x/crypto/x509roots/fallback,
// pinned by go.sum, so every build machine produces the same file) at
// /etc/ssl/certs/ca-certificates.crt, and the statically linked facade at
// /usr/local/bin/devenv-facade. There is no shell, no package manager, no
// /etc/passwd: the image runs as the numeric user 65532:65532. Every file
// time is the image's creation time, so the same binary and time give the
// same image digest.
//
// The image listens on all interfaces (0.0.0.0:9090 gRPC, 0.0.0.0:8080 REST,
// 0.0.0.0:8081 admin) through the facade's environment variables; the
// facade refuses to start that way until the operator adds caller
// authentication (--caller-tokens-file or --client-ca), --credentials
// none, or --insecure.
package image

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Where things are in the image, and who runs it.
const (
	// BinaryPath is the facade, the image's entry point.
	BinaryPath = "/usr/local/bin/devenv-facade"
	// CertsPath is the CA bundle, where Go's crypto/x509 looks first on
	// Linux.
	CertsPath = "/etc/ssl/certs/ca-certificates.crt"
	// User is the numeric user and group the facade runs as (the
	// "nonroot" user of distroless images); no /etc/passwd names it.
	User = "65532:65532"
)

// Ports are the facade's listeners in the image: gRPC, the REST mirror and
// the admin listener (health, readiness, metrics).
var Ports = map[string]int{"grpc": 9090, "http": 8080, "admin": 8081}

// Env is the image's environment: every listener on all interfaces, as a
// container needs (the default, 127.0.0.1, is unreachable from outside the
// container's network namespace).
var Env = []string{
	"DEVENV_FACADE_GRPC_ADDR=0.0.0.0:9090",
	"DEVENV_FACADE_HTTP_ADDR=0.0.0.0:8080",
	"DEVENV_FACADE_ADMIN_ADDR=0.0.0.0:8081",
}

// Config says what to build.
type Config struct {
	// Binary is the path of the facade built for linux/Arch with
	// CGO_ENABLED=0. Build checks that it is a static Linux executable.
	Binary string
	// Arch is the GOARCH the binary was built for: amd64, arm64, ...
	Arch string
	// Version and Revision label the image (the release version and the
	// git commit).
	Version, Revision string
	// Created is the image's creation time and every file's modification
	// time; the commit time keeps builds reproducible.
	Created time.Time
}

// Build assembles the image.
func Build(cfg Config) (v1.Image, error) {
	if cfg.Arch == "" {
		return nil, errors.New("image: no architecture given")
	}
	if err := CheckStatic(cfg.Binary, cfg.Arch); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	certs, _, err := CABundle()
	if err != nil {
		return nil, err
	}
	created := cfg.Created.UTC().Truncate(time.Second)
	certLayer, err := layer([]file{{name: CertsPath, mode: 0o644, data: certs}}, created)
	if err != nil {
		return nil, fmt.Errorf("image: CA certificates layer: %w", err)
	}
	binLayer, err := layer([]file{{name: BinaryPath, mode: 0o755, data: bin}}, created)
	if err != nil {
		return nil, fmt.Errorf("image: binary layer: %w", err)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: certLayer, MediaType: types.OCILayer, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "deploy/image: " + CertsPath + " (Mozilla roots from golang.org/x/crypto/x509roots/fallback)",
		}},
		mutate.Addendum{Layer: binLayer, MediaType: types.OCILayer, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "deploy/image: " + BinaryPath + " (CGO_ENABLED=0)",
		}},
	)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = cfg.Arch, "linux"
	cf.Created = v1.Time{Time: created}
	ports := map[string]struct{}{}
	for _, p := range Ports {
		ports[fmt.Sprintf("%d/tcp", p)] = struct{}{}
	}
	cf.Config = v1.Config{
		Entrypoint:   []string{BinaryPath},
		User:         User,
		Env:          append([]string(nil), Env...),
		ExposedPorts: ports,
		WorkingDir:   "/",
		StopSignal:   "SIGTERM",
		Labels: map[string]string{
			"org.opencontainers.image.title":       "devenv-facade",
			"org.opencontainers.image.description": "gRPC and REST facade over the ModelArts DevEnviron API",
			"org.opencontainers.image.source":      "https://github.com/devenv-facade/devenv-facade",
			"org.opencontainers.image.licenses":    "Apache-2.0",
			"org.opencontainers.image.version":     cfg.Version,
			"org.opencontainers.image.revision":    cfg.Revision,
			"org.opencontainers.image.created":     created.Format(time.RFC3339),
		},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}

// CABundle returns the PEM bundle the image carries and how many
// certificates it holds: the roots of Mozilla's NSS store as Go's
// fallback bundle has them, less those with constraints a PEM file cannot
// express (a "distrust after" date): trusting those without the date
// would trust what Mozilla no longer does.
func CABundle() ([]byte, int, error) {
	var b bytes.Buffer
	n := 0
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, 0, fmt.Errorf("image: CA bundle: %w", err)
		}
		n++
	}
	if n == 0 {
		return nil, 0, errors.New("image: the fallback bundle has no unconstrained root")
	}
	return b.Bytes(), n, nil
}

// file is a regular file of a layer.
type file struct {
	name string // absolute path in the image
	mode int64
	data []byte
}

// layer returns a layer holding files and their parent directories, all
// owned by root and dated created, in a fixed order.
func layer(files []file, created time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		rel := strings.TrimPrefix(f.name, "/")
		var dirs []string
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			dirs = append([]string{d}, dirs...)
		}
		for _, d := range dirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: created, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: f.mode, Size: int64(len(f.data)), ModTime: created, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// CompressedSize is what pushing img transfers: its manifest, its config
// and its compressed layers.
func CompressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, fmt.Errorf("image: %w", err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, fmt.Errorf("image: %w", err)
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}
