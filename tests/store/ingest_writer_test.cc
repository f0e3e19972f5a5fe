// Ingest writers: locking, checkpoints, resume without re-hashing, and every
// way the data file and the catalog can disagree when a writer comes back.

#include "store/ingest_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "files/layout.h"
#include "test_env.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

class IngestWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(Options options = {}) {
    store_.reset();
    options.env = &env_;
    store_ = testing::OpenStore(dir_.path(), options);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Writer> Open(const std::string& ref, std::optional<int64_t> total = {},
                               std::optional<Digest> expected = {}) {
    return testing::OpenWriter(*store_, ref, total, expected);
  }

  std::string DataPath(const std::string& ref) {
    return dir_.path() + "/ingest/" + Layout::IngestId(ref) + "/data";
  }

  // Runs SQL on the catalog behind the store's back (as a damaged disk or a
  // curious user might), whichever engine it is on. ("offset" is quoted: a
  // keyword in PostgreSQL.)
  void Sql(const std::string& statement) { testing::CatalogSql(dir_.path()).Exec(statement); }
  int64_t SqlInt(const std::string& query) {
    const std::string value = testing::CatalogSql(dir_.path()).Value(query);
    EXPECT_FALSE(value.empty()) << "no row: " << query;
    return value.empty() ? -1 : std::stoll(value);
  }

  testing::TestEnv env_;  // before store_: the store uses it until it dies
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// Counts reads of ingest data files, to prove what a resume re-hashes.
class ReadCounter {
 public:
  explicit ReadCounter(testing::TestEnv& env) : env_(env) {
    env_.SetHook([this](std::string_view op, std::string_view path) {
      if (op == "read" && path.ends_with("/data")) ++reads;
      return Status::OK();
    });
  }
  ~ReadCounter() { env_.SetHook(nullptr); }
  std::atomic<int> reads{0};

 private:
  testing::TestEnv& env_;
};

TEST_F(IngestWriterTest, SecondWriterOnTheSameRefIsUnavailableAndNamesTheHolder) {
  auto w = Open("ref");
  ASSERT_NE(w, nullptr);
  WriterOptions options;
  options.ref = "ref";
  auto second = store_->writer(options);
  ASSERT_EQ(second.status().code(), Code::kUnavailable);
  const std::string& msg = second.status().message();
  EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
  EXPECT_NE(msg.find("since"), std::string::npos) << msg;
  // Another Store object on the same root is another writer too.
  auto other_store = testing::OpenStore(dir_.path());
  EXPECT_CODE(other_store->writer(options).status(), kUnavailable);
  // And the catalog says who holds it.
  EXPECT_EQ(SqlInt("SELECT lock_pid FROM ingests WHERE ref = 'ref'"), ::getpid());
}

TEST_F(IngestWriterTest, CloseAndDestructionReleaseTheRef) {
  auto w = Open("ref");
  ASSERT_OK(w->close());
  EXPECT_EQ(SqlInt("SELECT count(*) FROM ingests WHERE lock_token IS NOT NULL"), 0);
  w = Open("ref");
  ASSERT_NE(w, nullptr);
  w.reset();
  w = Open("ref");
  EXPECT_NE(w, nullptr);
}

TEST_F(IngestWriterTest, CheckpointsSaveOffsetAndHashStateInTheCatalog) {
  Options options;
  options.checkpoint_bytes = 64 << 10;
  Reopen(options);
  auto w = Open("ref");
  const std::string content = MakeContent(200 << 10);
  for (size_t i = 0; i < content.size(); i += 10 << 10) {
    ASSERT_OK(w->write(std::string_view(content).substr(i, 10 << 10)));
  }
  // Checkpoints at 70, 140 KiB (every write crossing 64 KiB since the last).
  EXPECT_EQ(SqlInt("SELECT \"offset\" FROM ingests WHERE ref = 'ref'"), 140 << 10);
  EXPECT_EQ(SqlInt("SELECT count(*) FROM ingests WHERE ref = 'ref' AND hash_state IS NOT NULL"), 1);
  // The catalog lags; status(ref) does not.
  auto list = store_->list_ingests();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].offset, 140 << 10);
  EXPECT_EQ(store_->get_ingest("ref")->offset, 200 << 10);
  ASSERT_OK(w->close());
  EXPECT_EQ(SqlInt("SELECT \"offset\" FROM ingests WHERE ref = 'ref'"), 200 << 10);
}

TEST_F(IngestWriterTest, ResumeAfterCloseReadsNothing) {
  const std::string content = MakeContent(4 << 20);
  auto w = Open("ref");
  ASSERT_OK(w->write(content));
  ASSERT_OK(w->close());
  ReadCounter counter(env_);
  w = Open("ref");
  EXPECT_EQ(counter.reads, 0);
  EXPECT_EQ(w->status().offset, static_cast<int64_t>(content.size()));
  EXPECT_EQ(w->digest(), DigestOf(content));
}

TEST_F(IngestWriterTest, DataBeyondTheCheckpointIsHashedAsTheTail) {
  // What a writer that died after writing past its last checkpoint leaves.
  const std::string content = MakeContent(3 << 20);
  auto w = Open("ref");
  ASSERT_OK(w->write(std::string_view(content).substr(0, 2 << 20)));
  ASSERT_OK(w->close());
  {
    std::ofstream out(DataPath("ref"), std::ios::binary | std::ios::app);
    out << content.substr(2 << 20);
  }
  ReadCounter counter(env_);
  w = Open("ref");
  EXPECT_EQ(counter.reads, 1);  // 1 MiB of tail: one read of the 1 MiB buffer
  EXPECT_EQ(w->status().offset, 3 << 20);
  EXPECT_EQ(w->digest(), DigestOf(content));
  ASSERT_OK(w->commit(3 << 20, DigestOf(content)));
}

TEST_F(IngestWriterTest, DataShorterThanTheCheckpointIsHashedAgain) {
  const std::string content = MakeContent(1 << 20);
  auto w = Open("ref");
  ASSERT_OK(w->write(content));
  ASSERT_OK(w->close());
  ASSERT_EQ(::truncate(DataPath("ref").c_str(), 1000), 0);
  w = Open("ref");
  EXPECT_EQ(w->status().offset, 1000);
  EXPECT_EQ(w->digest(), DigestOf(std::string_view(content).substr(0, 1000)));
}

TEST_F(IngestWriterTest, DamagedHashStateFallsBackToAFullHash) {
  const std::string content = MakeContent(100000);
  auto w = Open("ref");
  ASSERT_OK(w->write(content));
  ASSERT_OK(w->close());
  // As many zero bytes as the state had.
  Sql(testing::CatalogOnPostgres()
          ? "UPDATE ingests SET hash_state = decode(repeat('00', length(hash_state)), 'hex')"
          : "UPDATE ingests SET hash_state = zeroblob(length(hash_state))");
  w = Open("ref");
  EXPECT_EQ(w->status().offset, 100000);
  EXPECT_EQ(w->digest(), DigestOf(content));
  ASSERT_OK(w->close());
  Sql("UPDATE ingests SET hash_state = NULL, \"offset\" = 5");
  w = Open("ref");
  EXPECT_EQ(w->digest(), DigestOf(content));
}

TEST_F(IngestWriterTest, MissingDataFileResumesEmpty) {
  auto w = Open("ref");
  ASSERT_OK(w->write("some bytes"));
  ASSERT_OK(w->close());
  ASSERT_EQ(::unlink(DataPath("ref").c_str()), 0);
  w = Open("ref");
  EXPECT_EQ(w->status().offset, 0);
  EXPECT_EQ(w->digest(), Digest::OfEmpty());
  ASSERT_OK(w->write("abc"));
  ASSERT_OK(w->commit(3, DigestOf("abc")));
}

TEST_F(IngestWriterTest, ReusingARefForOtherContentStartsOver) {
  const std::string a = MakeContent(1000, 1);
  const std::string b = MakeContent(500, 2);
  auto w = Open("ref", 1000, DigestOf(a));
  ASSERT_OK(w->write(std::string_view(a).substr(0, 700)));
  ASSERT_OK(w->close());
  // Another size: containerd "recreates" but keeps the stale bytes; we don't.
  w = Open("ref", 500);
  EXPECT_EQ(w->status().offset, 0);
  EXPECT_EQ(w->digest(), Digest::OfEmpty());
  struct stat st {};
  ASSERT_EQ(::stat(DataPath("ref").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
  ASSERT_OK(w->write(b));
  ASSERT_OK(w->close());
  // Another expected digest, same size.
  w = Open("ref", 500, DigestOf(MakeContent(500, 3)));
  EXPECT_EQ(w->status().offset, 0);
  ASSERT_OK(w->close());
  // The same request again resumes.
  w = Open("ref", 500, DigestOf(MakeContent(500, 3)));
  ASSERT_OK(w->write("xyz"));
  ASSERT_OK(w->close());
  w = Open("ref", 500, DigestOf(MakeContent(500, 3)));
  EXPECT_EQ(w->status().offset, 3);
}

TEST_F(IngestWriterTest, ANewSizeBelowWhatIsWrittenStartsOver) {
  auto w = Open("ref");  // no size known
  ASSERT_OK(w->write(MakeContent(5000)));
  ASSERT_OK(w->close());
  w = Open("ref", 3000);  // 5000 bytes could never become a 3000-byte blob
  EXPECT_EQ(w->status().offset, 0);
  const std::string content = MakeContent(3000, 4);
  ASSERT_OK(w->write(content));
  ASSERT_OK(w->commit(0, DigestOf(content)));
}

TEST_F(IngestWriterTest, LeftoverDirectoryWithoutARowIsNotResumed) {
  const std::string dir = dir_.path() + "/ingest/" + Layout::IngestId("ref");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  {
    std::ofstream out(dir + "/data", std::ios::binary);
    out << "junk from a writer long gone";
  }
  auto w = Open("ref");
  EXPECT_EQ(w->status().offset, 0);
  ASSERT_OK(w->write("abc"));
  ASSERT_OK(w->commit(3, DigestOf("abc")));
}

// What a writer that died between its commit transaction and its cleanup
// leaves: a directory without a row, holding only the commit marker.
TEST_F(IngestWriterTest, LeftoverOfAFinishedCommitIsCleanedByTheNextWriter) {
  ASSERT_OK(testing::WriteBlob(*store_, "other", "committed"));
  const std::string dir = dir_.path() + "/ingest/" + Layout::IngestId("ref");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(("sha256/" + DigestOf("committed").hex()).c_str(), (dir + "/commit").c_str()), 0);
  auto w = Open("ref");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status().offset, 0);
  ASSERT_OK(w->write("fresh"));
  ASSERT_OK(w->commit(5, DigestOf("fresh")));
  EXPECT_TRUE(store_->info(DigestOf("committed")).ok());  // untouched
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(IngestWriterTest, ResumeKeepsTheAlgorithmOfTheExpectedDigest) {
  const std::string content = MakeContent(5000);
  const Digest d512 = DigestOf(content, Algorithm::kSHA512);
  auto w = Open("ref", {}, d512);
  ASSERT_OK(w->write(std::string_view(content).substr(0, 1000)));
  ASSERT_OK(w->close());
  w = Open("ref");  // no expected digest, no algorithm: keep sha512
  EXPECT_EQ(w->digest().algorithm(), Algorithm::kSHA512);
  EXPECT_EQ(w->status().offset, 1000);
  ASSERT_OK(w->write(std::string_view(content).substr(1000)));
  ASSERT_OK(w->commit(0, std::nullopt));
  EXPECT_TRUE(store_->info(d512).ok());
  EXPECT_TRUE(testing::FileExists(dir_.path() + "/blobs/sha512/" + d512.hex()));
}

TEST_F(IngestWriterTest, CommitChecksAlgorithmSizeAndTheWritersExpectations) {
  const std::string content = MakeContent(100);
  auto w = Open("ref");
  ASSERT_OK(w->write(content));
  EXPECT_CODE(w->commit(0, DigestOf(content, Algorithm::kSHA512)), kFailedPrecondition);
  w = Open("ref", 101);  // no total was stored: resumes, and learns 101
  EXPECT_EQ(w->status().offset, 100);
  EXPECT_CODE(w->commit(0, std::nullopt), kFailedPrecondition);  // the writer was told 101
  EXPECT_CODE(w->commit(100, std::nullopt), kFailedPrecondition);  // closed by the first
  w = Open("ref", 101);
  EXPECT_EQ(w->status().offset, 100);  // the ingest stayed
  ASSERT_OK(w->commit(100, std::nullopt));  // the commit's own size wins
}

TEST_F(IngestWriterTest, CommitOptionsCheckAnExplicitZeroSizeWhereContainerdsFormDoesNot) {
  const std::string content = MakeContent(100);
  auto w = Open("ref");
  ASSERT_OK(w->write(content));
  CommitOptions zero;
  zero.size = 0;  // "the blob is empty": a real check, unlike commit(0, ...)
  EXPECT_CODE(w->commit(zero), kFailedPrecondition);
  w = Open("ref");
  CommitOptions negative;
  negative.size = -1;
  EXPECT_CODE(w->commit(negative), kInvalidArgument);
  w = Open("ref");
  CommitOptions right;
  right.size = 100;
  right.expected = DigestOf(content);
  right.labels = {{"k", "v"}};
  ASSERT_OK(w->commit(right));
  EXPECT_EQ(store_->info(DigestOf(content))->labels, (Labels{{"k", "v"}}));
  w = Open("other");
  ASSERT_OK(w->write(MakeContent(7, 2)));
  ASSERT_OK(w->commit(0, std::nullopt));  // containerd's form: 0 checks nothing
}

TEST_F(IngestWriterTest, BadLabelsAtCommitKeepTheIngest) {
  const std::string content = MakeContent(300);
  auto w = Open("ref");
  ASSERT_OK(w->write(content));
  EXPECT_CODE(w->commit(0, std::nullopt, {{"k", std::string(5000, 'v')}}), kInvalidArgument);
  EXPECT_CODE(store_->info(DigestOf(content)).status(), kNotFound);
  w = Open("ref");
  EXPECT_EQ(w->status().offset, 300);
  ASSERT_OK(w->commit(300, DigestOf(content), {{"k", "v"}}));
  EXPECT_EQ(store_->info(DigestOf(content))->labels, (Labels{{"k", "v"}}));
}

TEST_F(IngestWriterTest, FailedWriteLeavesOffsetAndDigestAlone) {
  auto w = Open("ref");
  ASSERT_OK(w->write("abc"));
  env_.SetHook([](std::string_view op, std::string_view) {
    return op == "write" ? Status::IOError("injected: no space left on device") : Status::OK();
  });
  EXPECT_CODE(w->write("defg"), kIOError);
  env_.SetHook(nullptr);
  EXPECT_EQ(w->status().offset, 3);
  EXPECT_EQ(w->digest(), DigestOf("abc"));
  ASSERT_OK(w->write("d"));
  ASSERT_OK(w->commit(4, DigestOf("abcd")));
}

TEST_F(IngestWriterTest, AbortRefusesALiveWriterAndRemovesEverythingOtherwise) {
  auto w = Open("ref");
  ASSERT_OK(w->write("abc"));
  EXPECT_CODE(store_->abort("ref"), kUnavailable);
  ASSERT_OK(w->close());
  ASSERT_OK(store_->abort("ref"));
  EXPECT_FALSE(testing::FileExists(dir_.path() + "/ingest/" + Layout::IngestId("ref")));
  EXPECT_EQ(SqlInt("SELECT count(*) FROM ingests"), 0);
}

TEST_F(IngestWriterTest, StatusOfAClosedIngestComesFromTheDataFile) {
  auto w = Open("ref", 10);
  const auto before = std::chrono::system_clock::now();
  ASSERT_OK(w->write("12345"));
  const auto after = std::chrono::system_clock::now();
  ASSERT_OK(w->close());
  auto st = store_->get_ingest("ref");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->offset, 5);
  EXPECT_EQ(st->total, 10);
  EXPECT_GE(st->updated_at, before - std::chrono::milliseconds(20));  // mtime is coarse
  EXPECT_LE(st->updated_at, after + std::chrono::milliseconds(20));
}

TEST_F(IngestWriterTest, BadArgumentsWriteNothing) {
  WriterOptions options;
  options.ref = std::string(2000, 'r');
  EXPECT_CODE(store_->writer(options).status(), kInvalidArgument);
  options.ref = "ok";
  options.total = -1;
  EXPECT_CODE(store_->writer(options).status(), kInvalidArgument);
  options.total.reset();
  options.expected = DigestOf("x", Algorithm::kSHA512);
  options.algorithm = Algorithm::kSHA256;
  EXPECT_CODE(store_->writer(options).status(), kInvalidArgument);
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/ingest").empty());
  EXPECT_EQ(SqlInt("SELECT count(*) FROM ingests"), 0);
  EXPECT_CODE(store_->get_ingest("a\nb").status(), kInvalidArgument);
  EXPECT_CODE(store_->abort(""), kInvalidArgument);
}

}  // namespace
}  // namespace contentstore
