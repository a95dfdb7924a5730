#!/bin/sh
# Runs the Go oracles offline and compares debtctl's go/ignored-error and go/shadow with
# them. Needs golang-go (1.19), gcc (cgo), and in $SHADOW a build of go vet's shadow
# analyzer that you provide (this repository does not build other projects' code).
# Usage: SHADOW=/path/to/shadow run.sh DEBTCTL_BINARY [TAG]
# (work directory: $ORACLES, default /tmp/oracles)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
O=${ORACLES:-/tmp/oracles}
export ORACLES=$O GO111MODULE=off GOCACHE=$O/gocache
mkdir -p "$O/bin" "$O/gopath/src/github.com/mattn"
shadow=${SHADOW:?set SHADOW to a build of golang.org/x/tools/go/analysis/passes/shadow/cmd/shadow}
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
"$shadow" -test=false $(cat "$O/pkgs.txt") github.com/mattn/go-sqlite3 > "$O/shadow.out" 2>&1 || true
"$O/bin/errcheckish" $(sed 's|^|/usr/lib/go-1.19/src/|' "$O/pkgs.txt") "$SQ" > "$O/errcheck.out" 2> "$O/errcheck.err"
go list -f '{{$d:=.Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{$d}}/{{.}}
{{end}}' $(cat "$O/pkgs.txt") github.com/mattn/go-sqlite3 | grep . > "$O/files.txt"
python3 "$here/compare.py" "$1" "${2:-cur}"
