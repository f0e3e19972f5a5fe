// A one-line progress bar on standard error for long transfers: bytes done,
// rate and time left. It redraws at most ten times a second (a 1 GiB ingest
// calls Update() a thousand times) and erases its line when done, so what the
// command prints afterwards starts on a clean line.
//
// Thread-safety: one thread.

#ifndef CONTENTSTORE_CLI_PROGRESS_H_
#define CONTENTSTORE_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace contentstore::cli {

class ProgressBar {
 public:
  // Draws nothing when !enabled. `done` bytes are there already (a resumed
  // ingest): they fill the bar but do not count toward the rate.
  ProgressBar(bool enabled, std::string label, int64_t done, std::optional<int64_t> total);
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(int64_t done);
  // Erases the line. Idempotent.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;
  void Draw(Clock::time_point now);

  bool enabled_;
  bool drawn_ = false;
  std::string label_;
  int64_t start_done_;
  int64_t done_;
  std::optional<int64_t> total_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_PROGRESS_H_
