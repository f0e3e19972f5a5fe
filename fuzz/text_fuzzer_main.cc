// libFuzzer's entry point for the targets whose input is one text: each of
// them defines FuzzText (fuzz_util.h).

#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  contentstore::fuzz::FuzzText(contentstore::fuzz::AsText(data, size));
  return 0;
}
