// IngestRow: one row of the catalog's ingests table, and the queries on it
// that several modules share (writer open, status, abort, recovery).
//
// Thread-safety: functions run inside a Catalog::Read/Write body.

#ifndef CONTENTSTORE_SRC_INGEST_ROW_H_
#define CONTENTSTORE_SRC_INGEST_ROW_H_

#include <cstdint>
#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "contentstore/status.h"
#include "contentstore/types.h"

namespace contentstore {

struct IngestRow {
  std::string ref;
  std::string id;
  int64_t offset = 0;
  std::optional<int64_t> total;
  std::optional<std::string> expected;
  std::string algorithm;
  std::optional<std::string> hash_state;
  int64_t started_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> lock_pid;
  std::optional<std::string> lock_token;
  std::optional<int64_t> locked_at;

  // The public view; `offset` and `updated_at` as given.
  IngestStatus ToStatus(int64_t offset, int64_t updated_at) const;
};

// Reads the row for `ref`; nullopt when there is none.
Result<std::optional<IngestRow>> LoadIngestRow(Session& session, const std::string& ref);

// Leases that held the ingest `ref` now hold the blob `digest` instead (at
// commit, or when the commit found the blob already there).
void MoveIngestLeasesToBlob(Session& session, const std::string& ref, const std::string& digest);
// The ingest `ref` is gone: no lease holds it any more.
void DropIngestLeases(Session& session, const std::string& ref);

// The Unavailable status for a ref whose lock is held: names the ref, the
// holder's pid and since when, if the row says.
Status RefLockedStatus(const std::string& ref, const std::optional<IngestRow>& row);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_INGEST_ROW_H_
