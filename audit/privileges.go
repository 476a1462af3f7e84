package audit

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
)

// xattrCapability is the extended attribute that carries a file's capabilities.
const xattrCapability = "security.capability"

func special(m fs.FileMode) bool { return m&(fs.ModeSetuid|fs.ModeSetgid) != 0 }

func checkSetuid(f *facts) outcome {
	var ev []Evidence
	for _, e := range f.files {
		if special(e.Mode) {
			ev = append(ev, f.fileEvidence(e.Path, "%s", modeString(e)))
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s with setuid or setgid bits", plural(len(ev), "file", "files"))
	}
	return pass("no setuid or setgid file")
}

func checkSetuidLayers(f *facts) outcome {
	var ev []Evidence
	for i, entries := range f.layers.entries {
		for _, e := range entries {
			if e.Whiteout || e.Opaque || !special(e.Mode) {
				continue
			}
			if o, ok := f.layers.origin[e.Path]; ok && o == i {
				continue // the final version: HX-PRIV-SETUID's business
			}
			what := "deleted in a later layer"
			if _, ok := f.layers.origin[e.Path]; ok {
				what = "replaced in a later layer"
			}
			ev = append(ev, Evidence{Path: e.Path, Layer: f.layers.ref(i), Detail: fmt.Sprintf("mode %s, %s", lsMode(e.Mode), what)})
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s in lower layers, cleared above", plural(len(ev), "setuid/setgid file", "setuid/setgid files"))
	}
	return pass("no layer ships a setuid or setgid file")
}

func checkFileCapabilities(f *facts) outcome {
	var ev []Evidence
	for _, e := range f.files {
		if v, ok := e.Xattrs[xattrCapability]; ok {
			ev = append(ev, f.fileEvidence(e.Path, "file capabilities %s", describeCapabilities(v)))
		}
	}
	if len(ev) > 0 {
		return failed(ev, "%s with file capabilities", plural(len(ev), "file", "files"))
	}
	return pass("no file capabilities")
}

// capabilityNames are Linux capabilities by bit number.
var capabilityNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

// describeCapabilities decodes a vfs_cap_data value into cap_x,cap_y+ep form.
func describeCapabilities(v []byte) string {
	if len(v) < 12 {
		return fmt.Sprintf("(%d bytes, unreadable)", len(v))
	}
	magic := binary.LittleEndian.Uint32(v[0:4])
	permitted := uint64(binary.LittleEndian.Uint32(v[4:8]))
	if len(v) >= 20 {
		permitted |= uint64(binary.LittleEndian.Uint32(v[12:16])) << 32
	}
	var names []string
	for bit := 0; bit < 64; bit++ {
		if permitted&(1<<bit) == 0 {
			continue
		}
		if bit < len(capabilityNames) {
			names = append(names, "cap_"+capabilityNames[bit])
		} else {
			names = append(names, fmt.Sprintf("cap_%d", bit))
		}
	}
	flags := "+p"
	if magic&1 != 0 {
		flags = "+ep"
	}
	if len(names) == 0 {
		return "(none permitted)"
	}
	return strings.Join(names, ",") + flags
}

// escalationTools switch users.
var escalationTools = []string{"sudo", "sudoedit", "su", "doas", "pkexec"}

func checkEscalationTools(f *facts) outcome {
	found := f.findTools(escalationTools)
	if len(found) > 0 {
		return failed(f.toolEvidence(found), "%s", plural(len(found), "user-switching tool", "user-switching tools"))
	}
	return pass("no sudo, su, doas or pkexec")
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
