// The store the catalog fuzzer starts from: a few of everything a catalog
// holds (blobs of each algorithm, labels, a reference graph with a dangling
// and a malformed reference, a removed blob, ingests with and without an
// expected digest, leases that hold things, one expired), built through the
// public API only, so it stays valid while the internals change.
//
// Everything in it is deterministic but the times: blob files and ingest
// directories built by two runs match, so a catalog saved from one run (a
// seed, see catalog_seeds.cc) fits the files of another (the fuzzer's).

#ifndef CONTENTSTORE_FUZZ_CATALOG_FIXTURE_H_
#define CONTENTSTORE_FUZZ_CATALOG_FIXTURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"
#include "contentstore/store.h"

namespace contentstore::fuzz {

// Creates the store at `root` (which must not exist) and fills it.
Status BuildFixture(const std::string& root);

// Changes an open fixture store: labels, a removal, a lease resource, a
// resumed ingest. A catalog copied while `store` is still open has these in
// catalog.db-wal rather than in catalog.db.
Status ChangeFixture(Store& store);

// A fuzzer input holding a catalog and its WAL: kWalMagic, the catalog's
// size as 4 bytes little-endian, the catalog, the WAL. Any other input is a
// catalog alone.
inline constexpr std::string_view kWalMagic{"CSWAL\0\0\0", 8};
std::string PackWithWal(std::string_view db, std::string_view wal);
// Splits an input into catalog and WAL (empty when there is none).
void Unpack(std::string_view input, std::string_view* db, std::string_view* wal);

}  // namespace contentstore::fuzz

#endif  // CONTENTSTORE_FUZZ_CATALOG_FIXTURE_H_
