// A one-off measurement of the S3 client against a running server (not a
// test, no assertions): 64 MiB through PutObject, UploadPart and GetObject,
// one JSON line per workload with MiB/s.
//
//   tools/test-servers/ceph-rgw start /tmp/rgw
//   CONTENTSTORE_S3_ENV=/tmp/rgw/env build/tests/s3/contentstore_s3_throughput [MiB] [rounds]
//
// Thread-safety: single-threaded program, except the parallel-parts
// workload, which shares one Client between threads as client.h allows.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "s3/client.h"
#include "server_env.h"

namespace cs3 = contentstore::s3;

namespace {

constexpr size_t kMiB = size_t{1} << 20;

void Report(const char* workload, bool signed_payload, size_t bytes, double seconds) {
  std::printf(
      "{\"workload\":\"%s\",\"payload\":\"%s\",\"mib\":%zu,\"seconds\":%.3f,"
      "\"mib_per_s\":%.1f}\n",
      workload, signed_payload ? "signed" : "unsigned", bytes / kMiB, seconds,
      static_cast<double>(bytes) / kMiB / seconds);
  std::fflush(stdout);
}

template <typename F>
double Time(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Check(const contentstore::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

void Run(const cs3::testing::S3Server& server, bool sign, size_t mib) {
  cs3::ClientOptions options = server.client_options();
  options.sign_payload = sign;
  auto client = cs3::Client::Create(options);
  Check(client.status(), "client");
  cs3::Client& c = **client;
  const std::string& bucket = server.bucket;
  const size_t size = mib * kMiB;
  std::string data(size, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(&data[i], &x, std::min<size_t>(8, size - i));
  }

  Report("put_object", sign, size,
         Time([&] { Check(c.put_object(bucket, "bench/put", data).status(), "put"); }));

  constexpr size_t kPart = 8 * kMiB;
  auto upload = c.create_multipart_upload(bucket, "bench/mp");
  Check(upload.status(), "create upload");
  std::vector<cs3::Part> parts(size / kPart);
  Report("upload_part_8MiB_sequential", sign, size, Time([&] {
           for (size_t i = 0; i < parts.size(); ++i) {
             auto etag =
                 c.upload_part(bucket, "bench/mp", *upload, static_cast<int>(i + 1),
                               cs3::Body::Memory(std::string_view(data).substr(i * kPart, kPart)));
             Check(etag.status(), "part");
             parts[i] = {static_cast<int>(i + 1), *etag, kPart};
           }
         }));
  Report("upload_part_8MiB_4_threads", sign, size, Time([&] {
           std::vector<std::thread> threads;
           for (size_t t = 0; t < 4; ++t) {
             threads.emplace_back([&, t] {
               for (size_t i = t; i < parts.size(); i += 4) {
                 auto etag = c.upload_part(
                     bucket, "bench/mp", *upload, static_cast<int>(i + 1),
                     cs3::Body::Memory(std::string_view(data).substr(i * kPart, kPart)));
                 Check(etag.status(), "part");
                 parts[i].etag = *etag;
               }
             });
           }
           for (auto& t : threads) t.join();
         }));
  Report("complete_multipart", sign, size, Time([&] {
           Check(c.complete_multipart_upload(bucket, "bench/mp", *upload, parts).status(),
                 "complete");
         }));

  std::string buffer(size, '\0');
  Report("get_object_into_buffer", sign, size, Time([&] {
           auto n = c.get_object(bucket, "bench/put", 0, buffer);
           Check(n.status(), "get");
           if (*n != size || buffer != data)
             Check(contentstore::Status::DataLoss("mismatch"), "get");
         }));
  Report("read_object_streaming", sign, size, Time([&] {
           size_t got = 0;
           Check(c.read_object(bucket, "bench/mp", 0, std::nullopt,
                               [&](std::string_view chunk) {
                                 got += chunk.size();
                                 return contentstore::Status::OK();
                               }),
                 "read");
           if (got != size) Check(contentstore::Status::DataLoss("short read"), "read");
         }));
  Report("copy_object", sign, size,
         Time([&] { Check(c.copy_object(bucket, "bench/mp", "bench/copy").status(), "copy"); }));
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 1;
  if (mib == 0 || mib % 8 != 0) {
    std::fprintf(stderr, "usage: %s [MiB, a multiple of 8] [rounds]\n", argv[0]);
    return 2;
  }
  auto server = cs3::testing::S3Server::FromEnvironment();
  Check(server.status(), "server");
  for (int r = 0; r < rounds; ++r) {
    Run(*server, false, mib);
    Run(*server, true, mib);
  }
  return 0;
}
