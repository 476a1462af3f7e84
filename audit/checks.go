package audit

// registry is every check, in report order; each check's function lives in the file of its
// concern (user.go, privileges.go, minimality.go, secrets.go, config.go, supplychain.go,
// scannability.go). Catalogue numbers are those of the research catalogue; a check without one
// is an addition to it.
var registry = []Check{
	// Identity and privilege.
	{
		ID: "HX-USER-ROOT", Catalogue: "HX-USR-001", Title: "Non-root user", Severity: High,
		Rationale: "A process running as uid 0 is root to the host kernel: one container escape or writable host mount from owning the node.",
		Mappings:  Mappings{CIS: []string{"4.1"}, Dockle: []string{"CIS-DI-0001"}, Hadolint: []string{"DL3002"}, Trivy: []string{"DS-0002"}},
		How:       "config.User, resolved as a runtime does: empty, `root`, `0`, `0:*`, `root:*` and any name /etc/passwd maps to uid 0 fail; so does a name that does not resolve.",
		run:       checkUserRoot,
	},
	{
		ID: "HX-USER-NUMERIC", Catalogue: "HX-USR-002", Title: "Numeric user", Severity: Medium,
		Rationale: "Kubernetes runAsNonRoot can only verify a numeric USER; with a user name the pod is refused at start.",
		Mappings:  Mappings{Hadolint: []string{"DL3066"}},
		How:       "config.User must be `UID` or `UID:GID` in digits.",
		run:       checkUserNumeric,
	},
	{
		ID: "HX-USER-GROUP", Catalogue: "HX-USR-003", Title: "Non-root primary group", Severity: Medium,
		Rationale: "A process in group 0 can write every file left group-writable for root's group, and many images leave plenty.",
		How:       "The runtime gid: the group in config.User, else the user's primary group in /etc/passwd, else 0 (what runtimes use when the uid has no passwd entry). Gid 0 fails.",
		run:       checkUserGroup,
	},
	{
		ID: "HX-USER-ACCOUNT", Catalogue: "HX-USR-004", Title: "Runtime user has an account and no login shell", Severity: Low,
		Rationale: "Without a passwd entry, programs that look the user up fail; with a login shell, the account invites interactive use.",
		How:       "The runtime uid has an /etc/passwd entry whose shell is /sbin/nologin, /usr/sbin/nologin or /bin/false.",
		run:       checkUserAccount,
	},
	{
		ID: "HX-USER-PASSWORD", Catalogue: "HX-USR-005", Title: "No empty passwords", Severity: High,
		Rationale: "An account with an empty password lets anyone with a shell become it.",
		Mappings:  Mappings{Dockle: []string{"DKL-LI-0001"}},
		How:       "Empty password fields in /etc/passwd and /etc/shadow.",
		run:       checkEmptyPasswords,
	},
	{
		ID: "HX-USER-UNIQUE", Catalogue: "HX-USR-006", Title: "Unique users and groups", Severity: Low,
		Rationale: "Two accounts with one uid share every file and permission, whatever their names say.",
		Mappings:  Mappings{Dockle: []string{"DKL-LI-0002"}},
		How:       "Duplicate uids and user names in /etc/passwd, duplicate gids and group names in /etc/group.",
		run:       checkUniqueIDs,
	},
	{
		ID: "HX-PRIV-SETUID", Catalogue: "HX-PRIV-001", Title: "No setuid/setgid files", Severity: High,
		Rationale: "A setuid or setgid file runs with its owner's or group's privileges whoever starts it: the classic path from a shell to root.",
		Mappings:  Mappings{CIS: []string{"4.8"}, Dockle: []string{"CIS-DI-0008"}},
		How:       "Every entry of the merged filesystem with the setuid or setgid bit (files and directories); evidence names the layer that wrote it.",
		run:       checkSetuid,
	},
	{
		ID: "HX-PRIV-SETUID-LAYERS", Title: "No setuid/setgid files left in lower layers", Severity: Info, NeedsLayers: true,
		Rationale: "Bits cleared by an upper layer are gone at run time, but the lower layer's blob still ships the setuid file to whoever unpacks it.",
		Mappings:  Mappings{CIS: []string{"4.8"}},
		How:       "Setuid/setgid entries of a layer whose path a later layer replaced or deleted, such as a base's binaries after the build cleared their bits. Needs layer data.",
		run:       checkSetuidLayers,
	},
	{
		ID: "HX-PRIV-CAPS", Catalogue: "HX-PRIV-002", Title: "No file capabilities", Severity: High,
		Rationale: "A file capability grants kernel privileges (CAP_NET_RAW, CAP_SYS_ADMIN, ...) to whoever runs the file: setuid without the bit.",
		How:       "The security.capability extended attribute (PAX `SCHILY.xattr.security.capability` in a layer tar); evidence decodes it (`cap_net_raw+ep`).",
		run:       checkFileCapabilities,
	},
	{
		ID: "HX-PRIV-ESCALATION", Catalogue: "HX-PRIV-003", Title: "No sudo, su or doas", Severity: High,
		Rationale: "Tools that switch users only serve someone who wants to become another user.",
		Mappings:  Mappings{Dockle: []string{"DKL-DI-0001"}, Hadolint: []string{"DL3004"}, Trivy: []string{"DS-0010"}},
		How:       "Executables or links named sudo, sudoedit, su, doas or pkexec.",
		run:       checkEscalationTools,
	},
	{
		ID: "HX-PRIV-WORLD-WRITABLE", Catalogue: "HX-PRIV-004", Title: "No world-writable files", Severity: High,
		Rationale: "Every user of the container can change a world-writable file; a world-writable directory without the sticky bit lets any user replace others' files.",
		How: "Files (not links) writable by others, and world-writable directories without the sticky bit: medium. In the application " +
			"(/app, and the entrypoint's directory and the workdir unless a system, scratch or home directory, or a package's), " +
			"any group or other write bit, sticky directories included, and any device, FIFO or socket: high.",
		run: checkWorldWritable,
	},
	{
		ID: "HX-PRIV-APP-WRITABLE", Catalogue: "HX-PRIV-005", Title: "Application not writable by its own user", Severity: High,
		Rationale: "If the runtime user can rewrite its executables, an exploited process can persist; root-owned read-only files make a read-only root filesystem meaningful.",
		How: "In the application (/app, and the entrypoint's directory and the workdir unless a system, scratch or home directory, " +
			"or a package's; the entrypoint itself): every file and directory the runtime uid owns writable, with a group or other " +
			"write bit, or a device, FIFO or socket: high. Elsewhere, executables the runtime uid or gid may write (home, /tmp, /run excepted): low.",
		run: checkAppWritable,
	},

	// Minimality.
	{
		ID: "HX-MIN-SHELL", Catalogue: "HX-MIN-001", Title: "No shell", Severity: Medium,
		Rationale: "A shell turns a code-execution bug into an interactive foothold; a service started in exec form needs none.",
		Mappings:  Mappings{CIS: []string{"4.3"}},
		How:       "Executables, or links in a bin directory, named sh, bash, ash, dash, zsh, ksh, mksh, csh, tcsh, fish, yash, busybox or toybox.",
		run:       checkShell,
	},
	{
		ID: "HX-MIN-PKG-MANAGER", Catalogue: "HX-MIN-002", Title: "No package manager", Severity: Medium,
		Rationale: "A package manager lets an intruder install tools at run time, and carries its own attack surface.",
		Mappings:  Mappings{CIS: []string{"4.3"}},
		How:       "apt, apt-get, aptitude, dpkg, apk, rpm, dnf, yum, microdnf, tdnf, zypper, pacman, pip, pip3, npm, yarn, pnpm, gem.",
		run:       checkPackageManager,
	},
	{
		ID: "HX-MIN-NETWORK-TOOLS", Catalogue: "HX-MIN-003", Title: "No network or debugging tools", Severity: Medium,
		Rationale: "curl, wget and nc fetch an attack's next stage; strace and gdb read other processes.",
		Mappings:  Mappings{CIS: []string{"4.3"}, Hadolint: []string{"DL3001"}},
		How:       "curl, wget, nc, ncat, netcat, socat, ssh, scp, sftp, telnet, ftp, tftp, strace, ltrace, gdb, tcpdump, nmap. A file at /hardened/probe (healthcheck.http) passes only as the build's probe: root's, not writable by others, no setuid/setgid, at most 2 MB, with Go build info naming github.com/hardenedbuild/hardened/cmd/hardened-probe.",
		run:       checkNetworkTools,
	},
	{
		ID: "HX-MIN-COMPILERS", Catalogue: "HX-MIN-004", Title: "No compilers or build tools", Severity: Low,
		Rationale: "A compiler in a runtime image builds exploits in place and carries a toolchain's worth of CVEs.",
		Mappings:  Mappings{CIS: []string{"4.3"}},
		How:       "gcc, cc, c++, g++, clang, clang++, tcc, go, rustc, cargo, javac, make, cmake, ld, as.",
		run:       checkCompilers,
	},
	{
		ID: "HX-MIN-LEFTOVERS", Catalogue: "HX-MIN-005", Title: "No caches or build leftovers", Severity: Medium,
		Rationale: "Package lists, caches, .git directories and editor files add size and scanner noise, and leak source, history or credentials.",
		Mappings: Mappings{
			Dockle:   []string{"DKL-LI-0003", "DKL-DI-0004", "DKL-DI-0005"},
			Hadolint: []string{"DL3009", "DL3019", "DL3042", "DL3060"},
			Trivy:    []string{"DS-0015", "DS-0019", "DS-0020", "DS-0025", "DS-0027"},
		},
		How: "Directories .git, .svn, .hg, .cache, .npm, .yarn, .aws, .azure, .gcloud, .vscode, .idea (outside node_modules, vendor, site-packages); files Dockerfile, docker-compose.y(a)ml, .DS_Store, .vimrc, .viminfo, shell and interpreter histories; package lists and caches under /var/lib/apt/lists, /var/cache/{apt,apk,yum,dnf,zypp}.",
		run: checkLeftovers,
	},
	{
		ID: "HX-MIN-SIZE", Catalogue: "HX-MIN-006", Title: "Size and layer budget", Severity: Low,
		Rationale: "Every layer and megabyte is pulled onto every node; an image over budget usually ships something it does not need.",
		How:       "The size (files of every layer, else of the merged filesystem) against --max-size (default 1 GB) and the layer count against --max-layers (default 20).",
		run:       checkSize,
	},

	// Secrets.
	{
		ID: "HX-SEC-ENV", Catalogue: "HX-SEC-001", Title: "No secrets in ENV", Severity: High,
		Rationale: "ENV values are readable by anyone who can pull the image or inspect a container.",
		Mappings:  Mappings{CIS: []string{"4.10"}, Dockle: []string{"CIS-DI-0010"}, Hadolint: []string{"DL3064"}, Trivy: []string{"DS-0031"}},
		How:       "config.Env: names that say secret (PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, CREDENTIAL(S), API_KEY, ACCESS_KEY, SECRET_KEY, PRIVATE_KEY, CLIENT/AUTH/SIGNING/ENCRYPTION/MASTER_KEY as a word; not GPG_KEY(S) nor names ending _FILE, _PATH, _DIR, _URL, _URI, ...) with a value that is not a path, and values holding a known token format or a URL with a password. Values are never printed.",
		run:       checkSecretEnv,
	},
	{
		ID: "HX-SEC-HISTORY", Catalogue: "HX-SEC-002", Title: "No secrets in history or labels", Severity: High,
		Rationale: "Build arguments, ENV lines and labels are recorded in the image config, which ships with the image.",
		Mappings:  Mappings{CIS: []string{"4.10"}, Dockle: []string{"CIS-DI-0010"}},
		How:       "history[].created_by: ENV, ARG and LABEL assignments and the `|N NAME=value` build-argument prefix of RUN steps, by the same name rules; token formats anywhere in the line; token formats in label values.",
		run:       checkSecretHistory,
	},
	{
		ID: "HX-SEC-FILES", Catalogue: "HX-SEC-003", Title: "No credential files", Severity: High,
		Rationale: "Keys, credential stores and dotfiles holding tokens (.netrc, .git-credentials, .docker/config.json) go to everyone who pulls the image.",
		Mappings:  Mappings{CIS: []string{"4.10"}, Dockle: []string{"CIS-DI-0010"}},
		How:       "Files by name (id_rsa, id_ed25519, .git-credentials, .netrc, .pgpass, credentials.json, .env, .htpasswd, ...), extension (.p12, .pfx, .jks, .kdbx, .ovpn, .keychain, ...) and path (.aws/credentials, gcloud credentials; .docker/config.json, .npmrc, .pypirc, .kube/config and .git/config only when they hold credentials).",
		run:       checkSecretFiles,
	},
	{
		ID: "HX-SEC-CONTENT", Catalogue: "HX-SEC-004", Title: "No secrets in file contents", Severity: High,
		Rationale: "Private keys and API tokens embedded in files are as public as the image.",
		Mappings:  Mappings{CIS: []string{"4.10"}},
		How: "Text files up to 1 MB (binaries, documentation, test data, Go test files and Go toolchains skipped) for private-key blocks " +
			"with a key body and the documented formats of AWS, GitHub, GitLab, Slack, Stripe, Google, npm, PyPI and OpenAI tokens; the example " +
			"credentials issuers publish are allowed (audit/examples.go, each with its source: AWS's two documented key pairs, and AWS key ids " +
			"ending in EXAMPLE, as gitleaks and trivy allow them). With layer data the final version of each file is searched as it streams; " +
			"without, the merged filesystem is read (at most 256 MB).",
		run: checkSecretContent,
	},
	{
		ID: "HX-SEC-LAYERS", Catalogue: "HX-SEC-005", Title: "No secrets in any layer", Severity: High, NeedsLayers: true,
		Rationale: "A secret added in one layer and deleted in a later one is still in the first layer's blob, which every pull downloads.",
		Mappings:  Mappings{CIS: []string{"4.10"}},
		How:       "The same file and content rules on every file of every layer, reporting what a later layer deleted or replaced: the secret is gone from the container but not from the image. Needs layer data.",
		run:       checkSecretLayers,
	},

	// Config and runtime contract.
	{
		ID: "HX-CONFIG-HEALTHCHECK", Catalogue: "HX-CFG-001", Title: "HEALTHCHECK defined", Severity: Low,
		Rationale: "Without a healthcheck a hung service looks healthy to Docker and Swarm; an exec-form check needs no shell.",
		Mappings:  Mappings{CIS: []string{"4.6"}, Dockle: []string{"CIS-DI-0006"}, Hadolint: []string{"DL3057"}, Trivy: []string{"DS-0026"}},
		How:       "config.Healthcheck is set, not NONE, in exec form (CMD, not CMD-SHELL), and its command is an executable in the image.",
		run:       checkHealthcheck,
	},
	{
		ID: "HX-CONFIG-ENTRYPOINT", Catalogue: "HX-CFG-002", Title: "Exec-form entrypoint", Severity: High,
		Rationale: "An exec-form entrypoint that exists in the image starts the service as PID 1 without a shell, so it gets signals and the image needs no shell.",
		Mappings:  Mappings{Hadolint: []string{"DL3025"}},
		How:       "ENTRYPOINT then CMD is not empty, is not a shell with -c, and its first word is an executable file in the image (absolute, or found on the config's PATH; links followed inside the image).",
		run:       checkEntrypoint,
	},
	{
		ID: "HX-CONFIG-PATHS", Catalogue: "HX-CFG-003", Title: "Volumes and workdir off system paths", Severity: Medium,
		Rationale: "A volume over /dev, /proc or /sys exposes the host's; a relative or system workdir puts the service's writes in the wrong place.",
		Mappings:  Mappings{Dockle: []string{"DKL-DI-0002"}, Trivy: []string{"DS-0009", "DS-0030"}},
		How:       "No VOLUME on /dev, /proc, /sys or /; WORKDIR absolute and not /bin, /sbin, /usr/bin, /usr/sbin, /lib, /lib64, /usr/lib, /etc, /dev, /proc, /sys or /boot.",
		run:       checkPaths,
	},
	{
		ID: "HX-CONFIG-PORTS", Catalogue: "HX-CFG-004", Title: "Exposed ports valid, no SSH", Severity: Medium,
		Rationale: "Port 22 means an SSH server, which a container should not run; a port out of range is a mistake.",
		Mappings:  Mappings{Hadolint: []string{"DL3011"}, Trivy: []string{"DS-0004", "DS-0008"}},
		How:       "Exposed ports (and ranges) within 1-65535, and no 22/tcp.",
		run:       checkPorts,
	},
	{
		ID: "HX-CONFIG-LABELS", Catalogue: "HX-CFG-005", Title: "OCI labels", Severity: Low,
		Rationale: "source, revision, version and licenses let an auditor trace an image to its code and its terms.",
		Mappings:  Mappings{Hadolint: []string{"DL3048", "DL3049"}},
		How:       "org.opencontainers.image.source (a URL), .revision (a commit hash), .version and .licenses are set; .created, when set, is RFC 3339.",
		run:       checkLabels,
	},
	{
		ID: "HX-CONFIG-RUNTIME", Catalogue: "HX-CFG-006", Title: "No ONBUILD; valid stop signal and platform", Severity: Low,
		Rationale: "ONBUILD runs hidden steps in whatever builds FROM the image; a wrong stop signal or platform breaks shutdown or pulls.",
		Mappings:  Mappings{Hadolint: []string{"DL3043"}},
		How:       "No ONBUILD triggers; StopSignal, when set, is a signal; the config names an os and an architecture.",
		run:       checkRuntime,
	},
	{
		ID: "HX-CONFIG-REPRODUCIBLE", Catalogue: "HX-CFG-007", Title: "Reproducible timestamps", Severity: Low,
		Rationale: "With the created time and file times clamped to SOURCE_DATE_EPOCH, a rebuild gives the same digest and proves what went in.",
		How:       "created is set; no history entry and no file (in any layer, else in the merged filesystem) is newer than created, as with SOURCE_DATE_EPOCH and rewrite-timestamp.",
		run:       checkReproducible,
	},

	// Supply chain.
	{
		ID: "HX-SUPPLY-BASE", Catalogue: "HX-SUP-001", Title: "Base pinned by digest", Severity: Medium,
		Rationale: "A base named by tag can change under you; the base.digest label records exactly which base the image was built on.",
		Mappings:  Mappings{CIS: []string{"4.2"}, Dockle: []string{"DKL-DI-0006"}, Hadolint: []string{"DL3006", "DL3007"}, Trivy: []string{"DS-0001"}},
		How:       "Labels org.opencontainers.image.base.name and .base.digest: the digest is set and well formed (scratch needs none), agrees with a digest in base.name, and with --only-added BASE equals BASE's manifest or index digest and BASE's layers are the image's bottom layers.",
		run:       checkBaseDigest,
	},
	{
		ID: "HX-SUPPLY-EOL", Title: "Base and runtimes still supported", Severity: High,
		Rationale: "A release past its end of life gets no security fixes: every vulnerability found after that day stays in the image for good.",
		How: "The lifecycle table (lifecycle/table.go, each row with its upstream source) on the report's day, for: the OS generation from /etc/os-release (ID=debian and VERSION_ID; PRETTY_NAME=\"Distroless\" makes it the distroless release, a nodejs, python3 or java image by /nodejs/bin/node, /usr/bin/python3.N or /usr/lib/jvm/*, else by the base label); " +
			"the distroless image the org.opencontainers.image.base.name label names; and each Node.js, Python and Java runtime: for every executable named node, its install's include/node/node_version.h, else the node.js/vX.Y.Z or process.version string in the binary (read 4 MB at a time, whatever its size; see Memory); pythonX.Y interpreters and lib/pythonX.Y standard libraries; " +
			"JAVA_VERSION in a JDK or JRE home's release file (JAVA_HOME, /usr/lib/jvm/*, /opt/java/openjdk, each java binary's home); dpkg entries nodejs, pythonX.Y(-minimal), openjdk-N-jre. " +
			"Files and packages Debian maintains (a version with a Debian revision, or files a package owns) follow the Debian release instead. The day is the report's (SOURCE_DATE_EPOCH in a build and in `hardened check` when set). Past end of life fails; within 90 days it warns (low).",
		run: checkEndOfLife,
	},
	{
		ID: "HX-SUPPLY-ADD", Catalogue: "HX-SUP-004", Title: "COPY, not ADD", Severity: Low,
		Rationale: "ADD fetches URLs and unpacks archives implicitly; a remote ADD without --checksum trusts whatever the server returns.",
		Mappings:  Mappings{CIS: []string{"4.9"}, Dockle: []string{"CIS-DI-0009"}, Hadolint: []string{"DL3020"}, Trivy: []string{"DS-0005"}},
		How:       "ADD steps in the history after the base's root filesystem: a remote source without --checksum, or a local one where COPY would do.",
		run:       checkAdd,
	},
	{
		ID: "HX-SUPPLY-UPDATES", Catalogue: "HX-SUP-005", Title: "No update alone, no dist-upgrade", Severity: Low,
		Rationale: "update alone bakes stale package lists into a layer; dist-upgrade installs whatever is current, so two builds differ.",
		Mappings:  Mappings{CIS: []string{"4.7"}, Dockle: []string{"CIS-DI-0007", "DKL-DI-0003"}, Trivy: []string{"DS-0017", "DS-0024"}},
		How:       "`apt-get|apt|apk update` (or `zypper refresh`) not followed by an install in the same step, and `dist-upgrade`/`full-upgrade`.",
		run:       checkUpdates,
	},
	{
		ID: "HX-SUPPLY-VERIFIED", Catalogue: "HX-SUP-006", Title: "Only verified downloads", Severity: Medium,
		Rationale: "Turning off signature or TLS checks during the build lets anyone on the network path swap a package.",
		Mappings:  Mappings{CIS: []string{"4.11"}},
		How:       "Steps with --allow-unauthenticated, --allow-insecure-repositories, `[trusted=yes]`, --nogpgcheck or gpgcheck=0, --allow-untrusted, --no-check-certificate, `curl -k`/`--insecure`, pip --trusted-host, strict-ssl false, GIT_SSL_NO_VERIFY, NODE_TLS_REJECT_UNAUTHORIZED=0.",
		run:       checkVerifiedDownloads,
	},
	{
		ID: "HX-SUPPLY-SBOM", Catalogue: "HX-SUP-007", Title: "SBOM attached", Severity: Low,
		Rationale: "An attached SBOM tells scanners and auditors what the image contains without unpacking it.",
		How:       "An attestation manifest for the image in its index with an SPDX or CycloneDX predicate. Skipped when the source has no index (a docker save tarball, a single manifest, a build in progress).",
		run:       checkSBOM,
	},
	{
		ID: "HX-SUPPLY-PROVENANCE", Catalogue: "HX-SUP-008", Title: "Provenance attached", Severity: Low,
		Rationale: "SLSA provenance records how, and from which sources and bases, the image was built.",
		How:       "The same, with a SLSA provenance predicate (v0.2 or v1).",
		run:       checkProvenance,
	},

	// Scannability.
	{
		ID: "HX-SCAN-OS", Catalogue: "HX-SCAN-001", Title: "OS identifiable", Severity: Medium,
		Rationale: "Without /etc/os-release (and /etc/debian_version or /etc/alpine-release) scanners detect no OS and silently report no OS vulnerabilities.",
		How:       "/etc/os-release (or /usr/lib/os-release) with ID and VERSION_ID; for Debian and derivatives /etc/debian_version, for Alpine /etc/alpine-release. An image with no OS files and no package database passes (nothing for an OS scanner to miss).",
		run:       checkOSRelease,
	},
	{
		ID: "HX-SCAN-PACKAGES", Catalogue: "HX-SCAN-002", Title: "Package database complete", Severity: Medium,
		Rationale: "Scanners find OS packages only through the package database; a package shipped without its metadata is invisible to them.",
		How:       "A Debian image has /var/lib/dpkg/status or status.d (an Alpine one its apk database); every status.d stanza has Package and Version; every /usr/share/doc/PKG/copyright (a file, not a link) is in a directory some package owns by its file lists (info/*.list, *.md5sums), or, without file lists, is named after a listed package.",
		run:       checkPackageDB,
	},
	{
		ID: "HX-SCAN-LICENSES", Catalogue: "HX-SCAN-003", Title: "License files kept", Severity: Low,
		Rationale: "/usr/share/doc/PKG/copyright is how scanners and auditors learn each Debian package's license.",
		How:       "Every dpkg package has /usr/share/doc/PKG/copyright.",
		run:       checkLicenses,
	},
	{
		ID: "HX-SCAN-BINARIES", Catalogue: "HX-SCAN-004", Title: "Application binaries scannable", Severity: Low,
		Rationale: "Scanners read Go and Rust dependency metadata only from executable, unpacked binaries; UPX or a missing exec bit hides every dependency.",
		How:       "The entrypoint binary and its neighbours: an ELF file without the exec bit, or packed with UPX, fails; Go build info (toolchain, main module, version) is reported when present.",
		run:       checkBinaries,
	},
	{
		ID: "HX-SCAN-VULNS", Catalogue: "HX-SCAN-005", Title: "No critical or high CVEs", Severity: High,
		Rationale: "Known exploitable vulnerabilities are the first thing an attacker tries.",
		Mappings:  Mappings{CIS: []string{"4.4"}},
		How:       "With --vulns, trivy's or grype's counts: any critical or high CVE fails. Skipped otherwise.",
		run:       checkVulnerabilities,
	},

	// Run time.
	{
		ID: RunTestID, Title: "Starts under a restricted pod's conditions", Severity: Medium,
		Rationale: "Hardening breaks apps at run time (a library left out, a write to a read-only root); only starting the image shows it still runs.",
		How: "The result of the spec's test: the build starts the image with a read-only root, runtime.writable as empty tmpfs, its numeric user, no capabilities and loopback only, " +
			"and probes its port or waits for its exit. Read from the check report a hardened build attached; skipped (not run) on any other image.",
		run: checkRunTest,
	},
}
