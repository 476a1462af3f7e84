package spec

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateRuntimeFilesProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want problem
	}{
		{"empty", minimal + "runtime:\n  files: ['']\n", problem{"4:11", "runtime.files[0]", "empty path", "relative to the build context"}},
		{"absolute", minimal + "runtime:\n  files: [/etc/app.yml]\n", problem{"4:11", "runtime.files[0]", "absolute path", "write it relative to the build context: etc/app.yml"}},
		{"dotdot out", minimal + "runtime:\n  files: [../config]\n", problem{"4:11", "runtime.files[0]", "goes through ..", "with no .."}},
		{"dotdot inside", minimal + "runtime:\n  files: [config/../migrations]\n", problem{"4:11", "runtime.files[0]", "goes through ..", "with no .."}},
		{"glob star", minimal + "runtime:\n  files: ['config/*.yml']\n", problem{"4:11", "runtime.files[0]", "globs are not supported", "list the files, or their directory"}},
		{"glob class", minimal + "runtime:\n  files: ['a[0-9]']\n", problem{"4:11", "runtime.files[0]", "globs are not supported", "their directory"}},
		{"whole context", minimal + "runtime:\n  files: [./]\n", problem{"4:11", "runtime.files[0]", "whole build context", "e.g. config"}},
		{"control", minimal + "runtime:\n  files: [\"a\\eb\"]\n", problem{"4:11", "runtime.files[0]", "U+001B, ESC", "printable"}},
		{"spaces", minimal + "runtime:\n  files: [' config']\n", problem{"4:11", "runtime.files[0]", "spaces around it", `write "config"`}},
		{"binary name", minimal + "runtime:\n  files: [server/app.yml]\n", problem{"4:11", "runtime.files[0]", "over /app/server, the binary of artifacts[0]", "rename"}},
		{"twice", minimal + "runtime:\n  files: [config, ./config]\n", problem{"4:19", "runtime.files[1]", "listed twice (also runtime.files[0])", "remove one"}},
		{"inside another", minimal + "runtime:\n  files: [config/app.yml, config]\n", problem{"4:27", "runtime.files[1]", "overlap", "list the directory alone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load("hardened.yaml", []byte(tc.src), WithLanguages("go"))
			if s != nil {
				t.Errorf("Load returned a spec with an error")
			}
			oneProblem(t, err, tc.want)
		})
	}
}

func TestValidateRuntimeFilesTooMany(t *testing.T) {
	var items []string
	for i := 0; i <= MaxRuntimeFiles; i++ {
		items = append(items, fmt.Sprintf("f%d", i))
	}
	src := minimal + "runtime:\n  files: [" + strings.Join(items, ", ") + "]\n"
	_, err := Load("hardened.yaml", []byte(src), WithLanguages("go"))
	oneProblem(t, err, problem{"4:10", "runtime.files", "101 paths; at most 100", "list the directory"})
}

// Every bad entry is reported at once, at its own position; good ones pass.
func TestValidateRuntimeFilesAllAtOnce(t *testing.T) {
	src := minimal + "runtime:\n  files: [config, /abs, 'x/*', migrations, config]\n"
	_, err := Load("hardened.yaml", []byte(src), WithLanguages("go"))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{"hardened.yaml:4:19: runtime.files[1]", "hardened.yaml:4:25: runtime.files[2]", "hardened.yaml:4:44: runtime.files[4]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), ": runtime.files["); n != 3 {
		t.Errorf("%d problems, want 3:\n%v", n, err)
	}
}

func TestValidateRuntimeFilesGood(t *testing.T) {
	s, err := Load("hardened.yaml", []byte(minimal+"runtime:\n  files: [config, ./migrations/, templates/index.html]\n"), WithLanguages("go"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.Runtime.Files {
		got = append(got, RuntimeFile(f))
	}
	if strings.Join(got, " ") != "config migrations templates/index.html" {
		t.Errorf("clean paths %q", got)
	}
}
