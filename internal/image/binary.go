package image

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// ErrNotStatic is the error of a binary that cannot run in an image
// without a base image: not a Linux executable, built for another
// architecture, or dynamically linked.
var ErrNotStatic = errors.New("not a static Linux executable")

// elfMachines are the ELF machines of the GOARCH values images are built for.
var elfMachines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"386":     elf.EM_386,
	"arm":     elf.EM_ARM,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"riscv64": elf.EM_RISCV,
	"loong64": elf.EM_LOONGARCH,
}

// CheckBinary tells whether the file at path runs in an image with nothing
// else in it on goarch: a Linux ELF executable for that architecture,
// without a dynamic loader or shared libraries. The errors wrap
// ErrNotStatic and say what is wrong.
func CheckBinary(path, goarch string) error {
	want, ok := elfMachines[goarch]
	if !ok {
		return fmt.Errorf("image: architecture %q is not supported", goarch)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", path, ErrNotStatic, fmt.Sprintf(format, args...))
	}
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer file.Close()
	magic := make([]byte, len(elf.ELFMAG))
	if _, err := io.ReadFull(file, magic); err != nil || string(magic) != elf.ELFMAG {
		return bad("not an ELF file (a script, or built for another OS?)")
	}
	f, err := elf.NewFile(file)
	if err != nil {
		return bad("malformed ELF file: %v", err)
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return bad("built for %s, not Linux", strings.TrimPrefix(f.OSABI.String(), "ELFOSABI_"))
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return bad("not an executable (%s)", f.Type)
	}
	if f.Machine != want {
		return bad("built for %s, not %s", strings.TrimPrefix(f.Machine.String(), "EM_"), goarch)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return bad("dynamically linked (built with cgo?); build it with CGO_ENABLED=0")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return bad("needs shared libraries %s; build it with CGO_ENABLED=0", strings.Join(libs, ", "))
	}
	return nil
}

// GoBuild builds the Go main package pkg (a directory such as ".", or an
// import path) as seen from the directory dir ("" for the working
// directory) into the static Linux executable out, for goarch:
// go build -trimpath [flags] with CGO_ENABLED=0, GOOS=linux and
// GOARCH=goarch. The go command's output is in the error.
func GoBuild(ctx context.Context, dir, pkg, out, goarch string, flags ...string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building %s needs the go command: %w", pkg, err)
	}
	args := append([]string{"build", "-trimpath", "-o", out}, flags...)
	cmd := exec.CommandContext(ctx, goTool, append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		where := pkg
		if dir != "" && pkg == "." {
			where = dir
		}
		return fmt.Errorf("building %s: %w\n%s", where, err, strings.TrimSpace(string(b)))
	}
	return nil
}
