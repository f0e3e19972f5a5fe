// The table of live Write streams (see write_streams.h).

#include "write_streams.h"

#include <fmt/format.h>

namespace contentstore::server {
namespace {

Status Stopping() { return Status::Unavailable("the server is stopping"); }

}  // namespace

WriteStreams::Member::~Member() {
  Release();
  std::lock_guard lock(table_.mu_);
  table_.members_.erase(this);
}

void WriteStreams::Member::Release() {
  std::lock_guard lock(table_.mu_);
  if (!ref_) return;
  table_.held_.erase(*ref_);
  ref_.reset();
  status_.reset();
  table_.released_.notify_all();
}

Status WriteStreams::Member::Hold(const std::string& ref, Clock::time_point deadline) {
  std::unique_lock lock(table_.mu_);
  if (ref_) return Status::Internal("a write stream holds one ref at a time");
  for (;;) {
    if (table_.stopping_) return Stopping();
    auto it = table_.held_.find(ref);
    if (it == table_.held_.end()) break;
    if (table_.released_.wait_until(lock, deadline) == std::cv_status::timeout) {
      it = table_.held_.find(ref);
      if (it == table_.held_.end()) break;
      const auto held_for = std::chrono::duration_cast<std::chrono::milliseconds>(
          Clock::now() - it->second->held_since_);
      return Status::Unavailable(fmt::format(
          "ref \"{}\" is held by another write stream of this server (for {} ms)", ref,
          held_for.count()));
    }
  }
  ref_ = ref;
  held_since_ = Clock::now();
  table_.held_.emplace(ref, this);
  return Status::OK();
}

void WriteStreams::Member::Publish(const IngestStatus& status) {
  std::lock_guard lock(table_.mu_);
  status_ = status;
}

bool WriteStreams::Member::BeginWait() {
  std::lock_guard lock(table_.mu_);
  if (table_.stopping_) return false;
  waiting_for_client_ = true;
  return true;
}

void WriteStreams::Member::EndWait() {
  std::lock_guard lock(table_.mu_);
  waiting_for_client_ = false;
}

std::unique_ptr<WriteStreams::Member> WriteStreams::Join(std::function<void()> cancel) {
  std::lock_guard lock(mu_);
  if (stopping_) return nullptr;
  std::unique_ptr<Member> member(new Member(*this, std::move(cancel)));
  members_.insert(member.get());
  return member;
}

std::optional<IngestStatus> WriteStreams::Published(std::string_view ref) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(ref);
  if (it == held_.end()) return std::nullopt;
  return it->second->status_;
}

std::map<std::string, IngestStatus, std::less<>> WriteStreams::AllPublished() const {
  std::map<std::string, IngestStatus, std::less<>> out;
  std::lock_guard lock(mu_);
  for (const auto& [ref, member] : held_) {
    if (member->status_) out.emplace(ref, *member->status_);
  }
  return out;
}

bool WriteStreams::WaitUntilFree(std::string_view ref, Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return released_.wait_until(lock, deadline, [&] { return held_.find(ref) == held_.end(); });
}

void WriteStreams::Stop() {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  for (Member* member : members_) {
    if (member->waiting_for_client_) member->cancel_();
  }
  released_.notify_all();
}

size_t WriteStreams::size() const {
  std::lock_guard lock(mu_);
  return members_.size();
}

}  // namespace contentstore::server
