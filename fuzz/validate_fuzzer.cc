// Fuzzes the input checks of include/contentstore/validate.h: refs, lease
// ids and labels, against an independent reading of the rules they document.
//
// Input: text. The whole is checked as a ref and as a lease id; split at the
// first '=' it is a label key and value (as `--label K=V` gives them).
//
// Invariants: each check accepts exactly what its rule says (refs: 1 to 1024
// bytes of UTF-8 without C0 controls or DEL; lease ids: the same with at most
// 256 bytes; labels: a non-empty key, key and value at most 4096 bytes
// together, both UTF-8 without NUL), ValidateLabels agrees with ValidateLabel,
// and every refusal is InvalidArgument with a short printable message.
//
// The rules say "no control characters"; the checks refuse the C0 controls
// and DEL but accept the C1 controls U+0080..U+009F (valid UTF-8). This
// target holds the library to what it implements; fuzz/README.md notes the
// difference.

#include <cstdint>
#include <string>
#include <string_view>

#include "contentstore/types.h"
#include "contentstore/validate.h"
#include "fuzz_util.h"

namespace contentstore::fuzz {
namespace {

bool NameOk(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && !HasAsciiControl(s) && IsUtf8(s);
}

bool LabelOk(std::string_view key, std::string_view value) {
  return !key.empty() && key.size() + value.size() <= kMaxLabelBytes &&
         key.find('\0') == std::string_view::npos && value.find('\0') == std::string_view::npos &&
         IsUtf8(key) && IsUtf8(value);
}

void Expect(const Status& s, bool ok, std::string_view what, std::string_view input) {
  if (s.ok() != ok) {
    Die(std::string(what) + (s.ok() ? " accepted" : " refused") + " \"" + std::string(input) +
        "\": " + s.ToString());
  }
  if (!s.ok()) CheckErrorStatus(s, what, 1100);
}

}  // namespace

void FuzzText(std::string_view text) {
  Expect(ValidateRef(text), NameOk(text, kMaxRefBytes), "ValidateRef", text);
  Expect(ValidateLeaseId(text), NameOk(text, 256), "ValidateLeaseId", text);

  const size_t eq = text.find('=');
  const std::string_view key = text.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? "" : text.substr(eq + 1);
  const bool label_ok = LabelOk(key, value);
  Expect(ValidateLabel(key, value), label_ok, "ValidateLabel", text);
  // With a valid label beside it (when the key is "ok" the map keeps the
  // first, the fuzzed one).
  const Labels labels{{std::string(key), std::string(value)}, {"ok", "fine"}};
  if (ValidateLabels(labels).ok() != label_ok) {
    Die("ValidateLabels disagrees with ValidateLabel");
  }
}

}  // namespace contentstore::fuzz
