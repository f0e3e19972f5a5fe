#include "env/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace contentstore {

void NameThisThread(const char* what) {
  std::string name = std::string(kThreadNamePrefix) + what;
  name.resize(std::min<size_t>(name.size(), 15));  // the kernel's TASK_COMM_LEN - 1
  (void)::pthread_setname_np(::pthread_self(), name.c_str());
}

}  // namespace contentstore
