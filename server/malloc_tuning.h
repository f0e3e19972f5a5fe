// Tunes glibc's allocator for a process that streams large messages.
//
// Why: every gRPC message of a Read or Write is one or more buffers of up
// to a few MiB, allocated and freed per message. By default glibc serves
// such sizes with fresh mmap()s (or returns freed heap tops to the kernel),
// so every message's buffers are page-faulted and zeroed again. On the VMs
// this was measured on, page faults are expensive: the server spent half
// its CPU there, and a 1 GiB Read or Write ran at about 60% of its speed
// with the defaults. Keeping buffers below 64 MiB on the heap and the heap
// from being trimmed below 128 MiB of free space lets them be reused. The
// price: memory freed after a burst stays with the process (up to what the
// burst used) instead of going back to the system.
//
// Thread-safety: call once, early in main(), before other threads start.

#ifndef CONTENTSTORE_SERVER_MALLOC_TUNING_H_
#define CONTENTSTORE_SERVER_MALLOC_TUNING_H_

namespace contentstore::server {

void TuneMallocForStreaming();

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_MALLOC_TUNING_H_
