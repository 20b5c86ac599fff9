package image

import (
	"debug/elf"
	"fmt"
)

// elfMachines maps GOARCH to the ELF machine of its executables.
var elfMachines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"arm":     elf.EM_ARM,
	"386":     elf.EM_386,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"riscv64": elf.EM_RISCV,
}

// CheckStatic returns an error unless path is a Linux ELF executable that
// needs no dynamic loader and no shared library, which an image without
// a libc requires (build with CGO_ENABLED=0), built for GOARCH arch (not
// checked for an architecture it does not know, or "").
func CheckStatic(path, arch string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("image: %s is not an ELF executable (build it with GOOS=linux): %w", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("image: %s is an ELF %s, not an executable", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("image: %s needs a dynamic loader (build it with CGO_ENABLED=0)", path)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("image: %s: %w", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("image: %s needs shared libraries %v (build it with CGO_ENABLED=0)", path, libs)
	}
	if want, ok := elfMachines[arch]; ok && f.Machine != want {
		return fmt.Errorf("image: %s is built for %s, not %s", path, f.Machine, arch)
	}
	return nil
}
