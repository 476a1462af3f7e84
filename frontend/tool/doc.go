// Package tool is the frontend binary run inside a build step (`hardened-frontend tool verify|special|app`):
// it checks a mounted tree for the self-check and writes its findings as one JSON result file. The steps
// that run it (VerifyStep, SpecialStep, AppStep) and the result's format live here, beside the tool, so the
// command line and the file the frontend reads back are written in one place.
package tool
