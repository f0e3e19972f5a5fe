// How the command shows things: human sizes and ages, RFC 3339 times, aligned
// tables, and the JSON objects of --json. One place, so every command prints a
// blob or an ingest the same way and scripts can rely on the shapes:
//
//   blob:   {"digest","size","created_at","updated_at","labels":{...}}
//   ingest: {"ref","offset","total","expected","started_at","updated_at"}
//           (total and expected are null when unknown)
//   lease:  {"id","created_at","expires_at","labels":{...}}
//           (expires_at is null when the lease never expires)
//   image:  {"name","target":{"mediaType","digest","size"},"created_at",
//            "updated_at","labels":{...}}

#ifndef CONTENTSTORE_CLI_OUTPUT_H_
#define CONTENTSTORE_CLI_OUTPUT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/image.h"
#include "contentstore/lease.h"
#include "contentstore/types.h"

namespace contentstore::cli {

// "512 B", "1.0 KiB", "12.3 MiB": binary units, one decimal above bytes.
std::string HumanSize(int64_t bytes);

// "just now", "1 second ago", "3 minutes ago", "2 hours ago", "5 days ago",
// then weeks, months and years. Times in the future (clock skew) are
// "just now".
std::string HumanAge(Timestamp then, Timestamp now);

// "12902343 bytes (12.3 MiB)", "512 bytes": exact, and readable, for the
// key: value lines of info and status.
std::string SizeText(int64_t bytes);

// "2026-11-28T05:50:00.123456789Z (3 minutes ago)".
std::string TimeText(Timestamp time, Timestamp now);

// "2026-11-28T05:50:00.123456789Z": UTC, always nine fraction digits, so the
// strings sort as the times do.
std::string Rfc3339(Timestamp time);

// `text` with control characters and DEL as \xNN, so a label value holding a
// newline or an escape sequence cannot break a table or the terminal.
std::string Escaped(std::string_view text);

// "k=v,k2=v2" in key order, escaped; "-" when there are none.
std::string LabelsText(const Labels& labels);

// "1 blob", "0 blobs", "3 blobs": `noun` with an "s" unless `n` is 1.
std::string CountText(int64_t n, std::string_view noun);

// When a lease expires: "never", its RFC 3339 time, or that time followed by
// " (expired)" once it is past (the collector deletes it on its next run).
std::string ExpiresText(const Lease& lease, Timestamp now);

nlohmann::ordered_json BlobJson(const Info& info);
nlohmann::ordered_json IngestJson(const IngestStatus& status);
nlohmann::ordered_json LeaseJson(const Lease& lease);
nlohmann::ordered_json ImageJson(const Image& image);

// One compact line of JSON with its newline. Bytes that are not UTF-8 (a
// label may hold any) become U+FFFD instead of making the dump throw.
std::string JsonLine(const nlohmann::ordered_json& value);

// Rows of cells printed in aligned columns, two spaces apart. The last
// column is not padded, so lines carry no trailing blanks.
class Table {
 public:
  // Without a header, for lines that are all data (fsck's problems).
  Table() = default;
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  // Right-aligns column `index` (numbers read better that way).
  void AlignRight(size_t index);
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
};

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_OUTPUT_H_
