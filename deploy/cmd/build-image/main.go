// Command build-image builds the facade's container image from a static
// binary, with no registry and no container daemon, and writes it as a
// docker-archive tarball (docker load, podman load, crane push) and as an
// OCI image layout (skopeo copy oci:DIR:TAG). `make image` runs it; see
// package image for what the image holds.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/devenv-facade/devenv-facade/deploy/image"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "build-image: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("build-image", flag.ContinueOnError)
	binary := fs.String("binary", "", "the facade built with CGO_ENABLED=0 GOOS=linux GOARCH=<arch> (required)")
	arch := fs.String("arch", "", "GOARCH the binary was built for (required)")
	version := fs.String("version", "", "version label (org.opencontainers.image.version)")
	revision := fs.String("revision", "", "git commit label (org.opencontainers.image.revision)")
	created := fs.String("created", "0", "creation time and file times, in seconds since 1970 (SOURCE_DATE_EPOCH; the commit time keeps builds reproducible)")
	tag := fs.String("tag", "devenv-facade:dev", "name:tag of the image in the tarball and the OCI layout")
	tarPath := fs.String("tar", "", "write a docker-archive tarball here")
	ociDir := fs.String("oci", "", "write an OCI image layout into this directory (replacing it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *binary == "" || *arch == "" {
		return errors.New("-binary and -arch are required")
	}
	if *tarPath == "" && *ociDir == "" {
		return errors.New("give -tar, -oci or both")
	}
	secs, err := strconv.ParseInt(*created, 10, 64)
	if err != nil || secs < 0 {
		return fmt.Errorf("-created %q: want seconds since 1970", *created)
	}
	img, err := image.Build(image.Config{
		Binary: *binary, Arch: *arch, Version: *version, Revision: *revision,
		Created: time.Unix(secs, 0),
	})
	if err != nil {
		return err
	}
	if *tarPath != "" {
		if err := image.WriteTarball(img, *tarPath, *tag); err != nil {
			return err
		}
	}
	if *ociDir != "" {
		if err := image.WriteLayout(img, *ociDir, *tag); err != nil {
			return err
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	size, err := image.CompressedSize(img)
	if err != nil {
		return err
	}
	fmt.Printf("%s linux/%s %s, %.1f MiB compressed\n", *tag, *arch, digest, float64(size)/(1<<20))
	for _, out := range []string{*tarPath, *ociDir} {
		if out != "" {
			fmt.Printf("  %s\n", out)
		}
	}
	return nil
}
