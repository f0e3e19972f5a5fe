#!/usr/bin/env python3
"""Multi-process torture test of the contentstore command on one store root.

N worker processes run random operations through the built `contentstore`
CLI (ingest, resumable ingest, get --verify, info, ls, label, rm, active,
status, abort, gc, lease create/add/rm, fsck) against one root, while a
killer SIGKILLs a random worker together with the command it is running, and
restarts it. Then a single process checks the store. README.md beside this
file says what is checked and how to run it longer.

The oracle: each worker appends (and fsyncs) JSON lines to its own file,
an intent BEFORE each operation that may change what it owns and a result
only AFTER the command reported success, so a kill at any point leaves an
exact record of what must exist, what must not and what is uncertain:

  private blobs  content only worker W creates and removes (seed "p:W:K"):
                 committed -> must exist, removed -> must not exist, an intent
                 with no result -> either (but if present, byte-exact);
                 labelled containerd.io/gc.root unless "unrooted", which gc
                 (run with --grace 0s) may take
  shared blobs   a few contents every worker ingests, often under one ref,
                 never removed: once committed they must exist
  contested      a few contents every worker ingests and removes at once: no
                 existence check, but ingest must succeed (exit 0: content
                 already there is success, and never NotFound), and get must
                 give the exact bytes or NotFound

Content is regenerated from its seed (SHAKE-256), so bytes are compared
exactly. Exit status 0 when nothing failed, 1 otherwise; the last line is a
summary: operations, kills, restarts, commits, lost commits, fsck findings,
crashes (signals the killer did not send, exit codes outside 0-7, "internal
error"), and each defect class with its count.
"""

import argparse
import collections
import ctypes
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

GC_ROOT = "containerd.io/gc.root"
OWNER_LABEL = "torture.w"
CALL_TIMEOUT = 120  # seconds a single command may take before it counts as a hang
# What a read-only command (get, info, ls, active, status, fsck) says on
# standard error when writers died and the next writing command will recover.
PENDING_NOTE = b"contentstore: note: recovery is pending"
SHARED = 6          # shared contents
CONTESTED = 3       # contested contents: few, so that workers collide
PRIVATE_CAP = 150   # committed private blobs a worker keeps before it favours rm

# Failure classes: each counts toward the verdict. Every record keeps the
# command, its exit code and standard error, so a report line reproduces it.
FAILURES = {
    "crash": "a command died of a signal the killer did not send, exited outside 0-7, "
             "or printed 'internal error'",
    "hang": f"a command ran longer than {CALL_TIMEOUT}s",
    "lost_commit": "a blob whose commit was reported (and not removed since) is missing",
    "corrupt": "a blob's bytes differ from what was committed, or get --verify failed",
    "wrong_digest": "ingest printed a digest other than the content's",
    "ingest_notfound_race": "ingest of content another worker was removing exited 3 "
                            "(NotFound); the README says 0, with the blob present",
    "get_race": "get/info of content another worker was removing failed other than NotFound",
    "resurrected": "a blob whose removal was reported came back without a new ingest",
    "locked_by_dead_process": "an ingest stayed locked (exit 5) although its holder was dead",
    "ingest_lost": "an ingest held by a lease vanished, or its offset changed by itself",
    "resume_failed": "resuming an ingest left by a killed process did not commit its content",
    "fsck": "fsck --verify after the run, once a writing command recovered, found problems",
    "fsck_after_resume": "fsck --verify found problems after every ingest left behind was resumed",
    "unexpected": "a command exited with a code its operation does not allow",
    "harness": "a worker process failed by itself (a bug in this script)",
}


def content(seed, size):
    """The bytes of a blob: a pure function of its seed and size."""
    return hashlib.shake_256(seed.encode()).digest(size)


def digest_of(data, algorithm="sha256"):
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def pick_size(rng):
    r = rng.random()
    if r < 0.50:
        return rng.randint(1, 8 << 10)
    if r < 0.85:
        return rng.randint(8 << 10, 128 << 10)
    if r < 0.995:
        return rng.randint(128 << 10, 1 << 20)
    return rng.randint(16 << 20, 18 << 20)  # past the 16 MiB checkpoint


def shared_spec(kind, i):
    """Seed and size of shared or contested content i: every worker agrees."""
    seed = f"{kind}:{i}"
    rng = random.Random(seed)
    return seed, rng.randint(1, 256 << 10) if kind == "s" else rng.randint(1, 16 << 10)


class Appender:
    """Appends JSON lines to a file; with sync, each is fsync'ed before return.

    A line cut short by a kill is dropped when the file is opened again, so
    every line in the file is whole."""

    def __init__(self, path, sync):
        self.sync = sync
        if os.path.exists(path):
            with open(path, "rb+") as f:
                data = f.read()
                keep = data.rfind(b"\n") + 1
                if keep != len(data):
                    f.truncate(keep)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record):
        os.write(self.fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())
        if self.sync:
            os.fsync(self.fd)


def read_lines(path):
    if not os.path.exists(path):
        return []
    out = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # cut short by a kill
    return out


class Call:
    def __init__(self, argv, rc, out, err, seconds):
        self.argv, self.rc, self.out, self.err, self.seconds = argv, rc, out, err, seconds

    def describe(self):
        err = self.err.decode(errors="replace").strip()
        out = self.out[:200].decode(errors="replace").strip()
        return {"argv": self.argv, "rc": self.rc, "stdout": out, "stderr": err[:400]}


def run_cli(cli, root, args, data=None, timeout=CALL_TIMEOUT):
    argv = [cli, "--root", root] + list(args)
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return Call(argv[3:], p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        return Call(argv[3:], None, e.stdout or b"", e.stderr or b"", time.monotonic() - t0)


def crashed(call):
    """Why `call` counts as a crash, or None. A worker never sees the
    killer's SIGKILL: the killer takes the worker down with its command."""
    if call.rc is None:
        return None
    if call.rc < 0:
        return f"killed by signal {-call.rc}"
    if call.rc > 7:
        return f"exit code {call.rc}"
    if b"internal error" in call.err:
        return "internal error"
    return None


# --------------------------------------------------------------------------
# Worker


class Worker:
    def __init__(self, args):
        self.w = args.worker
        self.inc = args.incarnation
        self.cli = args.cli
        self.root = args.root
        self.work = args.work
        self.deadline = args.deadline
        self.rng = random.Random(f"{args.seed}:{self.w}:{self.inc}")
        self.oracle = Appender(os.path.join(self.work, f"oracle-{self.w}.jsonl"), sync=True)
        self.failures = Appender(os.path.join(self.work, f"failures-{self.w}.jsonl"), sync=True)
        self.ops = Appender(os.path.join(self.work, f"ops-{self.w}.jsonl"), sync=False)
        self.tmp = os.path.join(self.work, "tmp", f"w{self.w}.bin")
        self.hold = f"hold-w{self.w}"
        self.n = 0  # per-incarnation counter for unique names
        self.replay()

    # --- the oracle

    def replay(self):
        """Rebuilds what this worker knows from its oracle file."""
        self.private = {}   # digest -> {seed, size, alg, cls, state, labels}
        self.partials = {}  # ref -> {d, seed, size, alg, offset, lease, state}
        self.leases = {}    # id -> "live" | "unknown"
        self.shared = set()
        self.next_k = 0
        self.hold_ok = False
        for r in read_lines(os.path.join(self.work, f"oracle-{self.w}.jsonl")):
            ev = r["ev"]
            if "k" in r:
                self.next_k = max(self.next_k, r["k"] + 1)
            if ev == "ingest-intent":
                self.private[r["d"]] = {"seed": r["seed"], "size": r["size"], "alg": r["alg"],
                                        "cls": r["cls"], "state": "maybe", "labels": {}}
            elif ev == "committed":
                self.private[r["d"]]["state"] = "committed"
            elif ev in ("rm-intent", "resume-intent"):
                if r["d"] in self.private:
                    self.private[r["d"]]["state"] = "maybe"
                if ev == "resume-intent":
                    self.partials[r["ref"]]["state"] = "unknown"
            elif ev == "removed":
                self.private[r["d"]]["state"] = "removed"
            elif ev == "label":
                self.private[r["d"]]["labels"][r["key"]] = r["value"]
            elif ev == "partial-intent":
                self.partials[r["ref"]] = {k: r[k] for k in ("d", "seed", "size", "alg", "lease")}
                self.partials[r["ref"]].update(offset=r["offset"], state="unknown")
                self.private.setdefault(r["d"], {"seed": r["seed"], "size": r["size"],
                                                 "alg": r["alg"], "cls": "rooted",
                                                 "state": "absent", "labels": {}})
            elif ev == "partial":
                self.partials[r["ref"]]["state"] = "known"
            elif ev == "resumed":
                self.partials.pop(r["ref"], None)
                self.private[r["d"]]["state"] = "committed"
            elif ev == "abort-intent":
                self.partials[r["ref"]]["state"] = "unknown"
            elif ev in ("aborted", "partial-gone"):
                self.partials.pop(r["ref"], None)
            elif ev == "shared-committed":
                self.shared.add(r["d"])
            elif ev == "lease-intent":
                self.leases[r["id"]] = "unknown"
            elif ev == "lease-created":
                self.leases[r["id"]] = "live"
            elif ev == "lease-rm-intent":
                self.leases[r["id"]] = "unknown"
            elif ev == "lease-removed":
                self.leases.pop(r["id"], None)
            elif ev == "hold":
                self.hold_ok = True

    def record(self, ev, **fields):
        fields["ev"] = ev
        self.oracle.write(fields)

    # --- running commands

    def fail(self, kind, call, **detail):
        rec = {"kind": kind, "worker": self.w, "time": time.time()}
        if call is not None:
            rec.update(call.describe())
        rec.update(detail)
        self.failures.write(rec)

    def cs(self, op, *args, data=None, allowed=(0,)):
        """Runs one command; records a crash, hang or an exit code outside
        `allowed` (as "unexpected"). Returns the Call."""
        call = run_cli(self.cli, self.root, args, data)
        rec = {"op": op, "rc": call.rc, "ms": int(call.seconds * 1000)}
        if PENDING_NOTE in call.err:
            rec["pending"] = True  # a read-only command left recovery to a writer
        self.ops.write(rec)
        why = crashed(call)
        if call.rc is None:
            self.fail("hang", call, op=op)
        elif why:
            self.fail("crash", call, op=op, why=why)
        elif call.rc not in allowed:
            self.fail("unexpected", call, op=op, allowed=list(allowed))
        return call

    def input_for(self, data, whole_file_ok=True):
        """Either a file argument holding `data` (the command seeks past
        what an ingest has) or "-" with `data` on standard input (it reads
        and drops)."""
        if whole_file_ok and self.rng.random() < 0.5:
            with open(self.tmp, "wb") as f:
                f.write(data)
            return self.tmp, None
        return "-", data

    # --- operations on private content

    def new_private(self):
        k = self.next_k
        self.next_k += 1
        alg = "sha512" if self.rng.random() < 0.1 else "sha256"
        seed = f"p:{self.w}:{k}"
        size = pick_size(self.rng)
        data = content(seed, size)
        return k, seed, size, alg, data, digest_of(data, alg)

    def op_ingest_private(self):
        removed = [d for d, p in self.private.items() if p["state"] == "removed"]
        committed = [d for d, p in self.private.items()
                     if p["state"] == "committed" and p["cls"] == "rooted"]
        r = self.rng.random()
        if removed and r < 0.15:  # commit again what was removed
            d = self.rng.choice(removed)
            p = self.private[d]
            k, seed, size, alg, cls = None, p["seed"], p["size"], p["alg"], p["cls"]
            data = content(seed, size)
        elif committed and r < 0.2:  # content that is already there
            d = self.rng.choice(committed)
            p = self.private[d]
            k, seed, size, alg, cls = None, p["seed"], p["size"], p["alg"], p["cls"]
            data = content(seed, size)
        else:
            k, seed, size, alg, data, d = self.new_private()
            cls = "unrooted" if self.rng.random() < 0.1 else "rooted"
        self.n += 1
        ref = f"i{self.w}-{self.inc}-{self.n}"
        args = ["ingest", ref]
        path, stdin = self.input_for(data)
        args.append(path)
        args += ["--label", f"{OWNER_LABEL}={self.w}"]
        if cls == "rooted":
            args += ["--label", f"{GC_ROOT}=torture"]
        if self.rng.random() < 0.3:
            args += ["--expected-digest", d]
        elif alg != "sha256":
            args += ["--algorithm", alg]
        if self.rng.random() < 0.3:
            args += ["--expected-size", str(size)]
        intent = dict(d=d, seed=seed, size=size, alg=alg, cls=cls, ref=ref)
        if k is not None:
            intent["k"] = k
        self.record("ingest-intent", **intent)
        self.private[d] = {"seed": seed, "size": size, "alg": alg, "cls": cls, "state": "maybe",
                           "labels": {}}
        call = self.cs("ingest", *args, data=stdin)
        if call.rc == 0:
            if call.out.decode().strip() != d:
                self.fail("wrong_digest", call, want=d)
                return
            self.record("committed", d=d)
            self.private[d]["state"] = "committed"

    def op_partial(self):
        k, seed, size, alg, data, d = self.new_private()
        if size < 2:
            return
        offset = self.rng.randint(1, size - 1)
        lease = self.hold_ok and self.rng.random() < 0.7
        ref = f"p{self.w}-{k}"
        args = ["ingest", ref, "-", "--no-commit"]
        if alg != "sha256":
            args += ["--algorithm", alg]
        if lease:
            args += ["--lease", self.hold]
        self.record("partial-intent", k=k, ref=ref, d=d, seed=seed, size=size, alg=alg,
                    offset=offset, lease=lease)
        self.private.setdefault(d, {"seed": seed, "size": size, "alg": alg, "cls": "rooted",
                                    "state": "absent", "labels": {}})
        self.partials[ref] = dict(d=d, seed=seed, size=size, alg=alg, offset=offset, lease=lease,
                                  state="unknown")
        call = self.cs("ingest --no-commit", *args, data=data[:offset])
        if call.rc == 0:
            self.record("partial", ref=ref)
            self.partials[ref]["state"] = "known"

    def op_resume(self):
        if not self.partials:
            return
        ref = self.rng.choice(sorted(self.partials))
        p = self.partials[ref]
        data = content(p["seed"], p["size"])
        self.record("resume-intent", ref=ref, d=p["d"])
        self.private[p["d"]]["state"] = "maybe"
        path, stdin = self.input_for(data)
        args = ["ingest", ref, path, "--label", f"{OWNER_LABEL}={self.w}",
                "--label", f"{GC_ROOT}=torture"]
        if self.rng.random() < 0.5:
            args += ["--expected-digest", p["d"]]
        elif p["alg"] != "sha256" and not (p["lease"] and p["state"] == "known"):
            # A new ingest hashes sha256 unless told, and the ingest may be
            # gone: gc --ingest-expiry may have taken an unleased one, and
            # one whose last command was killed (a partial before it made
            # the ingest, a resume after it committed, an abort) may never
            # have been there or be gone. A leased ingest whose partial
            # command succeeded must still be there, hashing with its own
            # algorithm: no flag, to test that.
            args += ["--algorithm", p["alg"]]
        call = self.cs("ingest (resume)", *args, data=stdin)
        p["state"] = "unknown"
        if call.rc == 0:
            if call.out.decode().strip() != p["d"]:
                self.fail("wrong_digest", call, want=p["d"])
                return
            self.record("resumed", ref=ref, d=p["d"])
            self.partials.pop(ref)
            self.private[p["d"]]["state"] = "committed"

    def op_status(self):
        known = [r for r, p in self.partials.items() if p["state"] == "known"]
        if not known:
            return
        ref = self.rng.choice(known)
        p = self.partials[ref]
        call = self.cs("status", "status", ref, "--json", allowed=(0, 3))
        if call.rc == 0:
            offset = json.loads(call.out)["offset"]
            if offset != p["offset"]:
                self.fail("ingest_lost", call, why=f"offset {offset}, wrote {p['offset']}")
        elif call.rc == 3:
            if p["lease"]:
                self.fail("ingest_lost", call, why="a leased ingest vanished")
            # Unleased: gc --ingest-expiry 0s may abort it.
            self.record("partial-gone", ref=ref)
            self.partials.pop(ref)

    def op_abort(self):
        if not self.partials:
            return
        ref = self.rng.choice(sorted(self.partials))
        p = self.partials[ref]
        # NotFound is fine unless the ingest must still be there.
        must_exist = p["state"] == "known" and p["lease"]
        self.record("abort-intent", ref=ref)
        call = self.cs("abort", "abort", ref, allowed=(0,) if must_exist else (0, 3))
        if call.rc == 5:
            self.fail("locked_by_dead_process", call, why="only this worker uses this ref")
        if call.rc in (0, 3):
            self.record("aborted", ref=ref)
            self.partials.pop(ref)

    def pick_committed(self):
        c = [d for d, p in self.private.items() if p["state"] == "committed"]
        return self.rng.choice(c) if c else None

    def pick_committed_private(self):
        """(digest, its record, whether it is rooted), or None."""
        d = self.pick_committed()
        if d is None:
            return None
        return d, self.private[d], self.private[d]["cls"] == "rooted"

    def op_rm_private(self):
        picked = self.pick_committed_private()
        if picked is None:
            return
        d, p, _ = picked
        self.record("rm-intent", d=d)
        p["state"] = "maybe"
        call = self.cs("rm", "rm", d, allowed=(0, 3))
        if call.rc == 3 and p["cls"] == "rooted":
            self.fail("lost_commit", call, why="rm: a committed, rooted blob is not found")
        if call.rc in (0, 3):
            self.record("removed", d=d)
            p["state"] = "removed"

    def op_get_private(self):
        picked = self.pick_committed_private()
        if picked is None:
            return
        d, p, rooted = picked
        call = self.cs("get --verify", "get", d, "--verify", allowed=(0, 7) if rooted else (0, 3, 7))
        if call.rc == 0 and call.out != content(p["seed"], p["size"]):
            self.fail("corrupt", call, why="bytes differ", out=None)
        elif call.rc == 7:
            self.fail("corrupt", call)
        elif call.rc == 3 and rooted:
            self.fail("lost_commit", call)
        elif call.rc == 3:
            self.record("removed", d=d)  # gc took the unrooted blob
            p["state"] = "removed"

    def op_label(self):
        picked = self.pick_committed_private()
        if picked is None:
            return
        d, p, rooted = picked
        value = str(self.rng.randrange(1000))
        call = self.cs("label", "label", d, f"torture.n={value}",
                       allowed=(0,) if rooted else (0, 3))
        if call.rc == 3 and rooted:
            self.fail("lost_commit", call)
        if call.rc != 0:
            return
        self.record("label", d=d, key="torture.n", value=value)
        p["labels"]["torture.n"] = value
        info = self.cs("info", "info", d, "--json", allowed=(0,) if rooted else (0, 3))
        if info.rc == 0:
            labels = json.loads(info.out)["labels"]
            want = dict(p["labels"])
            want[OWNER_LABEL] = str(self.w)
            if rooted:
                want[GC_ROOT] = "torture"
            if labels != want:
                self.fail("unexpected", info, why=f"labels {labels}, want {want}")
            if json.loads(info.out)["size"] != p["size"]:
                self.fail("corrupt", info, why="info size differs")

    def op_ls_check(self):
        call = self.cs("ls", "ls", "-q", f'labels."{OWNER_LABEL}"=={self.w}')
        if call.rc != 0:
            return
        listed = set(call.out.decode().split())
        for d, p in self.private.items():
            if p["cls"] != "rooted":
                continue
            if p["state"] == "committed" and d not in listed:
                self.fail("lost_commit", call, digest=d, why="ls does not list it")
            elif p["state"] == "removed" and d in listed:
                self.fail("resurrected", call, digest=d, why="ls lists it")

    # --- shared and contested content

    def op_ingest_shared(self):
        seed, size = shared_spec("s", self.rng.randrange(SHARED))
        data = content(seed, size)
        d = digest_of(data)
        self.n += 1
        common = self.rng.random() < 0.3
        ref = f"shared-{seed[2:]}" if common else f"s{self.w}-{self.inc}-{self.n}"
        path, stdin = self.input_for(data)
        self.record("ref-intent", ref=ref, seed=seed, size=size, d=d)
        call = self.cs("ingest (shared)", "ingest", ref, path, "--label", f"{GC_ROOT}=torture",
                       data=stdin, allowed=(0, 5) if common else (0,))
        if call.rc == 0:
            if call.out.decode().strip() != d:
                self.fail("wrong_digest", call, want=d)
                return
            self.record("shared-committed", d=d, seed=seed, size=size)
            self.shared.add(d)

    def op_get_shared(self):
        if not self.shared:
            return
        i = self.rng.randrange(SHARED)
        seed, size = shared_spec("s", i)
        data = content(seed, size)
        d = digest_of(data)
        if d not in self.shared:
            return
        call = self.cs("get --verify (shared)", "get", d, "--verify")
        if call.rc == 3:
            self.fail("lost_commit", call, why="shared blob")
        elif call.rc == 0 and call.out != data:
            self.fail("corrupt", call, why="bytes differ")

    def contested(self):
        seed, size = shared_spec("c", self.rng.randrange(CONTESTED))
        data = content(seed, size)
        return seed, size, data, digest_of(data)

    def op_ingest_contested(self):
        seed, size, data, d = self.contested()
        self.n += 1
        ref = f"c{self.w}-{self.inc}-{self.n}"
        path, stdin = self.input_for(data)
        self.record("ref-intent", ref=ref, seed=seed, size=size, d=d)
        call = self.cs("ingest (contested)", "ingest", ref, path, "--label", f"{GC_ROOT}=torture",
                       data=stdin, allowed=(0, 3))
        if call.rc == 3:
            self.fail("ingest_notfound_race", call)
        elif call.rc == 0 and call.out.decode().strip() != d:
            self.fail("wrong_digest", call, want=d)

    def op_rm_contested(self):
        _, _, _, d = self.contested()
        self.cs("rm (contested)", "rm", d, allowed=(0, 3))

    def op_get_contested(self):
        _, _, data, d = self.contested()
        call = self.cs("get --verify (contested)", "get", d, "--verify", allowed=(0, 1, 3, 7))
        if call.rc in (1, 7):
            self.fail("get_race", call)
        elif call.rc == 0 and call.out != data:
            self.fail("corrupt", call, why="bytes differ")

    # --- leases, gc, fsck, listings

    def op_lease(self):
        live = [i for i, s in self.leases.items() if s == "live"]
        r = self.rng.random()
        if not live or r < 0.4:
            self.n += 1
            lid = f"l{self.w}-{self.inc}-{self.n}"
            self.record("lease-intent", id=lid)
            call = self.cs("lease create", "lease", "create", "--id", lid, "--expire", "1h",
                           "--label", f"{OWNER_LABEL}={self.w}")
            if call.rc == 0:
                self.record("lease-created", id=lid)
                self.leases[lid] = "live"
        elif r < 0.7:
            d = self.pick_committed()
            if d is not None:
                self.cs("lease add", "lease", "add", self.rng.choice(live), d)
        else:
            lid = self.rng.choice(live)
            self.record("lease-rm-intent", id=lid)
            args = ["lease", "rm", lid] + (["--sync"] if self.rng.random() < 0.2 else [])
            call = self.cs("lease rm", *args)
            if call.rc == 0:
                self.record("lease-removed", id=lid)
                self.leases.pop(lid)

    def op_gc(self):
        args = ["gc", "--grace", "0s", "--json"]
        if self.rng.random() < 0.1:
            args += ["--ingest-expiry", "0s"]
        call = self.cs("gc", *args)
        if call.rc != 0:
            return
        report = json.loads(call.out)
        if report["removed_ingests"]:
            # The checker compares them with the ingests leases hold.
            self.ops.write({"op": "gc-removed-ingests", "refs": report["removed_ingests"],
                            "argv": args})
        removed = set(report["removed_blobs"])
        mine = {d for d, p in self.private.items()
                if p["cls"] == "rooted" and p["state"] == "committed"}
        for d in removed & (mine | self.shared):
            self.fail("lost_commit", call, digest=d, why="gc removed a rooted blob")

    def op_fsck(self):
        # Concurrent with writers: findings are reported, not judged.
        call = self.cs("fsck", "fsck", "--json", allowed=(0, 7))
        if call.rc == 7:
            kinds = collections.Counter(p["kind"] for p in json.loads(call.out)["problems"])
            self.ops.write({"op": "fsck-findings", "kinds": kinds})

    def op_active(self):
        call = self.cs("active", "active", "--json")
        if call.rc == 0:
            for line in call.out.decode().splitlines():
                json.loads(line)

    # --- the loop

    def run(self):
        os.makedirs(os.path.dirname(self.tmp), exist_ok=True)
        if not self.hold_ok:
            call = self.cs("lease create", "lease", "create", "--id", self.hold, allowed=(0, 4))
            if call.rc in (0, 4):
                self.record("hold")
                self.hold_ok = True
        ops = [
            (self.op_ingest_private, 16), (self.op_partial, 6), (self.op_resume, 6),
            (self.op_status, 3), (self.op_abort, 2), (self.op_rm_private, 8),
            (self.op_get_private, 10), (self.op_label, 4), (self.op_ls_check, 2),
            (self.op_ingest_shared, 6), (self.op_get_shared, 3), (self.op_ingest_contested, 8),
            (self.op_rm_contested, 6), (self.op_get_contested, 4), (self.op_lease, 3),
            (self.op_gc, 3), (self.op_fsck, 1), (self.op_active, 2),
        ]
        funcs = [f for f, _ in ops]
        weights = [w for _, w in ops]
        while time.time() < self.deadline:
            committed = sum(1 for p in self.private.values() if p["state"] == "committed")
            if committed > PRIVATE_CAP:
                self.op_rm_private()
            else:
                self.rng.choices(funcs, weights)[0]()
        return 0


# --------------------------------------------------------------------------
# Supervisor: workers, the killer, then the checks


def set_subreaper():
    """Commands orphaned by a killed worker become our children, so the
    killer can wait until they are really gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except OSError:
        pass


class Supervisor:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(f"{args.seed}:killer")
        self.workers = {}  # w -> pid (each worker leads its own process group)
        self.incarnations = collections.Counter()
        self.kills = 0
        self.restarts = 0
        self.harness_errors = []

    def spawn(self, w):
        a = self.args
        argv = [sys.executable, os.path.abspath(__file__), "--worker", str(w), "--incarnation",
                str(self.incarnations[w]), "--cli", a.cli, "--root", a.root, "--work", a.work,
                "--deadline", repr(self.deadline), "--seed", str(a.seed)]
        self.incarnations[w] += 1
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                os.execv(sys.executable, argv)
            finally:
                os._exit(127)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child did it first, or already exec'ed
        self.workers[w] = pid

    def reap(self):
        """Collects finished children: workers (noting any that failed by
        themselves) and orphaned commands."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for w, wpid in list(self.workers.items()):
                if wpid == pid:
                    del self.workers[w]
                    code = os.waitstatus_to_exitcode(status)
                    if code != 0 and code != -signal.SIGKILL:
                        self.harness_errors.append(f"worker {w} exited with {code}")

    def group_alive(self, pgid):
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def kill(self, w):
        pid = self.workers[w]
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        t0 = time.monotonic()
        while self.group_alive(pid) and time.monotonic() - t0 < 30:
            self.reap()
            time.sleep(0.002)
        self.reap()
        self.workers.pop(w, None)
        self.kills += 1

    def chaos(self):
        a = self.args
        self.deadline = time.time() + a.seconds
        for w in range(a.workers):
            self.spawn(w)
        next_kill = time.monotonic() + self.rng.uniform(a.kill_min, a.kill_max)
        while time.time() < self.deadline:
            self.reap()
            for w in range(a.workers):
                if w not in self.workers and time.time() < self.deadline - 1:
                    self.spawn(w)  # it exited by itself (harness error, already noted)
            if a.kill_max > 0 and time.monotonic() >= next_kill and self.workers:
                w = self.rng.choice(sorted(self.workers))
                self.kill(w)
                if time.time() < self.deadline - 1:
                    self.spawn(w)
                    self.restarts += 1
                next_kill = time.monotonic() + self.rng.uniform(a.kill_min, a.kill_max)
            time.sleep(0.01)
        # Workers stop at the deadline, after the operation they are in.
        t0 = time.monotonic()
        while self.workers and time.monotonic() - t0 < CALL_TIMEOUT + 30:
            self.reap()
            time.sleep(0.05)
        for w in list(self.workers):
            self.harness_errors.append(f"worker {w} did not stop after the deadline")
            self.kill(w)


class Checker:
    """The checks after the run, in one process, nothing else running."""

    def __init__(self, args):
        self.args = args
        self.failures = collections.defaultdict(list)
        self.facts = {}

    def cs(self, *args, data=None):
        return run_cli(self.args.cli, self.args.root, args, data, timeout=600)

    def fail(self, kind, call=None, **detail):
        rec = dict(detail)
        if call is not None:
            rec.update(call.describe())
        self.failures[kind].append(rec)

    def fsck(self, kind):
        call = self.cs("fsck", "--verify", "--json")
        if call.rc not in (0, 7):
            self.fail(kind, call)
            return []
        problems = json.loads(call.out)["problems"]
        for p in problems:
            self.fail(kind, problem=p["kind"], subject=p["subject"], detail=p.get("detail", ""))
        return problems

    def oracle(self):
        """Merges the workers' oracle files."""
        private, shared, refs = {}, {}, {}
        for w in range(self.args.workers):
            for r in read_lines(os.path.join(self.args.work, f"oracle-{w}.jsonl")):
                ev = r["ev"]
                if ev == "ingest-intent":
                    private[r["d"]] = dict(seed=r["seed"], size=r["size"], cls=r["cls"],
                                           state="maybe")
                    refs[r["ref"]] = (r["seed"], r["size"], r["d"])
                elif ev == "partial-intent":
                    private.setdefault(r["d"], dict(seed=r["seed"], size=r["size"],
                                                    cls="rooted", state="absent"))
                    refs[r["ref"]] = (r["seed"], r["size"], r["d"])
                elif ev in ("committed", "resumed"):
                    private[r["d"]]["state"] = "committed"
                elif ev in ("rm-intent", "resume-intent"):
                    if r["d"] in private:
                        private[r["d"]]["state"] = "maybe"
                elif ev == "removed":
                    private[r["d"]]["state"] = "removed"
                elif ev == "ref-intent":
                    refs[r["ref"]] = (r["seed"], r["size"], r["d"])
                elif ev == "shared-committed":
                    shared[r["d"]] = (r["seed"], r["size"])
        for i in range(CONTESTED):
            seed, size = shared_spec("c", i)
            refs.setdefault(f"contested-{i}", (seed, size, digest_of(content(seed, size))))
        return private, shared, refs

    def check_blobs(self, private, shared):
        known = {d: (p["seed"], p["size"]) for d, p in private.items()}
        known.update(shared)
        for i in range(CONTESTED):
            seed, size = shared_spec("c", i)
            known[digest_of(content(seed, size))] = (seed, size)
        listed = self.cs("ls", "-q")
        present = set(listed.out.decode().split()) if listed.rc == 0 else set()
        if listed.rc != 0:
            self.fail("unexpected", listed)
        must = {d for d, p in private.items() if p["state"] == "committed" and p["cls"] == "rooted"}
        must |= set(shared)
        commits = len(must)
        for d in sorted(must - present):
            call = self.cs("get", d, "--verify")
            self.fail("lost_commit", call, digest=d)
        for d, p in sorted(private.items()):
            if p["state"] == "removed" and d in present:
                self.fail("resurrected", digest=d)
        for d in sorted(present):
            call = self.cs("get", d, "--verify")
            if call.rc != 0:
                self.fail("corrupt", call, digest=d)
            elif d in known and call.out != content(*known[d]):
                self.fail("corrupt", digest=d, why="bytes differ from the committed content")
        self.facts["blobs_present"] = len(present)
        self.facts["blobs_that_must_exist"] = commits

    def check_locks(self):
        """Rows naming a lock holder: each holder must be dead (nothing of
        ours runs any more); the lock itself must not outlive it, which
        check_ingests tests by taking each ref over."""
        db = sqlite3.connect(os.path.join(self.args.root, "catalog.db"), timeout=30)
        try:
            rows = db.execute("select ref, lock_pid from ingests where lock_pid is not null").fetchall()
        finally:
            db.close()
        live = []
        for ref, pid in rows:
            try:
                os.kill(pid, 0)
                live.append((ref, pid))
            except ProcessLookupError:
                pass
            except PermissionError:
                live.append((ref, pid))
        self.facts["ingest_rows_naming_a_dead_holder"] = len(rows) - len(live)
        self.facts["ingest_rows_naming_a_live_process"] = len(live)
        return {ref for ref, _ in rows}

    def check_ingests(self, refs, locked_rows):
        """Every ingest left behind must be resumable to its content (or, if
        unknown, abortable): a kill never leaves a ref locked."""
        call = self.cs("active", "--json")
        if call.rc != 0:
            self.fail("unexpected", call)
            return
        active = [json.loads(line)["ref"] for line in call.out.decode().splitlines()]
        self.facts["ingests_left"] = len(active)
        resumed = 0
        for ref in active:
            if ref in refs:
                seed, size, d = refs[ref]
                data = content(seed, size)
                call = self.cs("ingest", ref, "-", data=data)
                if call.rc == 0 and call.out.decode().strip() == d:
                    resumed += 1
                    continue
                if call.rc == 4:
                    continue  # the content is committed already (and the ingest is gone)
            else:
                call = self.cs("abort", ref)
                if call.rc == 0:
                    continue
            kind = "locked_by_dead_process" if call.rc == 5 else "resume_failed"
            self.fail(kind, call, ref=ref, lock_row=ref in locked_rows)
        self.facts["ingests_resumed"] = resumed

    def check_gc_kept_leased_ingests(self):
        """The workers' leases never expire and are never deleted, so no gc
        may remove an ingest one of them holds."""
        leased = set()
        for w in range(self.args.workers):
            for r in read_lines(os.path.join(self.args.work, f"oracle-{w}.jsonl")):
                if r["ev"] == "partial-intent" and r["lease"]:
                    leased.add(r["ref"])
        for w in range(self.args.workers):
            for r in read_lines(os.path.join(self.args.work, f"ops-{w}.jsonl")):
                if r["op"] != "gc-removed-ingests":
                    continue
                for ref in sorted(set(r["refs"]) & leased):
                    self.fail("ingest_lost", ref=ref, argv=r["argv"],
                              why="gc removed an ingest that a lease holds")

    def recover(self):
        """Read-only commands, fsck without --repair among them, leave what
        killed writers left half done to the next command that writes: run
        one (an abort of a ref nobody uses, exit 3) before judging fsck, as
        a user's next command would. Notes whether recovery was pending."""
        call = self.cs("active", "--json")
        self.facts["recovery_pending_after_run"] = PENDING_NOTE in call.err
        call = self.cs("abort", "torture-checker-recovers")
        if call.rc != 3:
            self.fail("unexpected", call, why="abort of an unknown ref, to recover, must exit 3")

    def run(self):
        self.check_gc_kept_leased_ingests()
        private, shared, refs = self.oracle()
        locked_rows = self.check_locks()  # before recovery takes dead holders' locks back
        self.recover()
        problems = self.fsck("fsck")
        self.facts["fsck_findings"] = len(problems)
        self.facts["fsck_kinds"] = dict(collections.Counter(p["kind"] for p in problems))
        self.check_blobs(private, shared)
        self.check_ingests(refs, locked_rows)
        after = self.fsck("fsck_after_resume")
        self.facts["fsck_findings_after_resume"] = len(after)
        self.facts["fsck_kinds_after_resume"] = dict(collections.Counter(p["kind"] for p in after))


def summarize(args, sup, checker):
    failures = collections.defaultdict(list)
    ops = collections.Counter()
    codes = collections.defaultdict(collections.Counter)
    fsck_during = collections.Counter()
    commits = 0
    pending_notes = 0
    for w in range(args.workers):
        for r in read_lines(os.path.join(args.work, f"failures-{w}.jsonl")):
            failures[r["kind"]].append(r)
        for r in read_lines(os.path.join(args.work, f"ops-{w}.jsonl")):
            if r["op"] == "fsck-findings":
                fsck_during.update(r["kinds"])
                continue
            if r["op"] == "gc-removed-ingests":
                continue
            ops[r["op"]] += 1
            pending_notes += bool(r.get("pending"))
            codes[r["op"]][str(r["rc"])] += 1
        for r in read_lines(os.path.join(args.work, f"oracle-{w}.jsonl")):
            commits += r["ev"] in ("committed", "resumed", "shared-committed")
    for kind, recs in checker.failures.items():
        failures[kind].extend(recs)
    for e in sup.harness_errors:
        failures["harness"].append({"why": e})
    checker.facts["read_only_commands_noting_pending_recovery"] = pending_notes
    report = {
        "seconds": args.seconds, "workers": args.workers, "seed": args.seed, "root": args.root,
        "operations": sum(ops.values()), "kills": sup.kills, "restarts": sup.restarts,
        "commits": commits, "facts": checker.facts, "exit_codes": codes,
        "fsck_findings_during_run": fsck_during,
        "failures": {k: v for k, v in failures.items()},
    }
    with open(os.path.join(args.work, "report.json"), "w") as f:
        json.dump(report, f, indent=1, default=str)

    print("operations by command and exit code:")
    for op in sorted(codes):
        print(f"  {op:28} " + " ".join(f"{rc}:{n}" for rc, n in sorted(codes[op].items())))
    if fsck_during:
        print("fsck findings while workers ran (not judged):", dict(fsck_during))
    print("facts:", json.dumps(checker.facts, sort_keys=True))
    for kind in FAILURES:
        recs = failures.get(kind, [])
        if not recs:
            continue
        print(f"FAIL {kind}: {len(recs)} ({FAILURES[kind]})")
        for r in recs[:5]:
            print("   ", json.dumps(r, default=str)[:600])
    counts = {k: len(failures.get(k, [])) for k in FAILURES}
    verdict = "PASS" if not any(counts.values()) else "FAIL"
    lost = counts["lost_commit"]
    crashes = counts["crash"] + counts["hang"]
    print(f"torture: seconds={args.seconds} workers={args.workers} "
          f"operations={report['operations']} kills={sup.kills} restarts={sup.restarts} "
          f"commits={commits} lost_commits={lost} fsck_findings={checker.facts.get('fsck_findings', 0)} "
          f"crashes={crashes} " + " ".join(f"{k}={v}" for k, v in counts.items()
                                           if k not in ("lost_commit", "crash", "hang", "fsck") and v)
          + f" verdict={verdict}")
    return verdict == "PASS"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_cli = os.path.join(here, "..", "..", "build", "cli", "contentstore")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cli", default=os.environ.get("CONTENTSTORE_CLI", default_cli),
                   help="the contentstore binary (default: build/cli/contentstore)")
    p.add_argument("--seconds", type=float, default=120, help="how long the workers run")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    p.add_argument("--kill-min", type=float, default=0.3, help="least seconds between kills")
    p.add_argument("--kill-max", type=float, default=2.0,
                   help="most seconds between kills (0: no kills)")
    p.add_argument("--workdir", default=None,
                   help="where the store and logs go (default: a new directory in $TMPDIR)")
    p.add_argument("--keep", action="store_true", help="keep the work directory even on success")
    # Worker mode (internal).
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--incarnation", type=int, help=argparse.SUPPRESS)
    p.add_argument("--root", help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker is not None:
        return Worker(args).run()

    args.cli = os.path.abspath(args.cli)
    if not os.access(args.cli, os.X_OK):
        print(f"torture: no contentstore binary at {args.cli} (build it, or pass --cli)",
              file=sys.stderr)
        return 2
    if args.seed is None:
        args.seed = int(time.time())
    args.work = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="contentstore-torture-"))
    os.makedirs(args.work, exist_ok=True)
    args.root = os.path.join(args.work, "store")
    print(f"torture: {args.workers} workers for {args.seconds:g}s, seed {args.seed}, "
          f"work directory {args.work}", flush=True)
    t0 = time.monotonic()
    set_subreaper()
    sup = Supervisor(args)
    sup.chaos()
    print(f"torture: chaos done after {time.monotonic() - t0:.0f}s; checking", flush=True)
    checker = Checker(args)
    checker.run()
    ok = summarize(args, sup, checker)
    print(f"torture: elapsed {time.monotonic() - t0:.0f}s; report {args.work}/report.json")
    if ok and not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    elif not ok:
        print(f"torture: kept {args.work} for inspection")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
