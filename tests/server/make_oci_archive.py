#!/usr/bin/env python3
"""Writes a small OCI image archive offline, for `ctr images import`.

    make_oci_archive.py DIR [--layer-mib N] [--name NAME]

Makes DIR/layout/ (an OCI image layout: oci-layout, index.json,
blobs/sha256/...) and DIR/image.tar (the same as a tar), and prints the
digest of every blob, one a line: the layer, the config, the manifest. The
layer is a gzip'd tar holding one file of N MiB (default 8) of seeded
pseudo-random bytes, so it does not compress and its upload spans many
messages; the same arguments always give the same digests.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import random
import tarfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
        "s390x": "s390x", "riscv64": "riscv64"}


def add_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def layer_tar(mib):
    rng = random.Random(20261130)
    payload = rng.randbytes(mib << 20)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("data.bin")
        info.size = len(payload)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(payload))
    return raw.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--layer-mib", type=int, default=8)
    parser.add_argument("--name", default="docker.io/library/contentstore-test:latest")
    args = parser.parse_args()

    layout = os.path.join(args.dir, "layout")
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    tar = layer_tar(args.layer_mib)
    layer = gzip.compress(tar, mtime=0)
    layer_digest = add_blob(layout, layer)
    config = json.dumps({
        "architecture": ARCH.get(platform.machine(), platform.machine()),
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    }, sort_keys=True).encode()
    config_digest = add_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": len(layer)}],
    }, sort_keys=True).encode()
    manifest_digest = add_blob(layout, manifest)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": manifest_digest, "size": len(manifest),
                           "annotations": {"io.containerd.image.name": args.name}}],
        }, f)
    with tarfile.open(os.path.join(args.dir, "image.tar"), "w") as out:
        for name in ("oci-layout", "index.json", "blobs"):
            out.add(os.path.join(layout, name), arcname=name)
    for digest in (layer_digest, config_digest, manifest_digest):
        print(digest)


if __name__ == "__main__":
    main()
