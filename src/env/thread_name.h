// Names for the threads the library starts, as ps, top, gdb and
// /proc/PID/task/TID/comm show them.
//
// Every name starts with kThreadNamePrefix, so a process (or a test) can tell
// the store's own threads from its own: forking while one runs is unsafe, as
// it may hold SQLite's or the allocator's locks at that moment.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_ENV_THREAD_NAME_H_
#define CONTENTSTORE_SRC_ENV_THREAD_NAME_H_

namespace contentstore {

inline constexpr char kThreadNamePrefix[] = "cs-";

// Names the calling thread kThreadNamePrefix + `what`, cut to the kernel's 15
// bytes. Best effort: a failure leaves the inherited name.
void NameThisThread(const char* what);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_ENV_THREAD_NAME_H_
