#!/bin/sh
# Builds the Go oracles offline and compares debtctl's go/ignored-error and go/shadow
# with them. Needs Debian's golang-go (1.19) and golang-golang-x-tools-dev, and gcc (cgo).
# Usage: run.sh DEBTCTL_BINARY [TAG]   (work directory: $ORACLES, default /tmp/oracles)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
O=${ORACLES:-/tmp/oracles}
export ORACLES=$O GO111MODULE=off GOCACHE=$O/gocache
mkdir -p "$O/bin" "$O/gopath/src/github.com/mattn"
GOPATH=/usr/share/gocode go build -o "$O/bin/shadow" golang.org/x/tools/go/analysis/passes/shadow/cmd/shadow
(cd "$here/errcheckish" && go build -o "$O/bin/errcheckish" .)
cp "$here/go-stdlib-packages.txt" "$O/pkgs.txt"
# go-sqlite3 in a GOPATH of its own; unsafe.StringData (Go 1.20) replaced on the same
# line so that Go 1.19 type-checks it (line numbers unchanged).
SQ=$O/gopath/src/github.com/mattn/go-sqlite3
if [ ! -d "$SQ" ]; then
  cp -r /work/corpora/go-sqlite3 "$SQ" && rm -rf "$SQ/.git"
  sed -i 's/unsafe.StringData(v)/\&[]byte(v)[0]/; s/unsafe.StringData(s)/\&[]byte(s)[0]/' "$SQ/sqlite3.go" "$SQ/sqlite3_context.go"
fi
export GOPATH=$O/gopath
"$O/bin/shadow" -test=false $(cat "$O/pkgs.txt") github.com/mattn/go-sqlite3 > "$O/shadow.out" 2>&1 || true
"$O/bin/errcheckish" $(sed 's|^|/usr/lib/go-1.19/src/|' "$O/pkgs.txt") "$SQ" > "$O/errcheck.out" 2> "$O/errcheck.err"
go list -f '{{$d:=.Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{$d}}/{{.}}
{{end}}' $(cat "$O/pkgs.txt") github.com/mattn/go-sqlite3 | grep . > "$O/files.txt"
python3 "$here/compare.py" "$1" "${2:-cur}"
