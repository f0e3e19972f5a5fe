// The progress bar (see progress.h).

#include "progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "output.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(100);

int TerminalColumns() {
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

std::string Hms(int64_t seconds) {
  if (seconds >= 3600) {
    return fmt::format("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  }
  return fmt::format("{}:{:02}", seconds / 60, seconds % 60);
}

}  // namespace

ProgressBar::ProgressBar(bool enabled, std::string label, int64_t done,
                         std::optional<int64_t> total)
    : enabled_(enabled),
      label_(Escaped(label)),
      start_done_(done),
      done_(done),
      total_(total),
      start_(Clock::now()),
      last_draw_(start_) {}

void ProgressBar::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (drawn_ && now - last_draw_ < kRedrawEvery) return;
  Draw(now);
}

void ProgressBar::Draw(Clock::time_point now) {
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0.05 ? static_cast<double>(done_ - start_done_) / elapsed : 0;
  std::string right;
  if (total_ && *total_ > 0) {
    const int percent = static_cast<int>(std::min<int64_t>(100, done_ * 100 / *total_));
    right = fmt::format(" {:>3}% {} / {}", percent, HumanSize(done_), HumanSize(*total_));
  } else {
    right = fmt::format(" {}", HumanSize(done_));
  }
  if (rate > 0) {
    right += fmt::format("  {}/s", HumanSize(static_cast<int64_t>(rate)));
    if (total_ && *total_ > done_) {
      right += fmt::format("  ETA {}", Hms(static_cast<int64_t>((*total_ - done_) / rate)));
    }
  }
  const int columns = TerminalColumns() - 1;  // the last column would wrap on some terminals
  std::string left = label_;
  const size_t max_label = static_cast<size_t>(columns / 3);
  if (left.size() > max_label) left = left.substr(0, max_label > 3 ? max_label - 3 : 0) + "...";
  std::string bar;
  // Room for the bar after the label and the widest the numbers get
  // ("100% 1023.9 MiB / 1023.9 MiB  1023.9 MiB/s  ETA 10:00:00"), so its
  // width stays put while the numbers change.
  constexpr int kNumbersWidth = 56;
  const int room = columns - static_cast<int>(left.size()) - 3 - kNumbersWidth;
  if (total_ && *total_ > 0 && room >= 10) {
    const int width = std::min(room, 40);
    const int filled = static_cast<int>(std::min<int64_t>(width, done_ * width / *total_));
    bar = " [" + std::string(static_cast<size_t>(filled), '=') +
          std::string(static_cast<size_t>(width - filled), ' ') + "]";
  }
  // \r back to the start, \x1b[K erases what a longer previous line left.
  WriteErr(fmt::format("\r{}{}{}\x1b[K", left, bar, right));
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!enabled_) return;
  enabled_ = false;
  if (drawn_) {
    WriteErr("\r\x1b[K");
  }
}

}  // namespace contentstore::cli
