#include "catalog_fixture.h"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <utility>

namespace contentstore::fuzz {
namespace {

constexpr char kRoot[] = "containerd.io/gc.root";
constexpr char kRef[] = "containerd.io/gc.ref.content";

// `n` bytes that depend on `seed` only.
std::string Bytes(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

Result<Digest> Commit(Store& store, const std::string& ref, std::string_view bytes,
                      Algorithm algorithm, const Labels& labels = {}) {
  WriterOptions options;
  options.ref = ref;
  options.algorithm = algorithm;
  auto w = store.writer(options);
  if (!w.ok()) return w.status();
  if (Status s = (*w)->write(bytes); !s.ok()) return s;
  const Digest d = (*w)->digest();
  if (Status s = (*w)->commit(static_cast<int64_t>(bytes.size()), d, labels); !s.ok()) return s;
  return d;
}

// An ingest left active with `bytes` written.
Status Leave(Store& store, WriterOptions options, std::string_view bytes) {
  auto w = store.writer(options);
  if (!w.ok()) return w.status();
  if (Status s = (*w)->write(bytes); !s.ok()) return s;
  return (*w)->close();
}

Options FixtureOptions() {
  Options options;
  options.sync = false;  // consistent after a clean exit, which is all a fixture needs
  options.reserve_bytes = 0;  // no 8 MiB ROOT/reserve for the fuzzer to copy per input
  return options;
}

}  // namespace

Status BuildFixture(const std::string& root) {
  auto opened = Store::Open(root, FixtureOptions());
  if (!opened.ok()) return opened.status();
  Store& store = **opened;

  auto config = Commit(store, "config", R"({"architecture":"amd64"})", Algorithm::kSHA256,
                       {{"app", "fuzz"}, {"a.b/c", "dotted key"}});
  if (!config.ok()) return config.status();
  auto layer = Commit(store, "layer-0", Bytes(3000, 1), Algorithm::kSHA256,
                      {{"containerd.io/uncompressed", "sha256:" + std::string(64, '0')}});
  if (!layer.ok()) return layer.status();
  auto big = Commit(store, "layer-384", Bytes(700, 2), Algorithm::kSHA384);
  if (!big.ok()) return big.status();
  auto huge = Commit(store, "layer-512", Bytes(900, 3), Algorithm::kSHA512, {{"é", "ünïcode"}});
  if (!huge.ok()) return huge.status();
  auto empty = Commit(store, "empty", "", Algorithm::kSHA256);
  if (!empty.ok()) return empty.status();
  // A manifest: a root with edges to the config and the layer, one to a blob
  // that is not there, and one that is not a digest (fsck reports it).
  auto manifest = Commit(store, "manifest", Bytes(500, 4), Algorithm::kSHA256,
                         {{kRoot, "2026-01-01T00:00:00Z"},
                          {std::string(kRef) + ".config", config->str()},
                          {std::string(kRef) + ".l.0", layer->str()},
                          {std::string(kRef) + "/m", big->str()},
                          {std::string(kRef) + ".missing", "sha256:" + std::string(64, 'f')},
                          {std::string(kRef) + ".bad", "not-a-digest"}});
  if (!manifest.ok()) return manifest.status();
  auto doomed = Commit(store, "doomed", Bytes(100, 5), Algorithm::kSHA256);
  if (!doomed.ok()) return doomed.status();
  if (Status s = store.remove(*doomed); !s.ok()) return s;

  const std::string small_a = Bytes(10, 6), small_b = Bytes(20, 7);
  const BlobInput batch[] = {
      {std::as_bytes(std::span(small_a)), std::nullopt, {{"batch", "1"}}},
      {std::as_bytes(std::span(small_b)), std::nullopt, {}},
  };
  auto put = store.put_blobs(batch);
  if (!put.ok()) return put.status();

  LeaseOptions lease;
  lease.id = "lease-a";
  lease.expire = std::chrono::hours(24 * 365 * 50);
  lease.labels = {{"owner", "fuzz"}};
  if (auto l = store.create_lease(lease); !l.ok()) return l.status();
  LeaseOptions expired;
  expired.id = "lease-expired";
  expired.labels = {{"containerd.io/gc.expire", "2001-01-01T00:00:00Z"}};
  if (auto l = store.create_lease(expired); !l.ok()) return l.status();
  if (Status s = store.add_lease_resource("lease-a", {LeaseResource::Type::kContent, big->str()});
      !s.ok()) {
    return s;
  }

  WriterOptions partial;
  partial.ref = "ingest-partial";
  if (Status s = Leave(store, partial, Bytes(100, 8)); !s.ok()) return s;
  const std::string expected_bytes = Bytes(400, 9);
  Digester digester;
  digester.update(expected_bytes);
  WriterOptions expected;
  expected.ref = "ingest-expected";
  expected.expected = digester.digest();
  expected.total = static_cast<int64_t>(expected_bytes.size());
  if (Status s = Leave(store, expected, std::string_view(expected_bytes).substr(0, 150)); !s.ok()) {
    return s;
  }
  WriterOptions leased;
  leased.ref = "ingest-leased";
  leased.lease = "lease-a";
  leased.algorithm = Algorithm::kSHA512;
  return Leave(store, leased, Bytes(64, 10));
}

Status ChangeFixture(Store& store) {
  Result<Info> info = Status::NotFound("no blob");
  if (Status s = store.walk([&](const Info& i) {
        if (i.labels.count("app") > 0) info = i;
        return Status::OK();
      });
      !s.ok()) {
    return s;
  }
  if (!info.ok()) return info.status();
  Info changed = *info;
  changed.labels = {{"app", "fuzz-2"}, {"added", "yes"}};
  if (auto u = store.update(changed); !u.ok()) return u.status();
  if (Status s =
          store.add_lease_resource("lease-a", {LeaseResource::Type::kIngest, "ingest-partial"});
      !s.ok()) {
    return s;
  }
  WriterOptions partial;
  partial.ref = "ingest-partial";
  auto w = store.writer(partial);
  if (!w.ok()) return w.status();
  if (Status s = (*w)->write("more bytes"); !s.ok()) return s;
  return (*w)->close();
}

std::string PackWithWal(std::string_view db, std::string_view wal) {
  std::string out(kWalMagic);
  const auto n = static_cast<uint32_t>(db.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(db);
  out.append(wal);
  return out;
}

void Unpack(std::string_view input, std::string_view* db, std::string_view* wal) {
  *db = input;
  *wal = {};
  if (input.size() < kWalMagic.size() + 4 || input.substr(0, kWalMagic.size()) != kWalMagic) return;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    n |= static_cast<uint32_t>(static_cast<unsigned char>(input[kWalMagic.size() + i])) << (8 * i);
  }
  const std::string_view rest = input.substr(kWalMagic.size() + 4);
  *db = rest.substr(0, std::min<size_t>(n, rest.size()));
  *wal = rest.substr(db->size());
}

}  // namespace contentstore::fuzz
