// containerd's generic content-store suite (content/testsuite/testsuite.go
// in containerd 1.6.20), the cases that make sense over the wire, ported
// to the raw protocol: what containerd's proxy client sends, message by
// message, and what it reads back. The Go suite itself also runs against
// the server (ctest label "containerd"); these keep the checks in the
// server's own fast tests, and name the messages explicitly.

#include <chrono>

#include "convert.h"
#include "server_test_util.h"

namespace contentstore::server::testing {
namespace {

using Clock = std::chrono::system_clock;

constexpr char kEmptyDigest[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Timestamp Now() { return std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now()); }

void ExpectBetween(const google::protobuf::Timestamp& t, Timestamp lo, Timestamp hi,
                   const char* what) {
  const Timestamp v = FromProto(t);
  EXPECT_LE(lo, v) << what;
  EXPECT_LE(v, hi) << what;
}

class ConformanceTest : public ::testing::Test {
 protected:
  ConformanceTest() : stub_(server_.stub()) {}

  // containerd's remoteWriter: a Write stream and the offset it believes.
  struct Writer {
    explicit Writer(Stub& stub) : call(stub) {}
    WriteCall call;
    int64_t offset = 0;

    // remoteWriter.Write.
    bool Write(std::string_view data) {
      if (!call.Send(WriteAt(offset, std::string(data)))) return false;
      offset = call.response.offset();
      return true;
    }
    // remoteWriter.Status.
    api::WriteContentResponse Status() {
      EXPECT_TRUE(call.Send(Stat()));
      return call.response;
    }
    // remoteWriter.Commit (then Close).
    grpc::Status Commit(int64_t size, const std::string& expected,
                        std::map<std::string, std::string> labels = {}) {
      if (call.Send(CommitAt(offset, size, expected, labels))) offset = call.response.offset();
      return call.Finish();
    }
    grpc::Status Close() { return call.Finish(); }
  };

  // containerd's proxy Writer(): a stream and its first STAT.
  std::unique_ptr<Writer> Open(const std::string& ref, int64_t total = 0,
                               const std::string& expected = "", grpc::Status* error = nullptr) {
    auto w = std::make_unique<Writer>(*stub_);
    if (!w->call.Send(Stat(ref, total, expected))) {
      grpc::Status s = w->call.Finish();
      if (error != nullptr) *error = s;
      return nullptr;
    }
    w->offset = w->call.response.offset();
    return w;
  }

  api::Info InfoOf(const std::string& digest) {
    api::Info info;
    EXPECT_GRPC_OK(GetInfo(*stub_, digest, &info));
    return info;
  }

  void ExpectRefNotAvailable(const std::string& ref) {
    grpc::Status s;
    EXPECT_EQ(Open(ref, 0, "", &s), nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(s);
  }

  // Open(ref), then checks that a second stream cannot open it meanwhile.
  std::unique_ptr<Writer> OpenHeld(const std::string& ref) {
    auto w = Open(ref);
    EXPECT_NE(w, nullptr);
    if (w != nullptr) ExpectRefNotAvailable(ref);
    return w;
  }

  TestServer server_{[] {
    ServeOptions options;
    options.lock_wait = std::chrono::milliseconds(200);
    return options;
  }()};
  std::unique_ptr<Stub> stub_;
};

const std::map<std::string, std::string> kRootLabel = {{"containerd.io/gc.root", "2026-11-30T00:00:00Z"}};

// checkContentStoreWriter: four writers with no, size, digest, and both
// descriptors, written 32 bytes at a time, committed with labels.
TEST_F(ConformanceTest, Writer) {
  struct Case {
    std::string ref;
    bool size, digest;
  };
  const Case cases[] = {{"c1", false, false}, {"c2", true, false}, {"c3", false, true}, {"c4", true, true}};
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::string> contents;
  for (int i = 0; i < 4; ++i) {
    contents.push_back(MakeContent(256, 100 + i));
    writers.push_back(Open(cases[i].ref, cases[i].size ? 256 : 0,
                           cases[i].digest ? Sha256(contents[i]) : ""));
    ASSERT_NE(writers.back(), nullptr);
  }
  for (int i = 0; i < 4; ++i) {
    for (size_t at = 0; at < 256; at += 32) ASSERT_TRUE(writers[i]->Write(contents[i].substr(at, 32)));
    const Timestamp pre = Now();
    ASSERT_GRPC_OK(writers[i]->Commit(0, "", kRootLabel));
    const Timestamp post = Now();
    EXPECT_EQ(writers[i]->call.response.digest(), Sha256(contents[i]));
    const api::Info info = InfoOf(Sha256(contents[i]));
    EXPECT_EQ(info.size(), 256);
    ExpectBetween(info.created_at(), pre, post, "created_at");
    ExpectBetween(info.updated_at(), pre, post, "updated_at");
    const std::map<std::string, std::string> labels(info.labels().begin(), info.labels().end());
    EXPECT_EQ(labels, kRootLabel);
  }
}

// checkUpdateStatus: offset, total, digest and times after each write.
TEST_F(ConformanceTest, UpdateStatus) {
  const std::string c1 = MakeContent(256, 7);
  const Timestamp pre_start = Now();
  auto w = Open("c1", 256, Sha256(c1));
  ASSERT_NE(w, nullptr);
  const Timestamp post_start = Now();
  auto st = w->Status();
  EXPECT_EQ(st.offset(), 0);
  EXPECT_EQ(st.total(), 256);
  EXPECT_EQ(st.digest(), kEmptyDigest);  // never "" with nothing written
  ExpectBetween(st.started_at(), pre_start, post_start, "started_at");
  ExpectBetween(st.updated_at(), pre_start, post_start, "updated_at");
  size_t written = 0;
  for (size_t n : {64, 128, 64}) {
    const Timestamp pre = Now();
    ASSERT_TRUE(w->Write(c1.substr(written, n)));
    const Timestamp post = Now();
    written += n;
    st = w->Status();
    EXPECT_EQ(st.offset(), static_cast<int64_t>(written));
    EXPECT_EQ(st.total(), 256);
    EXPECT_EQ(st.digest(), Sha256(c1.substr(0, written)));
    ExpectBetween(st.started_at(), pre_start, post_start, "started_at");
    ExpectBetween(st.updated_at(), pre, post, "updated_at");
  }
  const Timestamp pre_commit = Now();
  ASSERT_GRPC_OK(w->Commit(0, "", kRootLabel));
  const Timestamp post_commit = Now();
  const api::Info info = InfoOf(Sha256(c1));
  ExpectBetween(info.created_at(), pre_commit, post_commit, "created_at");
  EXPECT_EQ(info.labels_size(), 1);
}

// checkCommitExists: committing content that exists is AlreadyExists,
// with or without the expected digest.
TEST_F(ConformanceTest, CommitExists) {
  const std::string c1 = MakeContent(256, 8);
  ASSERT_GRPC_OK(Upload(*stub_, "c1", c1));
  for (const std::string& expected : {Sha256(c1), std::string()}) {
    auto w = Open("c1-commitexists-" + expected.substr(0, 3));
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Write(c1));
    EXPECT_GRPC_CODE(w->Commit(256, expected), ALREADY_EXISTS);
  }
}

// checkResumeWriter: close after half, reopen: same offset, digest, times.
TEST_F(ConformanceTest, Resume) {
  const std::string cb = MakeContent(256, 9);
  const std::string digest = Sha256(cb);
  const Timestamp pre_start = Now();
  auto w1 = Open("cb", 256, digest);
  ASSERT_NE(w1, nullptr);
  const Timestamp post_start = Now();
  ASSERT_TRUE(w1->Write(cb.substr(0, 128)));
  const Timestamp post_update = Now();
  auto st1 = w1->Status();
  ASSERT_GRPC_OK(w1->Close());

  auto w2 = Open("cb", 256, digest);
  ASSERT_NE(w2, nullptr);
  auto st2 = w2->Status();
  EXPECT_EQ(st2.offset(), 128);
  EXPECT_EQ(st2.total(), 256);
  EXPECT_EQ(st2.digest(), Sha256(cb.substr(0, 128)));
  ExpectBetween(st2.started_at(), pre_start, post_start, "started_at");
  ExpectBetween(st2.updated_at(), post_start, post_update, "updated_at");
  EXPECT_EQ(FromProto(st2.started_at()), FromProto(st1.started_at()));
  ASSERT_TRUE(w2->Write(cb.substr(128)));
  EXPECT_EQ(w2->Status().digest(), digest);
  ASSERT_GRPC_OK(w2->Commit(0, ""));
  EXPECT_EQ(InfoOf(digest).size(), 256);
}

// checkResume(resumeTruncate / resumeDiscard): for sizes and written
// fractions, reopen at exactly the written offset, then either truncate
// (offset 0) and rewrite everything, or write only the rest.
TEST_F(ConformanceTest, ResumeTruncateAndDiscard) {
  int ref = 0;
  for (const bool truncate : {true, false}) {
    for (const int64_t size : {500, 5000, 50000}) {
      for (const double fraction : {0.0, 0.1, 0.5, 0.9, 1.0}) {
        const std::string b = MakeContent(size, 1000 + ref);
        const std::string digest = Sha256(b);
        const auto limit = static_cast<int64_t>(static_cast<double>(size) * fraction);
        const std::string name = "ref-" + std::to_string(ref++);
        SCOPED_TRACE(name);
        auto w = Open(name, size, digest);
        ASSERT_NE(w, nullptr);
        if (limit > 0) {
          ASSERT_TRUE(w->Write(b.substr(0, limit)));
        }
        ASSERT_GRPC_OK(w->Close());
        w = Open(name, size, digest);
        ASSERT_NE(w, nullptr);
        EXPECT_EQ(w->Status().offset(), limit);
        if (truncate) w->offset = 0;  // containerd's remoteWriter.Truncate(0)
        const std::string rest = truncate ? b : b.substr(limit);
        for (size_t at = 0; at < rest.size(); at += 1024) ASSERT_TRUE(w->Write(rest.substr(at, 1024)));
        ASSERT_GRPC_OK(w->Commit(size, digest));
        EXPECT_EQ(InfoOf(digest).size(), size);
      }
    }
  }
}

// checkSmallBlob: reading past the end returns what there is.
TEST_F(ConformanceTest, SmallBlob) {
  ASSERT_GRPC_OK(Upload(*stub_, "small", "foobar"));
  std::string out;
  ASSERT_GRPC_OK(ReadBlob(*stub_, Sha256("foobar"), &out, 0, 7));
  EXPECT_EQ(out, "foobar");
  ASSERT_GRPC_OK(ReadBlob(*stub_, Sha256("foobar"), &out, 2, 100));
  EXPECT_EQ(out, "obar");
  ASSERT_GRPC_OK(ReadBlob(*stub_, Sha256("foobar"), &out, 1, 2));
  EXPECT_EQ(out, "oo");
  ASSERT_GRPC_OK(ReadBlob(*stub_, Sha256("foobar"), &out, -5, 0));
  EXPECT_EQ(out, "foobar");
}

// checkLabels: Update with no mask replaces all labels; with paths only
// those keys change; updated_at moves, created_at does not.
TEST_F(ConformanceTest, Labels) {
  const std::string c1 = MakeContent(256, 11);
  const std::string digest = Sha256(c1);
  std::map<std::string, std::string> labels = {{"k1", "v1"}, {"k2", "v2"}};
  labels.insert(kRootLabel.begin(), kRootLabel.end());
  const Timestamp pre_commit = Now();
  ASSERT_GRPC_OK(Upload(*stub_, "c1-checklabels", c1, labels));
  const Timestamp post_commit = Now();

  auto update = [&](const std::map<std::string, std::string>& l,
                    const std::vector<std::string>& paths) {
    api::Info info;
    EXPECT_GRPC_OK(UpdateLabels(*stub_, digest, l, paths, &info));
    return info;
  };
  auto as_map = [](const api::Info& info) {
    return std::map<std::string, std::string>(info.labels().begin(), info.labels().end());
  };

  labels["k1"] = "newvalue";
  labels.erase("k2");
  labels["k3"] = "v3";
  Timestamp pre = Now();
  update(labels, {});
  Timestamp post = Now();
  api::Info info = InfoOf(digest);
  EXPECT_EQ(as_map(info), labels);
  ExpectBetween(info.created_at(), pre_commit, post_commit, "created_at");
  ExpectBetween(info.updated_at(), pre, post, "updated_at");

  std::map<std::string, std::string> partial = {{"k1", "v1"}};
  partial.insert(kRootLabel.begin(), kRootLabel.end());
  pre = Now();
  const api::Info returned = update(partial, {"labels.k3", "labels.k1"});
  post = Now();
  info = InfoOf(digest);
  EXPECT_EQ(as_map(info), partial);
  EXPECT_EQ(as_map(returned), partial);
  ExpectBetween(info.updated_at(), pre, post, "updated_at");
}

// checkCommitErrorState: the ref is locked exactly while a stream holds
// it; AlreadyExists, FailedPrecondition and success all release it, and
// the ingest survives the failed commits. Each reopen follows the previous
// stream's close at once, as containerd's client does.
TEST_F(ConformanceTest, CommitErrorState) {
  const std::string c1 = MakeContent(256, 12);
  const std::string d1 = Sha256(c1);
  const std::string d2 = Sha256(MakeContent(256, 13));
  ASSERT_GRPC_OK(Upload(*stub_, "c1", c1));
  const std::string ref = "c1-commiterror-state";

  auto w = Open(ref);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Write(c1));
  ExpectRefNotAvailable(ref);
  EXPECT_GRPC_CODE(w->Commit(256, d1), ALREADY_EXISTS);

  ASSERT_NE(w = OpenHeld(ref), nullptr);
  ASSERT_TRUE(w->Write(c1));
  EXPECT_GRPC_CODE(w->Commit(256, ""), ALREADY_EXISTS);

  ASSERT_NE(w = OpenHeld(ref), nullptr);
  ASSERT_TRUE(w->Write(c1 + "more"));
  EXPECT_GRPC_CODE(w->Commit(260, d2), FAILED_PRECONDITION);

  ASSERT_NE(w = OpenHeld(ref), nullptr);
  EXPECT_EQ(w->offset, 260);
  EXPECT_GRPC_CODE(w->Commit(256, ""), FAILED_PRECONDITION);

  ASSERT_NE(w = OpenHeld(ref), nullptr);
  EXPECT_GRPC_OK(w->Commit(260, ""));

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->offset, 0);
  ASSERT_TRUE(w->Write(c1));
  ExpectRefNotAvailable(ref);
  EXPECT_GRPC_CODE(w->Commit(256, d1), ALREADY_EXISTS);

  ASSERT_NE(w = OpenHeld(ref), nullptr);
  EXPECT_GRPC_OK(w->Close());
  ASSERT_NE(w = Open(ref), nullptr);
  EXPECT_GRPC_OK(w->Close());
}

}  // namespace
}  // namespace contentstore::server::testing
