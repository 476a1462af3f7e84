module example.com/notes

go 1.16

require github.com/mattn/go-sqlite3 v1.14.22
