#!/usr/bin/env bash
# ctr as a plain client of our server: `ctr --address <our socket> content
# ...` with no containerd daemon in between (ctr sends the
# containerd-namespace header "default", which the server accepts).
#   ctr_direct_test.sh CONTENTSTORE_BIN
# ingest (also with --expected-size/--expected-digest, right and wrong),
# ls (with a filter), get, label, active (an ingest in progress shows with
# its offset), a read-only server (reads work, ingest is "failed
# precondition" to ctr), rm. Needs ctr and sqlite3; skipped (exit 77, shown by ctest)
# where they are missing, unless CONTENTSTORE_REQUIRE_CONTAINERD=1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
bin=$(realpath "$1")

for tool in ctr sqlite3 python3; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (Debian packages containerd, sqlite3, python3)"
done

tmp=$(mktemp -d /tmp/cs-ctr.XXXXXX)
SERVE_PID= WRITER_PID=
cleanup() {
  [ -n "$WRITER_PID" ] && kill -KILL "$WRITER_PID" 2>/dev/null
  [ -n "$SERVE_PID" ] && stop_pid "$SERVE_PID"
  rm -rf "$tmp"
}
trap cleanup EXIT
started=$(date +%s.%N)

store="$tmp/store"
start_contentstore "$bin" "$store" "$tmp/content.sock" "$tmp/serve.log"
ctr=(ctr --address "$tmp/content.sock")

step "content ingest, ls, get"
printf 'hello from ctr\n' >"$tmp/small"
small="sha256:$(sha256sum "$tmp/small" | cut -d' ' -f1)"
"${ctr[@]}" content ingest small <"$tmp/small"
"${ctr[@]}" content ls -q | grep -x "$small" >/dev/null || fail "ls does not list $small"
[ "$(in_catalog "$store" "$small")" = 1 ] || fail "$small is not in our catalog"
[ "$("${ctr[@]}" content get "$small")" = "hello from ctr" ] || fail "get returned other bytes"

step "ingest with expectations"
python3 -c 'import os,sys; sys.stdout.buffer.write(os.urandom(5 << 20))' >"$tmp/big"
big="sha256:$(sha256sum "$tmp/big" | cut -d' ' -f1)"
if "${ctr[@]}" content ingest --expected-size 7 big <"$tmp/big" 2>"$tmp/err"; then
  fail "an ingest with the wrong expected size succeeded"
fi
grep -q "failed precondition" "$tmp/err" || fail "wrong size: $(cat "$tmp/err")"
"${ctr[@]}" content ingest --expected-size $((5 << 20)) --expected-digest "$big" big <"$tmp/big"
"${ctr[@]}" content get "$big" | cmp - "$tmp/big" || fail "get of the 5 MiB blob differs"
# Ingesting content that exists is success (containerd's WriteBlob).
"${ctr[@]}" content ingest --expected-digest "$big" big-again <"$tmp/big"

step "label, ls with a filter"
"${ctr[@]}" content label "$small" tier=hot | grep -x 'tier=hot' >/dev/null || fail "label"
[ "$("${ctr[@]}" content ls -q 'labels.tier==hot')" = "$small" ] || fail "filtered ls"
[ "$(sqlite3 "$store/catalog.db" "select value from blob_labels where digest = '$small' and key = 'tier'")" = hot ] ||
  fail "the label is not in our catalog"

step "active: an ingest in progress"
mkfifo "$tmp/fifo"
"${ctr[@]}" content ingest slow <"$tmp/fifo" &
WRITER_PID=$!
exec 3>"$tmp/fifo"
head -c $((2 << 20)) "$tmp/big" >&3
for ((i = 0; i < 300; i++)); do
  "${ctr[@]}" content active | grep '^slow[[:space:]]\+2.097MB' >/dev/null && break
  sleep 0.05
done
"${ctr[@]}" content active | grep '^slow[[:space:]]\+2.097MB' >/dev/null ||
  fail "active does not show slow at 2 MiB: $("${ctr[@]}" content active)"
exec 3>&-
wait "$WRITER_PID"
WRITER_PID=
slow="sha256:$(head -c $((2 << 20)) "$tmp/big" | sha256sum | cut -d' ' -f1)"
[ "$(in_catalog "$store" "$slow")" = 1 ] || fail "the slow ingest was not committed"
[ -z "$("${ctr[@]}" content active | tail -n +2)" ] || fail "active still lists ingests"

step "read-only: reads work, writes are failed precondition"
stop_pid "$SERVE_PID"
start_contentstore "$bin" "$store" "$tmp/content.sock" "$tmp/serve-ro.log" --read-only
[ "$("${ctr[@]}" content get "$small")" = "hello from ctr" ] || fail "read-only get returned other bytes"
"${ctr[@]}" content ls -q | grep -x "$small" >/dev/null || fail "read-only ls does not list $small"
printf 'refused\n' >"$tmp/refused"
if "${ctr[@]}" content ingest refused <"$tmp/refused" 2>"$tmp/err"; then
  fail "an ingest into a read-only store succeeded"
fi
grep -q "failed precondition" "$tmp/err" || fail "read-only ingest: $(cat "$tmp/err")"
if "${ctr[@]}" content rm "$small" >/dev/null 2>"$tmp/err"; then
  fail "rm in a read-only store succeeded"
fi
grep -q "failed precondition" "$tmp/err" || fail "read-only rm: $(cat "$tmp/err")"
"${ctr[@]}" content ls -q | grep -x "$small" >/dev/null || fail "rm removed a blob from a read-only store"
stop_pid "$SERVE_PID"
start_contentstore "$bin" "$store" "$tmp/content.sock" "$tmp/serve.log"

step "rm"
"${ctr[@]}" content rm "$small" "$big" "$slow" >/dev/null
[ -z "$("${ctr[@]}" content ls -q)" ] || fail "blobs left after rm"
[ "$(sqlite3 "$store/catalog.db" 'select count(*) from blobs')" = 0 ] || fail "rows left in our catalog"

echo "PASS: ctr talks to contentstore serve directly ($(python3 -c "print(round($(date +%s.%N) - $started, 1))") s)" >&2
