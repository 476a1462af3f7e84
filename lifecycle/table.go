package lifecycle

// Upstream pages the dates come from.
const (
	debianLTS     = "https://wiki.debian.org/LTS"
	distroless    = "https://github.com/GoogleContainerTools/distroless/blob/main/SUPPORT_POLICY.md"
	nodeReleases  = "https://github.com/nodejs/Release#release-schedule"
	pythonDevG    = "https://devguide.python.org/versions/"
	adoptium      = "https://adoptium.net/support/"
	distroless13  = "debian 14 release day + 1 year (distroless SUPPORT_POLICY.md); not yet set"
	distrolessRt  = "debian 14 release day + 3 months (distroless SUPPORT_POLICY.md); not yet set"
	moveToDebian  = "the -debian13 image (gcr.io/distroless/<image>-debian13)"
	moveToTrixie  = "Debian 13 (trixie)"
	moveToNode    = "Node.js 24"
	moveToPython  = "Python 3.13"
	moveToJava    = "Java 25"
	moveToJavaLTS = "Java 21"
)

// table is every release the product knows, as data. A month-only upstream date ("Sept 2026") is
// written as the month's last day. Rows with no EOL have none announced (Source says when it will be).
var table = []Cycle{
	// Debian, as an ordinary image has it: security support through the end of LTS.
	{Product: Debian, Version: "9", EOL: "2022-06-30", Ended: true, Successor: moveToTrixie, Source: debianLTS},
	{Product: Debian, Version: "10", EOL: "2024-06-30", Ended: true, Successor: moveToTrixie, Source: debianLTS},
	{Product: Debian, Version: "11", EOL: "2026-08-31", Ended: true, Successor: moveToTrixie, Source: debianLTS},
	{Product: Debian, Version: "12", EOL: "2028-06-30", Successor: moveToTrixie, Source: debianLTS},
	{Product: Debian, Version: "13", EOL: "2030-06-30", Source: debianLTS},

	// Distroless ends a release's images before Debian LTS does.
	{Product: DistrolessBase, Version: "12", EOL: "2026-09-30", Ended: true, Successor: moveToDebian, Source: distroless},
	{Product: DistrolessBase, Version: "13", Source: distroless + "; " + distroless13},
	{Product: DistrolessJava, Version: "12", EOL: "2026-01-31", Ended: true, Successor: moveToDebian, Source: distroless},
	{Product: DistrolessJava, Version: "13", Source: distroless + "; " + distrolessRt},
	{Product: DistrolessNodeJS, Version: "12", EOL: "2026-01-31", Ended: true, Successor: moveToDebian, Source: distroless},
	{Product: DistrolessNodeJS, Version: "13", Source: distroless + "; " + distrolessRt},
	{Product: DistrolessPython, Version: "12", EOL: "2026-04-30", Ended: true, Successor: moveToDebian, Source: distroless},
	{Product: DistrolessPython, Version: "13", Source: distroless + "; " + distrolessRt},

	// Node.js: odd majors end two months after the next even one ships; even ones after 30 months of LTS.
	{Product: NodeJS, Version: "10", EOL: "2021-04-30", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "12", EOL: "2022-04-30", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "14", EOL: "2023-04-30", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "16", EOL: "2023-09-11", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "17", EOL: "2022-06-01", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "18", EOL: "2025-04-30", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "19", EOL: "2023-06-01", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "20", EOL: "2026-04-30", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "21", EOL: "2024-06-01", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "22", EOL: "2027-04-30", Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "23", EOL: "2025-06-01", Ended: true, Successor: moveToNode, Source: nodeReleases},
	{Product: NodeJS, Version: "24", EOL: "2028-04-30", Source: nodeReleases},
	{Product: NodeJS, Version: "25", EOL: "2026-06-01", Ended: true, Successor: "Node.js 26", Source: nodeReleases},
	{Product: NodeJS, Version: "26", EOL: "2029-04-30", Source: nodeReleases},

	// CPython: five years from each minor's first release.
	{Product: Python, Version: "3.6", EOL: "2021-12-23", Ended: true, Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.7", EOL: "2023-06-27", Ended: true, Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.8", EOL: "2024-10-07", Ended: true, Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.9", EOL: "2025-10-31", Ended: true, Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.10", EOL: "2026-10-31", Ended: true, Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.11", EOL: "2027-10-31", Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.12", EOL: "2028-10-31", Successor: moveToPython, Source: pythonDevG},
	{Product: Python, Version: "3.13", EOL: "2029-10-31", Source: pythonDevG},
	{Product: Python, Version: "3.14", EOL: "2030-10-31", Source: pythonDevG},

	// Java, as Eclipse Temurin supports it: LTS releases for years, others for six months.
	{Product: Java, Version: "8", EOL: "2030-12-31", Successor: moveToJavaLTS, Source: adoptium},
	{Product: Java, Version: "11", EOL: "2027-10-31", Successor: moveToJavaLTS, Source: adoptium},
	{Product: Java, Version: "17", EOL: "2027-10-31", Successor: moveToJavaLTS, Source: adoptium},
	{Product: Java, Version: "21", EOL: "2029-12-31", Source: adoptium},
	{Product: Java, Version: "22", EOL: "2024-09-30", Ended: true, Successor: moveToJava, Source: adoptium},
	{Product: Java, Version: "23", EOL: "2025-03-31", Ended: true, Successor: moveToJava, Source: adoptium},
	{Product: Java, Version: "24", EOL: "2025-09-30", Ended: true, Successor: moveToJava, Source: adoptium},
	{Product: Java, Version: "25", EOL: "2031-09-30", Source: adoptium},
	{Product: Java, Version: "26", EOL: "2026-09-30", Ended: true, Successor: moveToJava, Source: adoptium},
}
