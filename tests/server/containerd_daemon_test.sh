#!/usr/bin/env bash
# containerd itself using `contentstore serve` as its content store.
#   containerd_daemon_test.sh CONTENTSTORE_BIN
#
# Starts our server and then containerd as CHILD processes, each with its
# own root, state and sockets under a temp dir (never a system service),
# containerd configured with a proxy_plugins entry of type "content" and
# its builtin content plugin disabled. Then, with ctr against that
# containerd:
#   1. the proxy plugin is loaded and the builtin one is not;
#   2. content ingest, ls, get, label, rm work, and the blob comes and goes
#      in our catalog;
#   3. ctr images import --no-unpack of an OCI archive (built here, offline,
#      with an 8 MiB incompressible layer) puts every blob in our catalog
#      and ctr content get returns each byte-identical;
#   4. after ctr images rm --sync (containerd's garbage collection) the
#      blobs are gone from our store.
# Needs root, containerd, ctr, sqlite3 and python3; skipped (exit 77, shown
# by ctest) where they are missing, unless CONTENTSTORE_REQUIRE_CONTAINERD=1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
bin=$(realpath "$1")

for tool in containerd ctr sqlite3 python3; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (Debian packages containerd, sqlite3, python3)"
done
[ "$(id -u)" = 0 ] || skip "containerd needs root"

tmp=$(mktemp -d /tmp/cs-ctd.XXXXXX)
SERVE_PID= CONTAINERD_PID=
cleanup() {
  [ -n "$CONTAINERD_PID" ] && stop_pid "$CONTAINERD_PID"
  [ -n "$SERVE_PID" ] && stop_pid "$SERVE_PID"
  rm -rf "$tmp"
}
trap cleanup EXIT
started=$(date +%s.%N)

step "starting contentstore serve"
store="$tmp/store"
start_contentstore "$bin" "$store" "$tmp/content.sock" "$tmp/serve.log"

step "starting containerd with a content proxy plugin"
cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/root"
state = "$tmp/state"
# containerd 1.6 picks an arbitrary content plugin when there are several:
# the builtin one must go. CRI is not needed here.
disabled_plugins = ["io.containerd.content.v1.content", "io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/containerd.sock"
[ttrpc]
  address = "$tmp/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$tmp/opt"
[proxy_plugins]
  [proxy_plugins.contentstore]
    type = "content"
    address = "$tmp/content.sock"
TOML
containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
CONTAINERD_PID=$!
if ! wait_for_socket "$tmp/containerd.sock" "$CONTAINERD_PID"; then
  tail -20 "$tmp/containerd.log" >&2
  CONTAINERD_PID=
  skip "containerd does not start in this environment (its log is above)"
fi
ctr=(ctr --address "$tmp/containerd.sock")

step "1. the proxy plugin is containerd's content store"
plugins=$("${ctr[@]}" plugins ls)
grep -Eq '^io\.containerd\.content\.v1[[:space:]]+contentstore[[:space:]].*[[:space:]]ok[[:space:]]*$' <<<"$plugins" ||
  fail "the contentstore proxy plugin is not loaded: $plugins"
if grep -Eq '^io\.containerd\.content\.v1[[:space:]]+content[[:space:]]' <<<"$plugins"; then
  fail "containerd's builtin content plugin is loaded too"
fi

step "2. content ingest, ls, get, label, rm"
payload="$tmp/payload"
python3 -c 'import os,sys; sys.stdout.buffer.write(os.urandom(3 << 20))' >"$payload"
digest="sha256:$(sha256sum "$payload" | cut -d' ' -f1)"
"${ctr[@]}" content ingest --expected-digest "$digest" greeting <"$payload"
"${ctr[@]}" content ls -q | grep -x "$digest" >/dev/null || fail "ctr content ls does not list $digest"
[ "$(in_catalog "$store" "$digest")" = 1 ] || fail "$digest is not in our catalog"
"${ctr[@]}" content get "$digest" | cmp - "$payload" || fail "ctr content get differs"
"${ctr[@]}" content label "$digest" app=test | grep 'app=test' >/dev/null || fail "ctr content label"
"${ctr[@]}" content ls | grep "$digest" | grep 'app=test' >/dev/null || fail "the label does not show in ls"
"${ctr[@]}" content rm "$digest" | grep -x "$digest" >/dev/null || fail "ctr content rm"
if "${ctr[@]}" content ls -q | grep -x "$digest" >/dev/null; then fail "$digest still listed after rm"; fi
for ((i = 0; i < 200; i++)); do
  [ "$(in_catalog "$store" "$digest")" = 0 ] && break
  sleep 0.05
done
[ "$(in_catalog "$store" "$digest")" = 0 ] || fail "$digest is still in our catalog after rm"

step "3. ctr images import --no-unpack of an OCI archive"
mapfile -t blobs < <(python3 "$here/make_oci_archive.py" "$tmp/image" --layer-mib 8)
[ "${#blobs[@]}" = 3 ] || fail "make_oci_archive.py printed ${#blobs[@]} digests"
image=docker.io/library/contentstore-test:latest
"${ctr[@]}" images import --no-unpack --all-platforms "$tmp/image/image.tar"
"${ctr[@]}" images ls -q | grep -x "$image" >/dev/null || fail "the image is not listed"
for d in "${blobs[@]}"; do
  [ "$(in_catalog "$store" "$d")" = 1 ] || fail "blob $d of the image is not in our catalog"
  file="$tmp/image/layout/blobs/sha256/${d#sha256:}"
  [ "$(sqlite3 "$store/catalog.db" "select size from blobs where digest = '$d'")" = "$(stat -c %s "$file")" ] ||
    fail "blob $d has the wrong size in our catalog"
  "${ctr[@]}" content get "$d" | cmp - "$file" || fail "ctr content get $d differs from the archive"
done
layer_size=$(stat -c %s "$tmp/image/layout/blobs/sha256/${blobs[0]#sha256:}")
[ "$layer_size" -gt $((4 << 20)) ] || fail "the layer is only $layer_size bytes"

step "4. ctr images rm --sync, then containerd's garbage collection"
"${ctr[@]}" images rm --sync "$image" >/dev/null
for ((i = 0; i < 200; i++)); do
  left=0
  for d in "${blobs[@]}"; do left=$((left + $(in_catalog "$store" "$d"))); done
  [ "$left" = 0 ] && break
  sleep 0.05
done
[ "$left" = 0 ] || fail "$left blob(s) of the removed image are still in our catalog"
[ ! -e "$tmp/root/io.containerd.content.v1.content" ] ||
  fail "containerd's builtin content store was used ($tmp/root/io.containerd.content.v1.content exists)"

echo "PASS: containerd used contentstore as its content store ($(python3 -c "print(round($(date +%s.%N) - $started, 1))") s)" >&2
