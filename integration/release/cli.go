package release

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildCLI cross-compiles the hardened CLI for every CLIPlatforms entry into dist, checks each binary's format
// and machine, and writes SHA256SUMS (the format `sha256sum -c` reads). The flags are the frontend image's.
func BuildCLI(ctx context.Context, root, dist, version string) ([]string, error) {
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return nil, err
	}
	var files []string
	var sums strings.Builder
	for _, p := range CLIPlatforms {
		goos, goarch, _ := strings.Cut(p, "/")
		out := filepath.Join(dist, cliName(version, goos, goarch))
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, "./cmd/hardened")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/hardened for %s: %w\n%s", p, err, b)
		}
		if err := CheckBinary(out, goos, goarch); err != nil {
			return nil, err
		}
		sum, err := fileSHA256(out)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&sums, "%s  %s\n", sum, filepath.Base(out))
		files = append(files, out)
	}
	return files, os.WriteFile(filepath.Join(dist, "SHA256SUMS"), []byte(sums.String()), 0o644)
}

var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "arm": elf.EM_ARM,
	"s390x": elf.EM_S390, "ppc64le": elf.EM_PPC64, "riscv64": elf.EM_RISCV, "386": elf.EM_386,
}

var machoCPUs = map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}

// CheckBinary says whether file is an executable for goos/goarch: ELF of the right machine (and byte order,
// which tells ppc64le from ppc64) on Linux, Mach-O of the right CPU on macOS.
func CheckBinary(file, goos, goarch string) error {
	switch goos {
	case "linux":
		f, err := elf.Open(file)
		if err != nil {
			return fmt.Errorf("%s: not an ELF file for linux/%s: %w", file, goarch, err)
		}
		defer f.Close()
		want, ok := elfMachines[goarch]
		if !ok {
			return fmt.Errorf("%s: no ELF machine known for %s", file, goarch)
		}
		if f.Machine != want || f.Type != elf.ET_EXEC {
			return fmt.Errorf("%s: ELF %s %s, want %s executable for linux/%s", file, f.Type, f.Machine, want, goarch)
		}
		if goarch == "ppc64le" && f.Data != elf.ELFDATA2LSB {
			return fmt.Errorf("%s: big-endian ELF, want little-endian for ppc64le", file)
		}
		return nil
	case "darwin":
		f, err := macho.Open(file)
		if err != nil {
			return fmt.Errorf("%s: not a Mach-O file for darwin/%s: %w", file, goarch, err)
		}
		defer f.Close()
		if f.Cpu != machoCPUs[goarch] || f.Type != macho.TypeExec {
			return fmt.Errorf("%s: Mach-O %s type %d, want %s executable", file, f.Cpu, f.Type, machoCPUs[goarch])
		}
		return nil
	}
	return fmt.Errorf("%s: no binary format known for %s", file, goos)
}

func fileSHA256(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
