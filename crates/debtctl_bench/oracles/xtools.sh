#!/bin/sh
# go/error-wrap-verb against errcheckish -errorf (errorlint's errorf semantics, see
# errcheckish/main.go) on Debian's golang.org/x/tools 0.5.0 source
# (`apt-get install golang-golang-x-tools-dev`), offline, GOPATH mode with /usr/share/gocode,
# test files included. Usage: xtools.sh DEBTCTL_BINARY   (work directory: $ORACLES,
# default /tmp/oracles-xtools)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
O=${ORACLES:-/tmp/oracles-xtools}
export GO111MODULE=off GOCACHE=$O/gocache GOPATH=/usr/share/gocode GOFLAGS=
P=$GOPATH/src/golang.org/x/tools
mkdir -p "$O/bin"
(cd "$here/errcheckish" && go build -o "$O/bin/errcheckish" .)
cd "$P"
go list ./... 2>/dev/null > "$O/pkgs.txt"
"$O/bin/errcheckish" -errorf -tests $(sed "s|^golang.org/x/tools|$P|" "$O/pkgs.txt") \
  > "$O/errorf.out" 2> "$O/errorf.err" || true
go list -f '{{$d:=.Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}
{{end}}' $(cat "$O/pkgs.txt") 2>/dev/null | grep . > "$O/files.txt"
"$bin" scan --no-cache --exit-zero --select go/error-wrap-verb --format json . > "$O/ours.json"
# The catalog's verbs are %v and %s: the oracle's other verbs (%q, %T, %d ...) are counted apart.
grep -E ': errorf %[vs]$' "$O/errorf.out" > "$O/errorf-vs.out" || true
echo "oracle, every verb but %w: $(wc -l < "$O/errorf.out"); %v and %s: $(wc -l < "$O/errorf-vs.out")"
python3 "$here/compare_errcheck.py" "$O/ours.json" "$O/files.txt" "$O/errorf-vs.out" "$P" go/error-wrap-verb
