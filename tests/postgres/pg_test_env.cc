#include "pg_test_env.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace contentstore::testing {

bool SkipServerTests() {
  const char* skip = std::getenv("CONTENTSTORE_SKIP_SERVER_TESTS");
  return skip != nullptr && std::string(skip) == "1";
}

Result<std::string> PostgresServerUrl() {
  const std::string how =
      " (ctest starts the server through the fixture postgres_server; by hand: "
      "tools/test-servers/postgres start DIR, then CONTENTSTORE_PG_ENV=DIR/env; "
      "CONTENTSTORE_SKIP_SERVER_TESTS=1 skips these tests)";
  const char* path = std::getenv("CONTENTSTORE_PG_ENV");
  if (path == nullptr || *path == '\0') {
    return Status::FailedPrecondition("CONTENTSTORE_PG_ENV is not set" + how);
  }
  std::ifstream in(path);
  if (!in) {
    return Status::FailedPrecondition(fmt::format(
        "cannot read {}: the PostgreSQL server did not start or was stopped{}", path, how));
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("PG_URI=")) return line.substr(7);
  }
  return Status::FailedPrecondition(fmt::format("{} has no PG_URI line{}", path, how));
}

namespace {

Result<std::vector<std::string>> Run(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return Status::Unavailable(msg);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(conn, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  Result<std::vector<std::string>> out = std::vector<std::string>();
  if (st == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(r); ++i) out->push_back(PQgetvalue(r, i, 0));
  } else if (st != PGRES_COMMAND_OK) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    out = Status::Internal(
        fmt::format("{} (SQLSTATE {})", PQresultErrorMessage(r), state != nullptr ? state : "?"));
  }
  PQclear(r);
  PQfinish(conn);
  return out;
}

}  // namespace

TestSchema::TestSchema() {
  static std::atomic<int> counter{0};
  auto server = PostgresServerUrl();
  if (!server.ok()) throw std::runtime_error(server.status().ToString());
  server_ = *server;
  std::random_device rd;
  name_ = fmt::format("cs_test_{}_{}_{:08x}", ::getpid(), counter++, rd());
  url_ = fmt::format("{}{}options=-csearch_path%3D{}", server_,
                     server_.find('?') == std::string::npos ? "?" : "&", name_);
  auto created = Run(server_, fmt::format("CREATE SCHEMA {}", name_));
  if (!created.ok()) {
    throw std::runtime_error("creating test schema: " + created.status().ToString());
  }
}

TestSchema::~TestSchema() {
  (void)Run(server_, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", name_));
}

Result<std::vector<std::string>> TestSchema::Exec(const std::string& sql) const {
  return Run(url_, sql);
}

}  // namespace contentstore::testing
