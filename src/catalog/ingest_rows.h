// IngestRows: the catalog's ingests (uploads in progress) and their ref
// locks (table ingests), one function per named query in
// queries/*/ingests.sql.
//
// A writer's lock is two layers (store/ingest_writer.h): the kernel's flock
// on its directory decides, and the row's lock_pid, lock_token and
// locked_at say who holds it and since when. Updates that only the holder
// may make name its token and report whether the row was still there.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_INGEST_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_INGEST_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/filtered_query.h"
#include "contentstore/types.h"
#include "filter/filter_sql.h"

namespace contentstore::catalog {

struct IngestRow {
  std::string ref;
  std::string id;  // the directory name under ingest/
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
  // An ingest whose bytes go to the blob tier as parts (files/ingest_uploads.h).
  std::optional<std::string> upload_id;
  int64_t uploaded = 0;  // bytes the recorded parts hold
  std::optional<std::string> uploaded_hash_state;
  std::optional<std::string> staged_on;  // node whose directory holds the bytes past `uploaded`

  // The public view, with `offset` and `updated_at` as given.
  IngestStatus ToStatus(int64_t offset, int64_t updated_at) const;
};

// A new ingest claimed by its first writer.
struct NewIngest {
  std::string ref, id;
  std::optional<int64_t> total;
  std::optional<std::string> expected;
  std::string algorithm;
  int64_t now = 0;
  int64_t lock_pid = 0;
  std::string lock_token;
  std::optional<std::string> staged_on;
};

// What a writer learned or reset while reconciling a resumed ingest.
struct IngestMeta {
  int64_t offset = 0;
  std::optional<std::string> hash_state;
  std::optional<int64_t> total;
  std::optional<std::string> expected;
  std::string algorithm;
  int64_t started_at = 0;
  int64_t updated_at = 0;
  std::optional<std::string> staged_on;
};

struct IngestPlace {
  std::string ref, id;
  std::string lock_token;  // empty unless asked for
  int64_t offset = 0;
  std::optional<std::string> upload_id;  // All, Stale and Uploads only
  std::optional<std::string> staged_on;  // All only
};

// One recorded part of an ingest's upload.
struct IngestPart {
  int number = 0;
  int64_t size = 0;
  std::string etag;
};

class IngestRows {
 public:
  explicit IngestRows(Transaction& tx) : tx_(tx) {}

  // What list filters may name: ref.
  static const filter::FieldSchema& FilterFields();

  std::optional<IngestRow> Find(const std::string& ref);
  void Insert(const NewIngest& ingest);
  // Records a new holder. REQUIRES: the caller holds the directory's flock.
  void Claim(const std::string& ref, int64_t pid, const std::string& token, int64_t now);
  // The holder's updates; false when the row is gone (or no longer theirs).
  bool SetMeta(const std::string& ref, const std::string& token, const IngestMeta& meta);
  bool Checkpoint(const std::string& ref, const std::string& token, int64_t offset,
                  std::string_view hash_state, int64_t updated_at);
  // Checkpoint and clear the lock.
  bool Release(const std::string& ref, const std::string& token, int64_t offset,
               std::string_view hash_state, int64_t updated_at);
  // Clears the lock only (a holder found dead, a broken writer).
  void Unlock(const std::string& ref, const std::string& token);
  // The holder started the ingest's upload.
  bool SetUpload(const std::string& ref, const std::string& token, const std::string& upload_id);
  // The holder's part `part` is in; the parts hold `uploaded` bytes hashing
  // to `hash_state`.
  bool AddPart(const std::string& ref, const std::string& token, const IngestPart& part,
               int64_t uploaded, std::string_view hash_state);
  // The recorded parts, by number.
  std::vector<IngestPart> Parts(const std::string& ref);
  // The ingest starts over without its upload (the caller discards it).
  bool ForgetUpload(const std::string& ref, const std::string& token);
  // Every ingest with an upload (ref, id, upload_id).
  std::vector<IngestPlace> Uploads();
  bool Delete(const std::string& ref);
  bool DeleteOwned(const std::string& ref, const std::string& token);

  // Ingests `filter` accepts, by ref, with their catalog offsets.
  Result<std::vector<IngestStatus>> List(const FilteredQuery& filter);
  // Ingests whose lock is recorded as held (with their tokens).
  std::vector<IngestPlace> Locked();
  bool IdExists(const std::string& id);
  // Every ingest, by ref, with its recorded offset.
  std::vector<IngestPlace> All();
  // Ingests not written since `cutoff` that no lease unexpired at `now` holds.
  std::vector<IngestPlace> Stale(int64_t cutoff, int64_t now);

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_INGEST_ROWS_H_
