// The server tests' main: gtest, unless the binary was started as one of
// the child processes a test needs (CONTENTSTORE_SERVER_TEST_CHILD).

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <string>

namespace contentstore::server::testing {
int ChildMain(const std::string& mode);
}

int main(int argc, char** argv) {
  // A client that vanishes must be an error on a call, not a SIGPIPE death.
  ::signal(SIGPIPE, SIG_IGN);
  if (const char* mode = std::getenv("CONTENTSTORE_SERVER_TEST_CHILD")) {
    return contentstore::server::testing::ChildMain(mode);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
