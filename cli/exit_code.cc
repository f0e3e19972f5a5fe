#include "exit_code.h"

namespace contentstore::cli {

int ExitCode(Code code) {
  switch (code) {
    case Code::kOk: return 0;
    case Code::kInvalidArgument: return 2;
    case Code::kNotFound: return 3;
    case Code::kAlreadyExists: return 4;
    case Code::kUnavailable: return 5;
    case Code::kFailedPrecondition: return 6;
    case Code::kDataLoss: return 7;
    case Code::kIOError:
    case Code::kInternal: return 1;
  }
  return 1;
}

}  // namespace contentstore::cli
