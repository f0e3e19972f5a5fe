// containerd's generic content-store conformance suite
// (content/testsuite/testsuite.go in containerd 1.6.20), rewritten against
// our API: every check there has a counterpart here, under the same name.
// Behaviours that suite only implies (documented in content/content.go and
// checked by the local store's own tests) follow in the second half.

#include <sys/stat.h>

#include <chrono>
#include <set>
#include <span>
#include <thread>

#include "contentstore/store.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;
using Clock = std::chrono::system_clock;

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::OpenStore(dir_.path()); }

  // Different content on every call (the suite's createContent).
  std::string NewContent(size_t size) { return MakeContent(size, ++seed_); }

  std::unique_ptr<Writer> Open(const std::string& ref, std::optional<int64_t> total = {},
                               std::optional<Digest> expected = {}) {
    return testing::OpenWriter(*store_, ref, total, expected);
  }

  // checkRefNotAvailable
  void ExpectRefUnavailable(const std::string& ref) {
    WriterOptions options;
    options.ref = ref;
    auto w = store_->writer(options);
    ASSERT_FALSE(w.ok()) << "writer created with ref " << ref << ", expected it to be in use";
    EXPECT_TRUE(w.status().IsUnavailable()) << w.status().ToString();
  }

  // checkStatus
  void ExpectStatus(Writer& w, const IngestStatus& expected, const Digest& digest,
                    Clock::time_point pre_start, Clock::time_point post_start,
                    Clock::time_point pre_update, Clock::time_point post_update) {
    const IngestStatus st = w.status();
    EXPECT_EQ(w.digest(), digest);
    EXPECT_EQ(st.ref, expected.ref);
    EXPECT_EQ(st.offset, expected.offset);
    EXPECT_EQ(st.total, expected.total);
    EXPECT_GE(st.started_at, pre_start);
    EXPECT_LE(st.started_at, post_start);
    EXPECT_GE(st.updated_at, pre_update);
    EXPECT_LE(st.updated_at, post_update);
  }

  // checkInfo
  void ExpectInfo(const Digest& digest, int64_t size, const Labels& labels,
                  Clock::time_point c1, Clock::time_point c2, Clock::time_point u1,
                  Clock::time_point u2) {
    auto info = store_->info(digest);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->digest, digest);
    EXPECT_EQ(info->size, size);
    EXPECT_GE(info->created_at, c1);
    EXPECT_LE(info->created_at, c2);
    EXPECT_GE(info->updated_at, u1);
    EXPECT_LE(info->updated_at, u2);
    EXPECT_EQ(info->labels, labels);
  }

  // content.WriteBlob: AlreadyExists at open or commit counts as success.
  Status WriteBlob(const std::string& ref, const std::string& content, const Digest& digest) {
    WriterOptions options;
    options.ref = ref;
    options.expected = digest;
    auto w = store_->writer(options);
    if (w.status().IsAlreadyExists()) return Status::OK();
    if (!w.ok()) return w.status();
    if (Status s = (*w)->write(content); !s.ok()) return s;
    Status s = (*w)->commit(static_cast<int64_t>(content.size()), digest);
    return s.IsAlreadyExists() ? Status::OK() : s;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  uint64_t seed_ = 1000;
  const Labels labels_ = {{"name", "cool"}, {"signed", "true"}};
};

void WriteInChunks(Writer& w, std::string_view content, size_t chunk) {
  for (size_t i = 0; i < content.size(); i += chunk) {
    ASSERT_OK(w.write(content.substr(i, chunk)));
  }
}

// checkContentStoreWriter: four refs with every combination of descriptor,
// written in 32-byte pieces, committed with Commit(0, "") and labels.
TEST_F(Conformance, Writer) {
  struct Case {
    std::string ref;
    std::string content;
    std::unique_ptr<Writer> writer;
  };
  std::vector<Case> cases;
  for (int i = 1; i <= 4; ++i) {
    std::string content = NewContent(256);
    const Digest d = DigestOf(content);
    std::optional<int64_t> total = (i == 2 || i == 4) ? std::optional<int64_t>(256) : std::nullopt;
    std::optional<Digest> expected = (i == 3 || i == 4) ? std::optional<Digest>(d) : std::nullopt;
    auto w = Open("c" + std::to_string(i), total, expected);
    ASSERT_NE(w, nullptr);
    cases.push_back({"c" + std::to_string(i), std::move(content), std::move(w)});
  }
  for (Case& c : cases) {
    WriteInChunks(*c.writer, c.content, 32);
    const auto pre = Clock::now();
    ASSERT_OK(c.writer->commit(0, std::nullopt, labels_));
    const auto post = Clock::now();
    EXPECT_EQ(c.writer->digest(), DigestOf(c.content));
    ExpectInfo(DigestOf(c.content), 256, labels_, pre, post, pre, post);
  }
}

// checkUpdateStatus
TEST_F(Conformance, UpdateStatus) {
  const std::string c1 = NewContent(256);
  const Digest d1 = DigestOf(c1);
  const auto pre_start = Clock::now();
  auto w = Open("c1", 256, d1);
  ASSERT_NE(w, nullptr);
  const auto post_start = Clock::now();

  IngestStatus expected;
  expected.ref = "c1";
  expected.total = 256;
  ExpectStatus(*w, expected, Digest::OfEmpty(), pre_start, post_start, pre_start, post_start);

  struct Step {
    size_t from, to;
  };
  for (Step step : {Step{0, 64}, Step{64, 192}, Step{192, 256}}) {
    const auto pre = Clock::now();
    ASSERT_OK(w->write(std::string_view(c1).substr(step.from, step.to - step.from)));
    const auto post = Clock::now();
    expected.offset = static_cast<int64_t>(step.to);
    ExpectStatus(*w, expected, DigestOf(std::string_view(c1).substr(0, step.to)), pre_start,
                 post_start, pre, post);
  }
  const auto pre = Clock::now();
  ASSERT_OK(w->commit(0, std::nullopt, labels_));
  const auto post = Clock::now();
  ExpectInfo(d1, 256, labels_, pre, post, pre, post);
}

// checkCommitExists: committing content that is already there says
// AlreadyExists, with or without the expected digest.
TEST_F(Conformance, CommitExists) {
  const std::string c1 = NewContent(256);
  const Digest d1 = DigestOf(c1);
  ASSERT_OK(WriteBlob("c1", c1, d1));
  for (int i = 0; i < 2; ++i) {
    auto w = Open("c1-commitexists-" + std::to_string(i));
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write(c1));
    const std::optional<Digest> expected = i == 0 ? std::optional<Digest>(d1) : std::nullopt;
    EXPECT_CODE(w->commit(static_cast<int64_t>(c1.size()), expected), kAlreadyExists);
    EXPECT_OK(w->close());
  }
}

// checkResumeWriter: closing keeps offset, digest, start and update times.
TEST_F(Conformance, Resume) {
  const std::string cb = NewContent(256);
  const Digest dgst = DigestOf(cb);
  const std::string_view first = std::string_view(cb).substr(0, 128);
  const std::string_view second = std::string_view(cb).substr(128);

  const auto pre_start = Clock::now();
  auto w1 = Open("cb", 256, dgst);
  ASSERT_NE(w1, nullptr);
  const auto post_start = Clock::now();
  ASSERT_OK(w1->write(first));
  const auto post_update = Clock::now();

  IngestStatus expected;
  expected.ref = "cb";
  expected.offset = 128;
  expected.total = 256;
  ExpectStatus(*w1, expected, DigestOf(first), pre_start, post_start, post_start, post_update);
  ASSERT_OK(w1->close());

  auto w2 = Open("cb", 256, dgst);
  ASSERT_NE(w2, nullptr);
  ExpectStatus(*w2, expected, DigestOf(first), pre_start, post_start, post_start, post_update);

  const auto pre = Clock::now();
  ASSERT_OK(w2->write(second));
  const auto post = Clock::now();
  expected.offset = 256;
  ExpectStatus(*w2, expected, dgst, pre_start, post_start, pre, post);

  const auto pre_commit = Clock::now();
  ASSERT_OK(w2->commit(0, std::nullopt));
  const auto post_commit = Clock::now();
  EXPECT_OK(w2->close());
  ExpectInfo(dgst, 256, {}, pre_commit, post_commit, pre_commit, post_commit);
}

// checkResume with its five ways to finish, for sizes 500/5000/50000 cut at
// 0, 10%, 50%, 90% and 100%.
enum class Finish { kTruncate, kDiscard, kCopy, kCopySeeker, kCopyReaderAt };

class ConformanceResume : public Conformance, public ::testing::WithParamInterface<Finish> {};

// content.Copy: position the source at the writer's offset (reading and
// dropping, seeking, or reading at an offset: for an in-memory source all
// three come down to starting at `offset`), write the rest, commit.
Status Copy(Writer& w, std::string_view source, int64_t size, const Digest& digest) {
  const size_t offset = static_cast<size_t>(w.status().offset);
  if (Status s = w.write(source.substr(offset)); !s.ok()) return s;
  Status s = w.commit(size, digest);
  return s.IsAlreadyExists() ? Status::OK() : s;
}

TEST_P(ConformanceResume, AllSizesAndCuts) {
  int i = 0;
  for (int64_t size : {500, 5000, 50000}) {
    int j = 0;
    for (double cut : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      const std::string b = NewContent(static_cast<size_t>(size));
      const Digest d = DigestOf(b);
      const auto limit = static_cast<int64_t>(static_cast<double>(size) * cut);
      const std::string ref = "ref-" + std::to_string(i) + "-" + std::to_string(j);
      auto w = Open(ref, size, d);
      ASSERT_NE(w, nullptr);
      ASSERT_OK(w->write(std::string_view(b).substr(0, static_cast<size_t>(limit))));
      ASSERT_OK(w->close());
      w = Open(ref, size, d);
      ASSERT_NE(w, nullptr);
      ASSERT_EQ(w->status().offset, limit) << ref;

      const auto pre = Clock::now();
      switch (GetParam()) {
        case Finish::kTruncate:
          ASSERT_OK(w->truncate(0));
          WriteInChunks(*w, b, 1024);
          ASSERT_OK(w->commit(size, d));
          break;
        case Finish::kDiscard:
          WriteInChunks(*w, std::string_view(b).substr(static_cast<size_t>(limit)), 1024);
          ASSERT_OK(w->commit(size, d));
          break;
        case Finish::kCopy:
        case Finish::kCopySeeker:
        case Finish::kCopyReaderAt:
          ASSERT_OK(Copy(*w, b, size, d));
          break;
      }
      const auto post = Clock::now();
      ASSERT_OK(w->close());
      ExpectInfo(d, size, {}, pre, post, pre, post);
      ++j;
    }
    ++i;
  }
}

INSTANTIATE_TEST_SUITE_P(Finish, ConformanceResume,
                         ::testing::Values(Finish::kTruncate, Finish::kDiscard, Finish::kCopy,
                                           Finish::kCopySeeker, Finish::kCopyReaderAt));

// checkSmallBlob: reading past the end returns what there is, no error.
TEST_F(Conformance, SmallBlob) {
  const std::string blob = "foobar";
  const Digest d = DigestOf(blob);
  auto w = Open("TestContent/SmallBlob", 6, d);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(blob));
  ASSERT_OK(w->commit(6, d));
  ASSERT_OK(w->close());

  auto r = store_->reader(d);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string buf(7, '\0');
  auto n = (*r)->read_at(0, std::as_writable_bytes(std::span<char>(buf.data(), buf.size())));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(buf.substr(0, *n), blob);
}

// checkLabels: Update with no field paths replaces the labels; with paths it
// touches only those keys, deleting the ones absent from the given info.
TEST_F(Conformance, Labels) {
  const std::string c1 = NewContent(256);
  const Digest d1 = DigestOf(c1);
  auto w = Open("c1-checklabels", 256, d1);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(c1));
  const std::string root_time = "2026-11-28T06:00:00Z";
  Labels labels = {{"k1", "v1"}, {"k2", "v2"}, {"containerd.io/gc.root", root_time}};
  const auto pre_commit = Clock::now();
  ASSERT_OK(w->commit(0, std::nullopt, labels));
  const auto post_commit = Clock::now();
  ExpectInfo(d1, 256, labels, pre_commit, post_commit, pre_commit, post_commit);

  labels["k1"] = "newvalue";
  labels.erase("k2");
  labels["k3"] = "v3";
  Info info;
  info.digest = d1;
  info.size = 256;
  info.labels = labels;
  auto pre_update = Clock::now();
  auto updated = store_->update(info);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  auto post_update = Clock::now();
  EXPECT_EQ(updated->labels, labels);
  ExpectInfo(d1, 256, labels, pre_commit, post_commit, pre_update, post_update);

  info.labels = {{"k1", "v1"}, {"containerd.io/gc.root", root_time}};
  pre_update = Clock::now();
  updated = store_->update(info, {"labels.k3", "labels.k1"});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  post_update = Clock::now();
  ExpectInfo(d1, 256, info.labels, pre_commit, post_commit, pre_update, post_update);
}

// checkCommitErrorState: every commit outcome releases the ref; AlreadyExists
// removes the ingest; mismatches keep it for a retry.
TEST_F(Conformance, CommitErrorState) {
  const std::string c1 = NewContent(256);
  const Digest d1 = DigestOf(c1);
  const Digest d2 = DigestOf(NewContent(256));
  ASSERT_OK(WriteBlob("c1", c1, d1));
  const std::string ref = "c1-commiterror-state";
  const auto size = static_cast<int64_t>(c1.size());

  auto w = Open(ref);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(c1));
  ExpectRefUnavailable(ref);
  ASSERT_CODE(w->commit(size, d1), kAlreadyExists);

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ExpectRefUnavailable(ref);
  ASSERT_OK(w->write(c1));
  ASSERT_CODE(w->commit(size, std::nullopt), kAlreadyExists);
  EXPECT_OK(w->close());

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ExpectRefUnavailable(ref);
  ASSERT_OK(w->write(c1 + "more"));
  EXPECT_CODE(w->commit(size + 4, d2), kFailedPrecondition);
  EXPECT_OK(w->close());

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ExpectRefUnavailable(ref);
  EXPECT_EQ(w->status().offset, size + 4);
  EXPECT_CODE(w->commit(size, std::nullopt), kFailedPrecondition);
  EXPECT_OK(w->close());

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ExpectRefUnavailable(ref);
  ASSERT_OK(w->commit(size + 4, std::nullopt));
  EXPECT_OK(w->close());

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(c1));
  ExpectRefUnavailable(ref);
  ASSERT_CODE(w->commit(size, d1), kAlreadyExists);
  EXPECT_OK(w->close());

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ExpectRefUnavailable(ref);
  ASSERT_OK(w->close());

  w = Open(ref);
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->close());
}

// --- Behaviours the suite relies on without spelling out ---

TEST_F(Conformance, EmptyRefIsInvalid) {
  WriterOptions options;
  EXPECT_CODE(store_->writer(options).status(), kInvalidArgument);
}

TEST_F(Conformance, OpenWithCommittedExpectedDigestIsAlreadyExists) {
  const std::string c = NewContent(100);
  ASSERT_OK(WriteBlob("x", c, DigestOf(c)));
  WriterOptions options;
  options.ref = "y";
  options.expected = DigestOf(c);
  EXPECT_CODE(store_->writer(options).status(), kAlreadyExists);
  EXPECT_CODE(store_->get_ingest("y").status(), kNotFound);  // nothing was created
}

TEST_F(Conformance, OpenWriterIsVisibleInListWithZeroOffset) {
  auto w = Open("myref");
  ASSERT_NE(w, nullptr);
  auto list = store_->list_ingests({""});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].ref, "myref");
  EXPECT_EQ((*list)[0].offset, 0);
  EXPECT_FALSE((*list)[0].total.has_value());
}

TEST_F(Conformance, CommitClosesTheWriter) {
  const std::string c = NewContent(10);
  auto w = Open("r");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write(c));
  ASSERT_OK(w->commit(0, std::nullopt));
  EXPECT_EQ(w->digest(), DigestOf(c));
  EXPECT_CODE(w->commit(0, std::nullopt), kFailedPrecondition);
  EXPECT_CODE(w->write("x"), kFailedPrecondition);
  EXPECT_OK(w->close());
  EXPECT_OK(w->close());
}

TEST_F(Conformance, CommitOfNothingIsTheEmptyBlob) {
  auto w = Open("empty");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->commit(0, std::nullopt));
  auto info = store_->info(Digest::OfEmpty());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 0);
  EXPECT_EQ(Digest::OfEmpty().str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto content = testing::ReadAll(*store_, Digest::OfEmpty());
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "");
}

TEST_F(Conformance, ReadAtAndPastTheEnd) {
  const std::string c = "0123456789";
  ASSERT_OK(testing::WriteBlob(*store_, "r", c));
  auto r = store_->reader(DigestOf(c));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 10);
  std::string buf(4, '\0');
  auto bytes = std::as_writable_bytes(std::span<char>(buf.data(), buf.size()));
  EXPECT_EQ(*(*r)->read_at(10, bytes), 0u);
  EXPECT_EQ(*(*r)->read_at(11, bytes), 0u);
  auto n = (*r)->read_at(8, bytes);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(buf.substr(0, 2), "89");
  EXPECT_CODE((*r)->read_at(-1, bytes).status(), kInvalidArgument);
}

TEST_F(Conformance, UnknownThingsAreNotFound) {
  const Digest d = DigestOf("nothing here");
  EXPECT_CODE(store_->info(d).status(), kNotFound);
  EXPECT_CODE(store_->reader(d).status(), kNotFound);
  EXPECT_CODE(store_->remove(d), kNotFound);
  EXPECT_CODE(store_->get_ingest("nope").status(), kNotFound);
  EXPECT_CODE(store_->abort("nope"), kNotFound);
  Info info;
  info.digest = d;
  EXPECT_CODE(store_->update(info).status(), kNotFound);
}

TEST_F(Conformance, AbortRemovesTheIngestAndANewWriterStartsAtZero) {
  auto w = Open("a");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("hello"));
  ASSERT_OK(w->close());
  ASSERT_OK(store_->abort("a"));
  EXPECT_CODE(store_->get_ingest("a").status(), kNotFound);
  w = Open("a");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status().offset, 0);
  EXPECT_EQ(w->digest(), Digest::OfEmpty());
}

TEST_F(Conformance, TruncateOnlyToZero) {
  auto w = Open("t");
  ASSERT_NE(w, nullptr);
  ASSERT_OK(w->write("hello"));
  EXPECT_CODE(w->truncate(2), kInvalidArgument);
  EXPECT_EQ(w->status().offset, 5);
  ASSERT_OK(w->truncate(0));
  EXPECT_EQ(w->status().offset, 0);
  EXPECT_EQ(w->digest(), Digest::OfEmpty());
}

TEST_F(Conformance, UpdateRejectsOtherFieldsAndKeepsEmptyValuesOut) {
  const std::string c = NewContent(10);
  ASSERT_OK(testing::WriteBlob(*store_, "r", c, {{"a", "1"}}));
  Info info;
  info.digest = DigestOf(c);
  info.labels = {{"a", ""}, {"b", "2"}};
  for (const char* path : {"size", "digest", "createdat", "labels."}) {
    EXPECT_CODE(store_->update(info, {path}).status(), kInvalidArgument) << path;
  }
  auto updated = store_->update(info);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->labels, (Labels{{"b", "2"}}));  // "a" with an empty value is deleted
}

TEST_F(Conformance, WalkVisitsEachBlobOnceAndStopsAtTheFirstError) {
  std::set<Digest> written;
  for (int i = 0; i < 79; ++i) {
    const std::string c = NewContent(static_cast<size_t>(i + 1));
    ASSERT_OK(testing::WriteBlob(*store_, "w" + std::to_string(i), c));
    written.insert(DigestOf(c));
  }
  std::set<Digest> seen;
  ASSERT_OK(store_->walk([&](const Info& info) {
    EXPECT_TRUE(seen.insert(info.digest).second) << "visited twice: " << info.digest.str();
    EXPECT_TRUE(testing::FileExists(dir_.path() + "/blobs/sha256/" + info.digest.hex()));
    return Status::OK();
  }));
  EXPECT_EQ(seen, written);
  int calls = 0;
  EXPECT_CODE(store_->walk([&](const Info&) {
    return ++calls == 3 ? Status::Internal("stop here") : Status::OK();
  }),
              kInternal);
  EXPECT_EQ(calls, 3);
}

TEST_F(Conformance, CommittedBlobIsReadOnlyAtTheOciPath) {
  const std::string c = NewContent(4 << 20);
  ASSERT_OK(testing::WriteBlob(*store_, "big", c));
  const std::string path = dir_.path() + "/blobs/sha256/" + DigestOf(c).hex();
  EXPECT_EQ(testing::ReadFile(path), c);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0333, 0u);
  // The same bytes under another ref: AlreadyExists.
  EXPECT_CODE(testing::WriteBlob(*store_, "big2", c), kAlreadyExists);
}

}  // namespace
}  // namespace contentstore
