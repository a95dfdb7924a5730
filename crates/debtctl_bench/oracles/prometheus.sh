#!/bin/sh
# go/ignored-error against errcheckish (errcheck's semantics, -exclude with the project's
# own scripts/errcheck_excludes.txt, test files included, deferred calls and `_` aside) on
# prometheus v2.24.1, offline: prometheus vendors its dependencies, so Go 1.19
# (golang-go) type-checks it in GOPATH mode. Five packages fail to load (two vendored files
# over 4 MiB are missing from the fetch snapshot): cmd/prometheus, cmd/promtool,
# discovery/{install,gce,ec2}; config/ (its tests import ec2) is left out too.
# go/unclosed-body against errcheckish -bodyclose, the same way.
# Usage: prometheus.sh DEBTCTL_BINARY CORPUS_DIR   (work directory: $ORACLES, default /tmp/oracles-prom)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
O=${ORACLES:-/tmp/oracles-prom}
export GO111MODULE=off GOCACHE=$O/gocache GOPATH=$O/gopath GOFLAGS=
P=$GOPATH/src/github.com/prometheus/prometheus
mkdir -p "$O/bin" "$(dirname "$P")"
[ -d "$P" ] || cp -r "$2" "$P"
(cd "$here/errcheckish" && go build -o "$O/bin/errcheckish" .)
cd "$P"
go list ./... 2>/dev/null | grep -v /vendor/ > "$O/pkgs.txt"
"$O/bin/errcheckish" -tests -exclude scripts/errcheck_excludes.txt \
  $(sed "s|^github.com/prometheus/prometheus|$P|" "$O/pkgs.txt") > "$O/errcheck.out" 2> "$O/errcheck.err" || true
go list -f '{{$d:=.Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}
{{end}}' $(cat "$O/pkgs.txt") 2>/dev/null | grep . \
  | grep -v -E "/cmd/prometheus/|/cmd/promtool/|/discovery/(install|gce|ec2)/|/config/" > "$O/files.txt"
# The project's excludes as debtctl config (errcheck's syntax, comments dropped).
mkdir -p "$O/cfg"
{ echo '[go]'; echo 'exclude-functions = ['
  grep -v -e '^//' -e '^$' scripts/errcheck_excludes.txt | sed 's/.*/  "&",/'; echo ']'; } > "$O/cfg/debtctl.toml"
"$bin" scan --no-cache --exit-zero --config "$O/cfg/debtctl.toml" --select go/ignored-error --format json . > "$O/ours.json"
python3 "$here/compare_errcheck.py" "$O/ours.json" "$O/files.txt" "$O/errcheck.out" "$P"
# go/unclosed-body against errcheckish -bodyclose (bodyclose's semantics, test files
# included), on the same files.
"$O/bin/errcheckish" -bodyclose -tests \
  $(sed "s|^github.com/prometheus/prometheus|$P|" "$O/pkgs.txt") > "$O/bodyclose.out" 2> "$O/bodyclose.err" || true
"$bin" scan --no-cache --exit-zero --select go/unclosed-body --format json . > "$O/ours-body.json"
python3 "$here/compare_errcheck.py" "$O/ours-body.json" "$O/files.txt" "$O/bodyclose.out" "$P" go/unclosed-body
# go/shadow against go vet's shadow analyzer (Debian's golang-golang-x-tools 0.5.0 puts it
# at /usr/bin/golang-shadow), on the packages that load.
if [ -x /usr/bin/golang-shadow ]; then
  grep -v -E "/cmd/prometheus$|/cmd/promtool$|/discovery/(install|gce|ec2)$|/config$" "$O/pkgs.txt" > "$O/pkgs-ok.txt"
  /usr/bin/golang-shadow $(cat "$O/pkgs-ok.txt") > "$O/shadow.out" 2>&1 || true
  /usr/bin/golang-shadow -strict $(cat "$O/pkgs-ok.txt") > "$O/shadow-strict.out" 2>&1 || true
  "$bin" scan --no-cache --exit-zero --select go/shadow --format json . > "$O/ours-shadow.json"
  python3 "$here/compare_shadow.py" "$O/ours-shadow.json" "$O/files.txt" "$O/shadow.out" "$O/shadow-strict.out" "$P"
fi
