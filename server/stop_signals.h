// SIGTERM and SIGINT as a request to stop the server gracefully.
//
// BlockStopSignals() must run in the main thread before any other thread
// starts (the Store's, gRPC's): threads inherit the mask, so the signals
// stay pending until WaitForStopSignal() takes one, instead of killing the
// process or landing in an arbitrary thread.
//
// Thread-safety: BlockStopSignals() once, early; WaitForStopSignal() from
// one thread.

#ifndef CONTENTSTORE_SERVER_STOP_SIGNALS_H_
#define CONTENTSTORE_SERVER_STOP_SIGNALS_H_

namespace contentstore::server {

void BlockStopSignals();

// Waits for SIGTERM or SIGINT and returns which arrived.
int WaitForStopSignal();

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_STOP_SIGNALS_H_
