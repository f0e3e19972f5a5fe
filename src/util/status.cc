#include "contentstore/status.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace contentstore {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kUnavailable: return "Unavailable";
    case Code::kFailedPrecondition: return "FailedPrecondition";
    case Code::kDataLoss: return "DataLoss";
    case Code::kIOError: return "IOError";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg));
}

namespace internal {
void DieWithStatus(const Status& status) {
  std::fprintf(stderr, "contentstore: value of a failed Result used: %s\n",
               status.ToString().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace contentstore
