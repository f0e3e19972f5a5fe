// Formatting helpers for human and JSON output (see output.h).

#include "output.h"

#include <fmt/format.h>
#include <time.h>

#include <array>

namespace contentstore::cli {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

// Code points, which is how fmt pads text that is not wider than one column
// per character; good enough for labels and refs in a table.
size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Plural(int64_t n, std::string_view unit) {
  return fmt::format("{} {}{} ago", n, unit, n == 1 ? "" : "s");
}

}  // namespace

std::string HumanSize(int64_t bytes) {
  static constexpr std::array<std::string_view, 7> kUnits = {"B",   "KiB", "MiB", "GiB",
                                                             "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  // Step up while the value, rounded to one decimal, would reach 1024: so
  // 1048575 bytes is "1.0 MiB", never "1024.0 KiB".
  while (unit + 1 < kUnits.size() && value >= 1024 * 0.99995) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string HumanAge(Timestamp then, Timestamp now) {
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  constexpr int64_t kMinute = 60, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (seconds < 1) return "just now";
  if (seconds < kMinute) return Plural(seconds, "second");
  if (seconds < kHour) return Plural(seconds / kMinute, "minute");
  if (seconds < 2 * kDay) return Plural(seconds / kHour, "hour");
  if (seconds < 14 * kDay) return Plural(seconds / kDay, "day");
  if (seconds < 60 * kDay) return Plural(seconds / (7 * kDay), "week");
  if (seconds < 730 * kDay) return Plural(seconds / (30 * kDay), "month");
  return Plural(seconds / (365 * kDay), "year");
}

std::string Rfc3339(Timestamp time) {
  const int64_t nanos = time.time_since_epoch().count();
  // Floor division: a time before 1970 still gets a fraction in [0, 1e9).
  int64_t seconds = nanos / kNanosPerSecond;
  int64_t fraction = nanos % kNanosPerSecond;
  if (fraction < 0) {
    fraction += kNanosPerSecond;
    --seconds;
  }
  const time_t as_time_t = static_cast<time_t>(seconds);
  struct tm tm {};
  if (::gmtime_r(&as_time_t, &tm) == nullptr) return fmt::format("@{}ns", nanos);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

std::string SizeText(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  return fmt::format("{} bytes ({})", bytes, HumanSize(bytes));
}

std::string TimeText(Timestamp time, Timestamp now) {
  return fmt::format("{} ({})", Rfc3339(time), HumanAge(time, now));
}

std::string Escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelsText(const Labels& labels) {
  if (labels.empty()) return "-";
  std::string out;
  for (const auto& [key, value] : labels) {  // std::map: already in key order
    if (!out.empty()) out += ',';
    out += Escaped(key);
    out += '=';
    out += Escaped(value);
  }
  return out;
}

std::string CountText(int64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string ExpiresText(const Lease& lease, Timestamp now) {
  if (!lease.expires_at) return "never";
  // As the collector judges it: a lease expiring now is expired.
  if (*lease.expires_at <= now) return Rfc3339(*lease.expires_at) + " (expired)";
  return Rfc3339(*lease.expires_at);
}

nlohmann::ordered_json BlobJson(const Info& info) {
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const auto& [key, value] : info.labels) labels[key] = value;
  return {{"digest", info.digest.str()},
          {"size", info.size},
          {"created_at", Rfc3339(info.created_at)},
          {"updated_at", Rfc3339(info.updated_at)},
          {"labels", std::move(labels)}};
}

nlohmann::ordered_json IngestJson(const IngestStatus& status) {
  nlohmann::ordered_json out;
  out["ref"] = status.ref;
  out["offset"] = status.offset;
  out["total"] = status.total ? nlohmann::ordered_json(*status.total) : nullptr;
  out["expected"] = status.expected ? nlohmann::ordered_json(status.expected->str()) : nullptr;
  out["started_at"] = Rfc3339(status.started_at);
  out["updated_at"] = Rfc3339(status.updated_at);
  return out;
}

nlohmann::ordered_json LeaseJson(const Lease& lease) {
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const auto& [key, value] : lease.labels) labels[key] = value;
  nlohmann::ordered_json out;
  out["id"] = lease.id;
  out["created_at"] = Rfc3339(lease.created_at);
  out["expires_at"] =
      lease.expires_at ? nlohmann::ordered_json(Rfc3339(*lease.expires_at)) : nullptr;
  out["labels"] = std::move(labels);
  return out;
}

nlohmann::ordered_json ImageJson(const Image& image) {
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const auto& [key, value] : image.labels) labels[key] = value;
  nlohmann::ordered_json out;
  out["name"] = image.name;
  out["target"]["mediaType"] = image.target.media_type;
  out["target"]["digest"] = image.target.digest.str();
  out["target"]["size"] = image.target.size;
  out["created_at"] = Rfc3339(image.created_at);
  out["updated_at"] = Rfc3339(image.updated_at);
  out["labels"] = std::move(labels);
  return out;
}

std::string JsonLine(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
}

void Table::AlignRight(size_t index) {
  if (right_.size() <= index) right_.resize(index + 1, false);
  right_[index] = true;
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      const bool right = i < right_.size() && right_[i];
      if (right) {
        out += fmt::format("{:>{}}", row[i], widths[i]);
      } else if (last) {
        out += row[i];
      } else {
        out += fmt::format("{:<{}}", row[i], widths[i]);
      }
      if (!last) out += "  ";
    }
    out += '\n';
  }
  return out;
}

}  // namespace contentstore::cli
