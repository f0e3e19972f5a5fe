#include "filter/regexp.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fmt/format.h>
#include <pcre2.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <new>
#include <utility>

namespace contentstore {
namespace {

// UTF mode so `.` and classes see characters, not bytes; MATCH_INVALID_UTF so
// a subject with invalid UTF-8 (label values are arbitrary bytes) is matched
// piecewise instead of failing the whole match with a UTF error.
constexpr uint32_t kCompileOptions = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;

// PCRE2's default match limit: about 0.2 s of interpreter backtracking on a
// catastrophic pattern, far more than any sane filter needs.
constexpr uint32_t kMatchLimit = 10'000'000;
// The interpreter keeps backtracking frames on the heap; these bound that
// memory. `(a|b)*` over 200,000 characters needs a depth of 200,000 and about
// 30 MiB, which stays within them.
constexpr uint32_t kDepthLimit = 1'000'000;
constexpr uint32_t kHeapLimitKiB = 64 * 1024;
// The JIT runs on its own stack, not the thread's, so it can never overflow
// the thread stack; when this is too small the interpreter takes over.
constexpr size_t kJitStackStart = 32 * 1024;
constexpr size_t kJitStackMax = 1024 * 1024;

// PCRE2 rejects a NULL pointer before 10.43 even with length 0, and an empty
// string_view may have one.
PCRE2_SPTR Bytes(std::string_view s) {
  return reinterpret_cast<PCRE2_SPTR>(s.empty() ? "" : s.data());
}

std::string ErrorMessage(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
  if (n < 0) return fmt::format("PCRE2 error {}", code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

// Counts Regex::Compile calls, so tests can check the SQL function compiles
// once per statement rather than once per row.
std::atomic<uint64_t> compile_count{0};

}  // namespace

struct Regex::Impl {
  std::string pattern;
  pcre2_code* code = nullptr;
  pcre2_match_data* match_data = nullptr;
  pcre2_match_context* match_context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    // All of these accept NULL.
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(match_context);
    pcre2_match_data_free(match_data);
    pcre2_code_free(code);
  }
};

Regex::Regex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regex::Regex(Regex&& other) noexcept = default;
Regex& Regex::operator=(Regex&& other) noexcept = default;
Regex::~Regex() = default;

const std::string& Regex::pattern() const { return impl_->pattern; }

uint64_t RegexCompileCount() { return compile_count.load(std::memory_order_relaxed); }

Result<Regex> Regex::Compile(std::string_view pattern) {
  compile_count.fetch_add(1, std::memory_order_relaxed);
  auto impl = std::make_unique<Impl>();
  impl->pattern = std::string(pattern);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  impl->code = pcre2_compile(Bytes(pattern), pattern.size(), kCompileOptions, &error_code,
                             &error_offset, nullptr);
  if (impl->code == nullptr) {
    return Status::InvalidArgument(fmt::format("invalid regular expression {:?}: {} at offset {}",
                                               pattern, ErrorMessage(error_code), error_offset));
  }
  // One ovector pair is enough: callers only ask whether there is a match.
  impl->match_data = pcre2_match_data_create(1, nullptr);
  impl->match_context = pcre2_match_context_create(nullptr);
  if (impl->match_data == nullptr || impl->match_context == nullptr) {
    return Status::Internal("out of memory compiling a regular expression");
  }
  pcre2_set_match_limit(impl->match_context, kMatchLimit);
  pcre2_set_depth_limit(impl->match_context, kDepthLimit);
  pcre2_set_heap_limit(impl->match_context, kHeapLimitKiB);
  // The JIT is an optimisation: when it is unavailable (no JIT support on
  // this CPU, or an SELinux policy forbidding executable memory) the
  // interpreter gives the same answers, only more slowly.
  if (pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE) == 0) {
    impl->jit_stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
    if (impl->jit_stack == nullptr) {
      return Status::Internal("out of memory allocating a regular expression JIT stack");
    }
    pcre2_jit_stack_assign(impl->match_context, nullptr, impl->jit_stack);
  }
  return Regex(std::move(impl));
}

Result<bool> Regex::Matches(std::string_view subject) {
  Impl& r = *impl_;
  int rc = pcre2_match(r.code, Bytes(subject), subject.size(), 0, 0, r.match_data, r.match_context);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // Deep but legitimate backtracking (a long subject against a repeated
    // group): the interpreter's heap-based frames have room for it.
    rc = pcre2_match(r.code, Bytes(subject), subject.size(), 0, PCRE2_NO_JIT, r.match_data,
                     r.match_context);
  }
  if (rc >= 0) return true;  // 0 means a match with too small an ovector: still a match
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT:
      return Status::InvalidArgument(
          fmt::format("regular expression {:?} is too costly to match against a {}-byte subject "
                      "({}); simplify it, e.g. avoid nested repetition",
                      r.pattern, subject.size(), ErrorMessage(rc)));
    case PCRE2_ERROR_NOMEMORY:
      return Status::Internal(
          fmt::format("out of memory matching regular expression {:?}", r.pattern));
    default:
      return Status::Internal(
          fmt::format("matching regular expression {:?}: {}", r.pattern, ErrorMessage(rc)));
  }
}

Status CheckRegex(std::string_view pattern) { return Regex::Compile(pattern).status(); }

Result<bool> RegexMatches(std::string_view pattern, std::string_view subject) {
  Result<Regex> re = Regex::Compile(pattern);
  if (!re.ok()) return re.status();
  return re->Matches(subject);
}

namespace {

void DeleteRegex(void* p) { delete static_cast<Regex*>(p); }

// The text form of a non-NULL value (numbers are converted, blobs taken as
// bytes). NULL from sqlite3_value_text then means out of memory, except for
// an empty value.
bool ValueText(sqlite3_value* v, std::string_view* out) {
  const unsigned char* text = sqlite3_value_text(v);
  // sqlite3_value_bytes after sqlite3_value_text: the length of the text form.
  const int n = sqlite3_value_bytes(v);
  if (text == nullptr && n != 0) return false;
  *out = text == nullptr
             ? std::string_view()
             : std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
  return true;
}

void RegexpFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  if (argc != 2) {
    sqlite3_result_error(ctx, "regexp() takes 2 arguments: pattern, subject", -1);
    return;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  // A C callback must not let an exception (std::bad_alloc) unwind into
  // SQLite.
  try {
    std::unique_ptr<Regex> compiled;
    auto* re = static_cast<Regex*>(sqlite3_get_auxdata(ctx, 0));
    if (re == nullptr) {
      std::string_view pattern;
      if (!ValueText(argv[0], &pattern)) {
        sqlite3_result_error_nomem(ctx);
        return;
      }
      Result<Regex> r = Regex::Compile(pattern);
      if (!r.ok()) {
        const std::string msg = "regexp(): " + r.status().message();
        sqlite3_result_error(ctx, msg.data(), static_cast<int>(msg.size()));
        return;
      }
      compiled = std::make_unique<Regex>(std::move(r).value());
      re = compiled.get();
    }
    std::string_view subject;
    if (!ValueText(argv[1], &subject)) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    Result<bool> matched = re->Matches(subject);
    if (!matched.ok()) {
      const std::string msg = "regexp(): " + matched.status().message();
      sqlite3_result_error(ctx, msg.data(), static_cast<int>(msg.size()));
    } else {
      sqlite3_result_int(ctx, *matched ? 1 : 0);
    }
    // Last, because SQLite may call the destructor before set_auxdata even
    // returns (on OOM), and `re` must not be used after that. When the
    // pattern argument is constant for the statement, the next row finds it.
    if (compiled != nullptr) sqlite3_set_auxdata(ctx, 0, compiled.release(), DeleteRegex);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (...) {
    sqlite3_result_error(ctx, "regexp(): internal error", -1);
  }
}

}  // namespace

Status RegisterRegexpFunction(sqlite3* db) {
  // DETERMINISTIC lets SQLite factor constant calls out of loops; INNOCUOUS
  // (it has no side effects and bounded cost) lets it appear in views and
  // triggers even with trusted_schema off.
  int rc = sqlite3_create_function_v2(db, "regexp", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      nullptr, RegexpFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Internal(
        fmt::format("registering the SQL function regexp(): {}", sqlite3_errmsg(db)));
  }
  return Status::OK();
}

}  // namespace contentstore
