#!/usr/bin/env bash
# Builds (offline, GOPATH mode, against Debian's containerd 1.6 Go sources,
# exactly as ../../shared/peer/containerd-grpc/run.sh builds its refserver)
# and runs containerd's content-store conformance suite against
# `contentstore serve`, through containerd's own gRPC client.
#   run_containerd_suite.sh CONTENTSTORE_BIN CACHE_DIR [go test flags...]
# Exit 77 (ctest: skipped, shown as such) when Go or the containerd sources
# are missing, unless CONTENTSTORE_REQUIRE_CONTAINERD=1 (CI), where that is
# a failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$1" cache="$2"
shift 2

# shellcheck source=lib.sh
source "$here/lib.sh"

command -v go >/dev/null 2>&1 || PATH="/usr/lib/go/bin:$PATH"
command -v go >/dev/null 2>&1 || skip "no Go toolchain (Debian package golang-go)"
[ -d /usr/share/gocode/src/github.com/containerd/containerd/content/testsuite ] ||
  skip "no containerd Go sources (Debian package golang-github-containerd-containerd-dev)"

mkdir -p "$cache/gopath"
export GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
export GOPATH="$cache/gopath:/usr/share/gocode" GOCACHE="$cache/go-build"
test_bin="$cache/containerd_suite.test"
if [ ! -x "$test_bin" ] || [ "$here/containerd_suite/content_suite_test.go" -nt "$test_bin" ]; then
  echo "building containerd's content suite (first time: a minute or two)" >&2
  (cd "$here/containerd_suite" && go test -c -o "$test_bin" .) >&2
fi
export CONTENTSTORE_BIN="$bin"
exec "$test_bin" -test.v "$@"
