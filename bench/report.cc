// JSON report lines in the containerd harness's format; see report.h.

#include "report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <utility>

#ifndef CONTENTSTORE_BENCH_VERSION
#error "CONTENTSTORE_BENCH_VERSION must be defined by the build"
#endif

namespace contentstore::bench {

std::string_view ImplName() {
  static const std::string name = std::string("contentstore-") + CONTENTSTORE_BENCH_VERSION;
  return name;
}

void Line::add(std::string key, int64_t value) {
  extra.emplace_back(std::move(key), std::to_string(value));
}
void Line::add(std::string key, bool value) {
  extra.emplace_back(std::move(key), value ? "true" : "false");
}
void Line::add(std::string key, double value) {
  extra.emplace_back(std::move(key), JsonNumber(value));
}

double Round(double x, int digits) {
  if (x < 100 && digits < 4) digits = 4;
  const double p = std::pow(10.0, digits);
  if (x * p >= 1e18) return x;
  return std::round(x * p) / p;
}

std::string JsonNumber(double x) {
  if (!std::isfinite(x)) return "null";
  // The shortest digits that read back as x (Go's choice too), written
  // without an exponent when 1e-6 <= |x| < 1e21, as Go's encoding/json does.
  std::string s = fmt::format("{}", x);
  const size_t e = s.find('e');
  const double a = std::fabs(x);
  if (e == std::string::npos || a >= 1e21 || (a < 1e-6 && a != 0)) return s;
  const bool negative = s[0] == '-';
  std::string mantissa = s.substr(negative ? 1 : 0, e - (negative ? 1 : 0));
  const int exponent = std::stoi(s.substr(e + 1));
  size_t point = mantissa.find('.');
  if (point == std::string::npos) point = mantissa.size();
  std::string digits = mantissa;
  if (point < digits.size()) digits.erase(point, 1);
  const int at = static_cast<int>(point) + exponent;  // new position of the point
  std::string out;
  if (at <= 0) {
    out = "0." + std::string(-at, '0') + digits;
  } else if (at >= static_cast<int>(digits.size())) {
    out = digits + std::string(at - digits.size(), '0');
  } else {
    out = digits.substr(0, at) + "." + digits.substr(at);
  }
  return negative ? "-" + out : out;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04x}", u);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

Line MakeLine(std::string_view workload, int64_t n, int64_t bytes, double seconds) {
  Line line;
  line.workload = workload;
  line.n = n;
  line.bytes = bytes;
  line.seconds = Round(seconds, 6);
  if (seconds > 0) {
    line.ops_per_s = Round(static_cast<double>(n) / seconds, 1);
    if (bytes > 0) {
      line.mb_per_s = Round(static_cast<double>(n) * static_cast<double>(bytes) /
                                static_cast<double>(int64_t{1} << 20) / seconds,
                            1);
    }
  }
  return line;
}

Line ErrorLine(std::string_view workload, std::string_view error) {
  Line line;
  line.workload = workload;
  line.error = error;
  return line;
}

std::string ToJson(const Line& line) {
  std::string out = "{\"impl\":" + JsonString(ImplName());
  out += ",\"workload\":" + JsonString(line.workload);
  if (line.n != 0) out += ",\"n\":" + std::to_string(line.n);
  if (line.bytes != 0) out += ",\"bytes\":" + std::to_string(line.bytes);
  if (line.seconds != 0) out += ",\"seconds\":" + JsonNumber(line.seconds);
  if (line.ops_per_s) out += ",\"ops_per_s\":" + JsonNumber(*line.ops_per_s);
  if (line.mb_per_s) out += ",\"mb_per_s\":" + JsonNumber(*line.mb_per_s);
  if (line.matched) out += ",\"matched\":" + std::to_string(*line.matched);
  if (line.threads != 0) out += ",\"threads\":" + std::to_string(line.threads);
  if (line.calls != 0) out += ",\"calls\":" + std::to_string(line.calls);
  if (!line.error.empty()) out += ",\"error\":" + JsonString(line.error);
  for (const auto& [key, value] : line.extra) out += "," + JsonString(key) + ":" + value;
  return out + "}";
}

std::string AppendKey(std::string_view object, std::string_view key, std::string_view value) {
  const size_t close = object.rfind('}');
  if (close == std::string_view::npos) return std::string(object);
  std::string out(object.substr(0, close));
  out += fmt::format(",{}:{}}}", JsonString(key), value);
  return out;
}

void Emitter::emit(const Line& line) {
  if (!line.error.empty()) {
    std::lock_guard lock(mu_);
    failed_ = true;
  }
  emit_raw(ToJson(line));
}

void Emitter::emit_raw(std::string_view json_line) {
  std::string text(json_line);
  std::lock_guard lock(mu_);
  if (fd_ < 0) {
    lines_.push_back(std::move(text));
    return;
  }
  text += '\n';
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("contentstore-bench: write");
      return;
    }
    done += static_cast<size_t>(n);
  }
}

std::vector<std::string> Emitter::take_lines() {
  std::lock_guard lock(mu_);
  return std::exchange(lines_, {});
}

}  // namespace contentstore::bench
