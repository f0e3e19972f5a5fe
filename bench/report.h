// Report lines: one JSON object per workload, with the containerd harness's
// keys, meanings and formatting (Go's encoding/json of its `result` struct:
// same key order, zero values left out, the same rounding), followed by
// contentstore's own keys (sync mode, resident memory, ...).
//
// Keys shared with the harness: impl, workload, n (items processed in the
// timed part), bytes (bytes per item), seconds, ops_per_s (n / seconds),
// mb_per_s (n * bytes / 2^20 / seconds), matched (filter hits), threads,
// calls (API calls in the timed part), error.
//
// Thread-safety: Emitter may be used from many threads; Line is a value.

#ifndef CONTENTSTORE_BENCH_REPORT_H_
#define CONTENTSTORE_BENCH_REPORT_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace contentstore::bench {

// "contentstore-<version>".
std::string_view ImplName();

struct Line {
  std::string workload;
  int64_t n = 0;
  int64_t bytes = 0;
  double seconds = 0;
  std::optional<double> ops_per_s;
  std::optional<double> mb_per_s;
  std::optional<int64_t> matched;
  int threads = 0;
  int64_t calls = 0;
  std::string error;
  // contentstore's own keys, after the harness's, as raw JSON values in order.
  std::vector<std::pair<std::string, std::string>> extra;

  void add(std::string key, int64_t value);
  void add(std::string key, bool value);
  void add(std::string key, double value);
};

// The harness's mk(): n items of `bytes` bytes each in `seconds`.
Line MakeLine(std::string_view workload, int64_t n, int64_t bytes, double seconds);
Line ErrorLine(std::string_view workload, std::string_view error);

// Go's round(): to `digits` decimals, at least 4 below 100.
double Round(double x, int digits);
// A JSON number as Go prints a float64 (no exponent, no trailing zeros).
std::string JsonNumber(double x);
std::string JsonString(std::string_view s);
std::string ToJson(const Line& line);

// Adds "key":value (value is raw JSON) before the closing brace of a JSON
// object given as text.
std::string AppendKey(std::string_view object, std::string_view key, std::string_view value);

// Writes whole lines to a file descriptor (the pipe to the parent process),
// one write(2) per line so that lines from threads never mix; with fd < 0 it
// keeps them for take_lines() instead.
class Emitter {
 public:
  explicit Emitter(int fd) : fd_(fd) {}
  void emit(const Line& line);
  void emit_raw(std::string_view json_line);
  // True once an error line went out.
  bool failed() const { return failed_; }
  // The lines kept so far (fd < 0), without their newlines.
  std::vector<std::string> take_lines();

 private:
  int fd_;
  std::mutex mu_;
  bool failed_ = false;
  std::vector<std::string> lines_;
};

}  // namespace contentstore::bench

#endif  // CONTENTSTORE_BENCH_REPORT_H_
