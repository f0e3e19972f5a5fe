#include "catalog/deletion_queue.h"

namespace contentstore::catalog {

void DeletionQueue::Add(std::string_view digest, int64_t deleted_at) {
  auto q = tx_.Prepare(QueryId::deletion_queue_add);
  q->Bind(":digest", digest);
  q->Bind(":deleted_at", deleted_at);
  q->Run();
}

std::vector<std::string> DeletionQueue::List() {
  auto q = tx_.Prepare(QueryId::deletion_queue_list);
  std::vector<std::string> out;
  while (q->Step()) out.push_back(q->Text("digest"));
  return out;
}

void DeletionQueue::Remove(std::string_view digest) {
  auto q = tx_.Prepare(QueryId::deletion_queue_remove);
  q->Bind(":digest", digest);
  q->Run();
}

int64_t DeletionQueue::Count() {
  auto q = tx_.Prepare(QueryId::deletion_queue_count);
  q->Step();
  return q->Int64("n");
}

}  // namespace contentstore::catalog
