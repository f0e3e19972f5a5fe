#include "catalog/ingest_row.h"

#include <unistd.h>

#include <fmt/format.h>

#include "util/clock.h"
#include "embedded_sql.h"
#include "util/text.h"

namespace contentstore {

IngestStatus IngestRow::ToStatus(int64_t status_offset, int64_t status_updated_at) const {
  IngestStatus status;
  status.ref = ref;
  status.offset = status_offset;
  status.total = total;
  if (expected) {
    if (auto d = Digest::Parse(*expected); d.ok()) status.expected = *d;
  }
  status.started_at = FromNanos(started_at);
  status.updated_at = FromNanos(status_updated_at);
  return status;
}

Result<std::optional<IngestRow>> LoadIngestRow(Session& session, const std::string& ref) {
  auto q = session.Prepare(sql::q::ingest_get);
  q->bindNoCopy(1, ref);
  if (!q->executeStep()) return std::optional<IngestRow>();
  IngestRow row;
  row.ref = q->getColumn(0).getString();
  row.id = q->getColumn(1).getString();
  row.offset = q->getColumn(2).getInt64();
  if (!q->isColumnNull(3)) row.total = q->getColumn(3).getInt64();
  if (!q->isColumnNull(4)) row.expected = q->getColumn(4).getString();
  row.algorithm = q->getColumn(5).getString();
  if (!q->isColumnNull(6)) row.hash_state = q->getColumn(6).getString();
  row.started_at = q->getColumn(7).getInt64();
  row.updated_at = q->getColumn(8).getInt64();
  if (!q->isColumnNull(9)) row.lock_pid = q->getColumn(9).getInt64();
  if (!q->isColumnNull(10)) row.lock_token = q->getColumn(10).getString();
  if (!q->isColumnNull(11)) row.locked_at = q->getColumn(11).getInt64();
  return std::optional<IngestRow>(std::move(row));
}

void MoveIngestLeasesToBlob(Session& session, const std::string& ref, const std::string& digest) {
  auto move = session.Prepare(sql::q::lease_ingest_becomes_content);
  move->bindNoCopy(1, ref);
  move->bindNoCopy(2, digest);
  move->exec();
  DropIngestLeases(session, ref);
}

void DropIngestLeases(Session& session, const std::string& ref) {
  auto drop = session.Prepare(sql::q::lease_ingest_release);
  drop->bindNoCopy(1, ref);
  drop->exec();
}

Status RefLockedStatus(const std::string& ref, const std::optional<IngestRow>& row) {
  if (!row || !row->lock_pid || !row->locked_at) {
    return Status::Unavailable(
        fmt::format("ref \"{}\" is locked by another writer", Printable(ref)));
  }
  const double held_s = static_cast<double>(NowNanos() - *row->locked_at) / 1e9;
  return Status::Unavailable(fmt::format(
      "ref \"{}\" is locked by pid {}{} since {} ({:.1f}s ago)", Printable(ref), *row->lock_pid,
      *row->lock_pid == ::getpid() ? " (this process)" : "", FormatRfc3339(*row->locked_at),
      held_s));
}

}  // namespace contentstore
