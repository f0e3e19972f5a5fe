// Value types to and from the content service's messages (see convert.h).

#include "convert.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace contentstore::server {

namespace {
constexpr int64_t kNanosPerSecond = 1000000000;
}  // namespace

void ToProto(Timestamp time, google::protobuf::Timestamp* out) {
  const int64_t ns = time.time_since_epoch().count();
  // Floor division: the nanos field is never negative.
  int64_t seconds = ns / kNanosPerSecond;
  int64_t nanos = ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    seconds -= 1;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
}

Timestamp FromProto(const google::protobuf::Timestamp& time) {
  return Timestamp(std::chrono::nanoseconds(time.seconds() * kNanosPerSecond + time.nanos()));
}

void ToProto(const Info& info, api::Info* out) {
  out->set_digest(info.digest.str());
  out->set_size(info.size);
  ToProto(info.created_at, out->mutable_created_at());
  ToProto(info.updated_at, out->mutable_updated_at());
  auto* labels = out->mutable_labels();
  for (const auto& [key, value] : info.labels) (*labels)[key] = value;
}

void ToProto(const IngestStatus& status, api::Status* out) {
  ToProto(status.started_at, out->mutable_started_at());
  ToProto(status.updated_at, out->mutable_updated_at());
  out->set_ref(status.ref);
  out->set_offset(status.offset);
  out->set_total(status.total.value_or(0));
  out->set_expected(status.expected ? status.expected->str() : std::string());
}

}  // namespace contentstore::server
