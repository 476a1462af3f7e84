module example.com/hardened-go-cgo

go 1.26
