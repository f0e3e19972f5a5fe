#include "catalog/setting_rows.h"

namespace contentstore::catalog {

std::optional<std::string> SettingRows::Get(const std::string& name) {
  auto q = tx_.Prepare(QueryId::setting_get);
  q->Bind(":name", name);
  if (!q->Step()) return std::nullopt;
  return q->Text("value");
}

std::string SettingRows::PutIfMissing(const std::string& name, const std::string& value) {
  auto q = tx_.Prepare(QueryId::setting_put_new);
  q->Bind(":name", name);
  q->Bind(":value", value);
  q->Run();
  return Get(name).value_or(value);
}

}  // namespace contentstore::catalog
