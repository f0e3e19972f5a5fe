// The S3 client against a real Ceph RGW, which the CTest fixture starts
// (tools/test-servers/ceph-rgw; label s3). Each test works under its own key
// prefix in the shared test bucket. Faults (lost or cut answers) come from a
// relay in front of RGW (fault_server.h); every answer itself is RGW's.

#include "s3/client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "contentstore/env.h"
#include "env/random.h"
#include "env/unique_fd.h"
#include "fault_server.h"
#include "server_env.h"
#include "test_util.h"

namespace contentstore::s3 {
namespace {

using contentstore::testing::DigestOf;
using contentstore::testing::MakeContent;
using contentstore::testing::TempDir;
using testing::FaultProxy;
using testing::LossRule;
using testing::S3Server;

constexpr size_t kMiB = size_t{1} << 20;

class S3ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::SkipServerTests()) GTEST_SKIP() << "CONTENTSTORE_SKIP_SERVER_TESTS=1";
    auto server = S3Server::FromEnvironment();
    ASSERT_OK(server);
    server_ = std::move(*server);
    auto client = Client::Create(server_.client_options());
    ASSERT_OK(client);
    client_ = std::move(*client);
    prefix_ = contentstore::testing::UniqueTestPrefix("test");
  }

  std::string key(std::string_view name) const { return prefix_ + std::string(name); }
  const std::string& bucket() const { return server_.bucket; }
  Client& client() { return *client_; }

  // A client of the same server with other options.
  std::unique_ptr<Client> MakeClient(const std::function<void(ClientOptions&)>& edit) {
    ClientOptions o = server_.client_options();
    edit(o);
    auto c = Client::Create(o);
    EXPECT_OK(c);
    return c.ok() ? std::move(*c) : nullptr;
  }

  // The whole object, through read_object.
  Result<std::string> ReadAll(Client& c, const std::string& k) {
    std::string out;
    Status s = c.read_object(bucket(), k, 0, std::nullopt, [&](std::string_view chunk) {
      out.append(chunk);
      return Status::OK();
    });
    if (!s.ok()) return s;
    return out;
  }

  S3Server server_;
  std::unique_ptr<Client> client_;
  std::string prefix_;
};

TEST_F(S3ServerTest, PutHeadGetDelete) {
  const std::string data = MakeContent(1000, 7);
  auto etag = client().put_object(bucket(), key("obj"), data);
  ASSERT_OK(etag);
  EXPECT_EQ(etag->size(), 32u);  // the MD5 of a single-part object

  auto info = client().head_object(bucket(), key("obj"));
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 1000u);
  EXPECT_EQ(info->etag, *etag);
  auto age = std::chrono::system_clock::now() - info->last_modified;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));

  auto all = ReadAll(client(), key("obj"));
  ASSERT_OK(all);
  EXPECT_EQ(*all, data);

  ASSERT_OK(client().delete_object(bucket(), key("obj")));
  EXPECT_CODE(client().head_object(bucket(), key("obj")).status(), kNotFound);
  std::string buf(10, '\0');
  auto gone = client().get_object(bucket(), key("obj"), 0, buf);
  ASSERT_CODE(gone.status(), kNotFound);
  EXPECT_NE(gone.status().message().find("NoSuchKey"), std::string::npos)
      << gone.status().ToString();
}

TEST_F(S3ServerTest, EmptyObject) {
  ASSERT_OK(client().put_object(bucket(), key("empty"), ""));
  auto info = client().head_object(bucket(), key("empty"));
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 0u);
  auto all = ReadAll(client(), key("empty"));
  ASSERT_OK(all);
  EXPECT_EQ(*all, "");
  std::string buf(10, 'x');
  auto n = client().get_object(bucket(), key("empty"), 0, buf);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
}

TEST_F(S3ServerTest, DeleteOfMissingKeyIsOk) {
  EXPECT_OK(client().delete_object(bucket(), key("never-there")));
}

TEST_F(S3ServerTest, PutIfNoneMatchNeverOverwrites) {
  PutOptions once;
  once.if_none_match = true;
  ASSERT_OK(client().put_object(bucket(), key("blob"), "first", once));
  auto again = client().put_object(bucket(), key("blob"), "second", once);
  ASSERT_CODE(again.status(), kAlreadyExists);
  EXPECT_NE(again.status().message().find("PreconditionFailed"), std::string::npos)
      << again.status().ToString();
  auto all = ReadAll(client(), key("blob"));
  ASSERT_OK(all);
  EXPECT_EQ(*all, "first");
  // Without the condition, a PUT replaces.
  ASSERT_OK(client().put_object(bucket(), key("blob"), "third"));
  EXPECT_EQ(*ReadAll(client(), key("blob")), "third");
}

TEST_F(S3ServerTest, RangedReadsAtEveryKindOfOffset) {
  const std::string data = MakeContent(1000, 3);
  ASSERT_OK(client().put_object(bucket(), key("r"), data));
  struct Case {
    uint64_t offset;
    size_t want;
    size_t expect;
  };
  for (Case c : {Case{0, 1000, 1000}, Case{0, 10, 10}, Case{10, 100, 100}, Case{990, 100, 10},
                 Case{999, 1, 1}, Case{1000, 10, 0}, Case{5000, 10, 0}, Case{0, 4096, 1000}}) {
    std::string buf(c.want, '\0');
    auto n = client().get_object(bucket(), key("r"), c.offset, buf);
    ASSERT_OK(n) << c.offset;
    ASSERT_EQ(*n, c.expect) << "offset " << c.offset << " want " << c.want;
    EXPECT_EQ(buf.substr(0, *n), data.substr(std::min<size_t>(c.offset, 1000), c.expect));
  }
  // Streaming a range, and past the end.
  std::string got;
  ASSERT_OK(client().read_object(bucket(), key("r"), 100, 50, [&](std::string_view chunk) {
    got.append(chunk);
    return Status::OK();
  }));
  EXPECT_EQ(got, data.substr(100, 50));
  got.clear();
  ASSERT_OK(
      client().read_object(bucket(), key("r"), 1000, std::nullopt, [&](std::string_view chunk) {
        got.append(chunk);
        return Status::OK();
      }));
  EXPECT_EQ(got, "");
}

TEST_F(S3ServerTest, ReadObjectStreamsAndStopsWhenTheSinkFails) {
  const std::string data = MakeContent(6 * kMiB, 11);
  ASSERT_OK(client().put_object(bucket(), key("big"), data));
  size_t chunks = 0;
  std::string got;
  ASSERT_OK(client().read_object(bucket(), key("big"), 0, std::nullopt, [&](std::string_view c) {
    ++chunks;
    got.append(c);
    return Status::OK();
  }));
  EXPECT_EQ(DigestOf(got), DigestOf(data));
  EXPECT_GT(chunks, 4u);  // it streamed

  size_t seen = 0;
  Status s = client().read_object(bucket(), key("big"), 0, std::nullopt, [&](std::string_view c) {
    seen += c.size();
    return seen > kMiB ? Status::IOError("disk full") : Status::OK();
  });
  ASSERT_CODE(s, kIOError);
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_LT(seen, 3 * kMiB);
}

TEST_F(S3ServerTest, ListObjectsPaginates) {
  for (int i = 0; i < 25; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "list/k%02d", i);
    ASSERT_OK(client().put_object(bucket(), key(name), std::to_string(i)));
  }
  ASSERT_OK(client().put_object(bucket(), key("list/sub/a"), "a"));
  ASSERT_OK(client().put_object(bucket(), key("list/sub/b"), "b"));

  std::vector<std::string> keys;
  ListObjectsRequest req;
  req.prefix = key("list/");
  req.max_keys = 10;
  int pages = 0;
  while (true) {
    auto page = client().list_objects(bucket(), req);
    ASSERT_OK(page);
    ++pages;
    EXPECT_LE(page->objects.size(), 10u);
    for (const ObjectInfo& o : page->objects) keys.push_back(o.key);
    if (!page->truncated) break;
    req.continuation_token = page->next_continuation_token;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(keys.size(), 27u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(keys.front(), key("list/k00"));
  EXPECT_EQ(keys.back(), key("list/sub/b"));

  ListObjectsRequest grouped;
  grouped.prefix = key("list/");
  grouped.delimiter = "/";
  auto page = client().list_objects(bucket(), grouped);
  ASSERT_OK(page);
  EXPECT_EQ(page->objects.size(), 25u);
  ASSERT_EQ(page->common_prefixes.size(), 1u);
  EXPECT_EQ(page->common_prefixes[0], key("list/sub/"));
  EXPECT_EQ(page->objects[3].size, 1u);

  ListObjectsRequest after;
  after.prefix = key("list/");
  after.start_after = key("list/k23");
  auto tail = client().list_objects(bucket(), after);
  ASSERT_OK(tail);
  ASSERT_EQ(tail->objects.size(), 3u);
  EXPECT_EQ(tail->objects[0].key, key("list/k24"));
}

TEST_F(S3ServerTest, KeysWithAnyCharacters) {
  const std::string odd = key("odd/a b+c=\xE2\x82\xAC%?#&;,'\"<>~./../x");
  ASSERT_OK(client().put_object(bucket(), odd, "odd"));
  auto info = client().head_object(bucket(), odd);
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 3u);
  ListObjectsRequest req;
  req.prefix = key("odd/");
  auto page = client().list_objects(bucket(), req);
  ASSERT_OK(page);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, odd);
  ASSERT_OK(client().copy_object(bucket(), odd, odd + "-copy"));
  EXPECT_EQ(*ReadAll(client(), odd + "-copy"), "odd");
  auto upload = client().create_multipart_upload(bucket(), odd + "-mp");
  ASSERT_OK(upload);
  ListUploadsRequest uploads;
  uploads.prefix = key("odd/");
  auto listed = client().list_multipart_uploads(bucket(), uploads);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->uploads.size(), 1u);
  EXPECT_EQ(listed->uploads[0].key, odd + "-mp");
  ASSERT_OK(client().abort_multipart_upload(bucket(), odd + "-mp", *upload));
}

TEST_F(S3ServerTest, CopyToBlobKey) {
  const std::string data = MakeContent(300000, 5);
  ASSERT_OK(client().put_object(bucket(), key("ingests/ref1"), data));
  const std::string blob = key("blobs/sha256/" + DigestOf(data).hex());
  auto etag = client().copy_object(bucket(), key("ingests/ref1"), blob);
  ASSERT_OK(etag);
  auto info = client().head_object(bucket(), blob);
  ASSERT_OK(info);
  EXPECT_EQ(info->etag, *etag);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(DigestOf(*ReadAll(client(), blob)), DigestOf(data));
  // The source stays until deleted (a move is copy + delete).
  EXPECT_OK(client().head_object(bucket(), key("ingests/ref1")));

  auto missing = client().copy_object(bucket(), key("nope"), key("dst"));
  EXPECT_CODE(missing.status(), kNotFound);
}

TEST_F(S3ServerTest, CopyOntoAnExistingKeyReplacesIt) {
  // client.h: copies overwrite (RGW ignores If-None-Match on copy), so a
  // caller that must not overwrite HEADs first.
  ASSERT_OK(client().put_object(bucket(), key("src"), "new bytes"));
  ASSERT_OK(client().put_object(bucket(), key("dst"), "old bytes"));
  ASSERT_OK(client().copy_object(bucket(), key("src"), key("dst")));
  EXPECT_EQ(*ReadAll(client(), key("dst")), "new bytes");
}

// Three parts of 5 MiB and a short one; parts 1 and 3 come from a file
// descriptor, 2 and 4 from memory.
TEST_F(S3ServerTest, MultipartRoundTripIsByteExact) {
  const std::string data = MakeContent(15 * kMiB + 123457, 21);
  TempDir dir;
  {
    std::ofstream f(dir / "data", std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  auto fd = OpenPath(*Env::Default(), dir / "data", O_RDONLY);
  ASSERT_OK(fd);

  auto upload = client().create_multipart_upload(bucket(), key("mp"));
  ASSERT_OK(upload);
  std::vector<Part> parts;
  for (int i = 0; i < 4; ++i) {
    uint64_t offset = static_cast<uint64_t>(i) * 5 * kMiB;
    uint64_t length = std::min<uint64_t>(5 * kMiB, data.size() - offset);
    Body body = i % 2 == 0 ? Body::File(fd->get(), offset, length)
                           : Body::Memory(std::string_view(data).substr(offset, length));
    auto etag = client().upload_part(bucket(), key("mp"), *upload, i + 1, body);
    ASSERT_OK(etag) << "part " << i + 1;
    parts.push_back({i + 1, *etag, length});
  }
  auto etag = client().complete_multipart_upload(bucket(), key("mp"), *upload, parts);
  ASSERT_OK(etag);
  EXPECT_EQ(*etag, MultipartETag(parts));
  EXPECT_TRUE(etag->ends_with("-4")) << *etag;

  auto info = client().head_object(bucket(), key("mp"));
  ASSERT_OK(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->etag, *etag);
  auto all = ReadAll(client(), key("mp"));
  ASSERT_OK(all);
  EXPECT_EQ(DigestOf(*all), DigestOf(data));
  // A range across the part boundary.
  std::string buf(100, '\0');
  auto n = client().get_object(bucket(), key("mp"), 5 * kMiB - 50, buf);
  ASSERT_OK(n);
  EXPECT_EQ(buf, data.substr(5 * kMiB - 50, 100));
  // The upload is gone once completed.
  EXPECT_CODE(client().list_parts(bucket(), key("mp"), *upload).status(), kNotFound);
}

TEST_F(S3ServerTest, SignedPayloadsAreAccepted) {
  auto signing = MakeClient([](ClientOptions& o) { o.sign_payload = true; });
  ASSERT_NE(signing, nullptr);
  const std::string data = MakeContent(5 * kMiB + 10, 2);
  ASSERT_OK(signing->put_object(bucket(), key("signed"), "signed body"));
  EXPECT_EQ(*ReadAll(client(), key("signed")), "signed body");

  TempDir dir;
  {
    std::ofstream f(dir / "data", std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  auto fd = OpenPath(*Env::Default(), dir / "data", O_RDONLY);
  ASSERT_OK(fd);
  auto upload = signing->create_multipart_upload(bucket(), key("signed-mp"));
  ASSERT_OK(upload);
  auto p1 = signing->upload_part(bucket(), key("signed-mp"), *upload, 1,
                                 Body::File(fd->get(), 0, 5 * kMiB));
  ASSERT_OK(p1);
  auto p2 = signing->upload_part(bucket(), key("signed-mp"), *upload, 2,
                                 Body::Memory(std::string_view(data).substr(5 * kMiB)));
  ASSERT_OK(p2);
  std::vector<Part> parts = {{1, *p1, 0}, {2, *p2, 0}};
  ASSERT_OK(signing->complete_multipart_upload(bucket(), key("signed-mp"), *upload, parts));
  EXPECT_EQ(DigestOf(*ReadAll(client(), key("signed-mp"))), DigestOf(data));
}

TEST_F(S3ServerTest, FileBodyShorterThanItsLengthFailsCleanly) {
  TempDir dir;
  {
    std::ofstream f(dir / "short", std::ios::binary);
    f << "only these bytes";
  }
  auto fd = OpenPath(*Env::Default(), dir / "short", O_RDONLY);
  ASSERT_OK(fd);
  auto upload = client().create_multipart_upload(bucket(), key("short"));
  ASSERT_OK(upload);
  auto part =
      client().upload_part(bucket(), key("short"), *upload, 1, Body::File(fd->get(), 0, 1000));
  ASSERT_CODE(part.status(), kIOError);
  EXPECT_NE(part.status().message().find("before the body's length"), std::string::npos)
      << part.status().ToString();
  ASSERT_OK(client().abort_multipart_upload(bucket(), key("short"), *upload));
}

// An upload started by one client object (one node) is found, listed and
// completed by another, as a resumed ingest would be.
TEST_F(S3ServerTest, ResumeAnUploadFromAnotherClient) {
  const std::string data = MakeContent(10 * kMiB + 999, 4);
  std::string upload_id;
  {
    auto first = MakeClient([](ClientOptions&) {});
    ASSERT_NE(first, nullptr);
    auto upload = first->create_multipart_upload(bucket(), key("ingests/resume"));
    ASSERT_OK(upload);
    upload_id = *upload;
    for (int i = 0; i < 2; ++i) {
      ASSERT_OK(
          first->upload_part(bucket(), key("ingests/resume"), upload_id, i + 1,
                             Body::Memory(std::string_view(data).substr(i * 5 * kMiB, 5 * kMiB))));
    }
  }  // the first node goes away

  auto second = MakeClient([](ClientOptions&) {});
  ASSERT_NE(second, nullptr);
  ListUploadsRequest req;
  req.prefix = key("ingests/");
  auto uploads = second->list_multipart_uploads(bucket(), req);
  ASSERT_OK(uploads);
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].key, key("ingests/resume"));
  EXPECT_EQ(uploads->uploads[0].upload_id, upload_id);

  // Parts one page at a time.
  auto page1 = second->list_parts(bucket(), key("ingests/resume"), upload_id, 0, 1);
  ASSERT_OK(page1);
  ASSERT_EQ(page1->parts.size(), 1u);
  EXPECT_TRUE(page1->truncated);
  EXPECT_EQ(page1->parts[0].number, 1);
  EXPECT_EQ(page1->parts[0].size, 5 * kMiB);
  auto page2 = second->list_parts(bucket(), key("ingests/resume"), upload_id,
                                  page1->next_part_number_marker, 1);
  ASSERT_OK(page2);
  ASSERT_EQ(page2->parts.size(), 1u);
  EXPECT_EQ(page2->parts[0].number, 2);
  auto all_parts = second->list_all_parts(bucket(), key("ingests/resume"), upload_id);
  ASSERT_OK(all_parts);
  ASSERT_EQ(all_parts->size(), 2u);

  std::vector<Part> parts = *all_parts;
  auto p3 = second->upload_part(bucket(), key("ingests/resume"), upload_id, 3,
                                Body::Memory(std::string_view(data).substr(10 * kMiB)));
  ASSERT_OK(p3);
  parts.push_back({3, *p3, data.size() - 10 * kMiB});
  ASSERT_OK(second->complete_multipart_upload(bucket(), key("ingests/resume"), upload_id, parts));
  EXPECT_EQ(DigestOf(*ReadAll(*second, key("ingests/resume"))), DigestOf(data));
  auto after = second->list_multipart_uploads(bucket(), req);
  ASSERT_OK(after);
  EXPECT_TRUE(after->uploads.empty());
}

TEST_F(S3ServerTest, ListMultipartUploadsPaginates) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = client().create_multipart_upload(bucket(), key("u/" + std::to_string(i)));
    ASSERT_OK(id);
    ids.push_back(*id);
  }
  ListUploadsRequest req;
  req.prefix = key("u/");
  req.max_uploads = 2;
  std::vector<std::string> seen;
  int pages_seen = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = client().list_multipart_uploads(bucket(), req);
    ASSERT_OK(page);
    EXPECT_LE(page->uploads.size(), 2u);
    ++pages_seen;
    for (const Upload& u : page->uploads) seen.push_back(u.upload_id);
    if (!page->truncated) break;
    req.key_marker = page->next_key_marker;
    req.upload_id_marker = page->next_upload_id_marker;
  }
  EXPECT_EQ(pages_seen, 3);
  std::vector<std::string> sorted_ids = ids;
  std::sort(seen.begin(), seen.end());
  std::sort(sorted_ids.begin(), sorted_ids.end());
  EXPECT_EQ(seen, sorted_ids);
  for (int i = 0; i < 5; ++i) {
    EXPECT_OK(client().abort_multipart_upload(bucket(), key("u/" + std::to_string(i)), ids[i]));
  }
}

TEST_F(S3ServerTest, CompleteRefusesPartsThatDoNotFit) {
  auto upload = client().create_multipart_upload(bucket(), key("bad"));
  ASSERT_OK(upload);
  auto small = client().upload_part(bucket(), key("bad"), *upload, 1, Body::Memory("tiny"));
  ASSERT_OK(small);
  auto last = client().upload_part(bucket(), key("bad"), *upload, 2, Body::Memory("last"));
  ASSERT_OK(last);

  // Part 1 is not the last and is below 5 MiB.
  std::vector<Part> both = {{1, *small, 0}, {2, *last, 0}};
  auto too_small = client().complete_multipart_upload(bucket(), key("bad"), *upload, both);
  ASSERT_CODE(too_small.status(), kFailedPrecondition);
  EXPECT_NE(too_small.status().message().find("EntityTooSmall"), std::string::npos)
      << too_small.status().ToString();

  // A wrong ETag, and a part that was never uploaded.
  std::vector<Part> wrong = {{1, "00000000000000000000000000000000", 0}};
  auto bad_etag = client().complete_multipart_upload(bucket(), key("bad"), *upload, wrong);
  ASSERT_CODE(bad_etag.status(), kFailedPrecondition);
  EXPECT_NE(bad_etag.status().message().find("InvalidPart"), std::string::npos)
      << bad_etag.status().ToString();
  std::vector<Part> absent = {{1, *small, 0}, {2, *last, 0}, {7, *small, 0}};
  EXPECT_CODE(client().complete_multipart_upload(bucket(), key("bad"), *upload, absent).status(),
              kFailedPrecondition);
  // RGW 16 (not AWS) refuses a list that leaves out an uploaded part.
  std::vector<Part> subset = {{1, *small, 0}};
  auto partial = client().complete_multipart_upload(bucket(), key("bad"), *upload, subset);
  ASSERT_CODE(partial.status(), kFailedPrecondition);
  EXPECT_NE(partial.status().message().find("InvalidPart"), std::string::npos)
      << partial.status().ToString();

  // The upload survives refused completions: replace part 1 with 5 MiB and
  // it completes.
  const std::string big = MakeContent(5 * kMiB, 1);
  auto bigger = client().upload_part(bucket(), key("bad"), *upload, 1, Body::Memory(big));
  ASSERT_OK(bigger);
  std::vector<Part> fixed = {{1, *bigger, 0}, {2, *last, 0}};
  ASSERT_OK(client().complete_multipart_upload(bucket(), key("bad"), *upload, fixed));
  EXPECT_EQ(*ReadAll(client(), key("bad")), big + "last");
}

// RGW 16 answers a second completion of the same upload again (AWS may say
// NoSuchUpload, which the client resolves with a HEAD: client_faults_test);
// once the object was deleted or replaced, RGW answers 500 InternalError.
TEST_F(S3ServerTest, CompletingTwice) {
  auto upload = client().create_multipart_upload(bucket(), key("twice"));
  ASSERT_OK(upload);
  auto p = client().upload_part(bucket(), key("twice"), *upload, 1, Body::Memory("x"));
  ASSERT_OK(p);
  std::vector<Part> parts = {{1, *p, 0}};
  auto first = client().complete_multipart_upload(bucket(), key("twice"), *upload, parts);
  ASSERT_OK(first);
  EXPECT_EQ(*first, MultipartETag(parts));  // RGW sent none: the client asked with a HEAD
  auto second = client().complete_multipart_upload(bucket(), key("twice"), *upload, parts);
  ASSERT_OK(second);
  EXPECT_EQ(*second, *first);

  ASSERT_OK(client().delete_object(bucket(), key("twice")));
  auto after_delete = client().complete_multipart_upload(bucket(), key("twice"), *upload, parts);
  ASSERT_CODE(after_delete.status(), kUnavailable);
  EXPECT_NE(after_delete.status().message().find("InternalError"), std::string::npos)
      << after_delete.status().ToString();
}

TEST_F(S3ServerTest, AbortDiscardsTheUpload) {
  auto upload = client().create_multipart_upload(bucket(), key("abort"));
  ASSERT_OK(upload);
  ASSERT_OK(client().upload_part(bucket(), key("abort"), *upload, 1, Body::Memory("x")));
  ASSERT_OK(client().abort_multipart_upload(bucket(), key("abort"), *upload));
  EXPECT_CODE(client().abort_multipart_upload(bucket(), key("abort"), *upload), kNotFound);
  EXPECT_CODE(client().list_parts(bucket(), key("abort"), *upload).status(), kNotFound);
  EXPECT_CODE(client().upload_part(bucket(), key("abort"), *upload, 2, Body::Memory("y")).status(),
              kNotFound);
  ListUploadsRequest req;
  req.prefix = key("abort");
  auto listed = client().list_multipart_uploads(bucket(), req);
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->uploads.empty());
  EXPECT_CODE(client().head_object(bucket(), key("abort")).status(), kNotFound);
}

TEST_F(S3ServerTest, UploadPartCopyOfWholeObjects) {
  // What distribution does to continue an upload whose data so far is one
  // object: copy it whole as part 1, upload the rest.
  const std::string data = MakeContent(6 * kMiB + 5, 9);
  ASSERT_OK(client().put_object(bucket(), key("source"), data));
  auto upload = client().create_multipart_upload(bucket(), key("whole"));
  ASSERT_OK(upload);
  auto p1 = client().upload_part_copy(bucket(), key("whole"), *upload, 1, key("source"));
  ASSERT_OK(p1);
  auto p2 = client().upload_part(bucket(), key("whole"), *upload, 2, Body::Memory("tail"));
  ASSERT_OK(p2);
  std::vector<Part> parts = {{1, *p1, 0}, {2, *p2, 0}};
  ASSERT_OK(client().complete_multipart_upload(bucket(), key("whole"), *upload, parts));
  EXPECT_EQ(DigestOf(*ReadAll(client(), key("whole"))), DigestOf(data + "tail"));

  auto upload2 = client().create_multipart_upload(bucket(), key("whole2"));
  ASSERT_OK(upload2);
  EXPECT_CODE(client().upload_part_copy(bucket(), key("whole2"), *upload2, 1, key("nope")).status(),
              kNotFound);
  ASSERT_OK(client().abort_multipart_upload(bucket(), key("whole2"), *upload2));
}

TEST_F(S3ServerTest, UploadPartCopyOfRanges) {
  if (curl_version_info(CURLVERSION_NOW)->version_num < 0x080A00) {
    // libcurl before 8.10 signs x-amz-copy-source-range in the wrong order.
    auto upload = client().create_multipart_upload(bucket(), key("ranged"));
    ASSERT_OK(upload);
    auto part = client().upload_part_copy(bucket(), key("ranged"), *upload, 1, key("any"),
                                          ByteRange{0, 10});
    ASSERT_CODE(part.status(), kFailedPrecondition);
    EXPECT_NE(part.status().message().find("libcurl"), std::string::npos)
        << part.status().ToString();
    ASSERT_OK(client().abort_multipart_upload(bucket(), key("ranged"), *upload));
    return;
  }
  const std::string data = MakeContent(7 * kMiB + 5, 9);
  ASSERT_OK(client().put_object(bucket(), key("source"), data));
  auto upload = client().create_multipart_upload(bucket(), key("assembled"));
  ASSERT_OK(upload);
  auto p1 = client().upload_part_copy(bucket(), key("assembled"), *upload, 1, key("source"),
                                      ByteRange{0, 5 * kMiB});
  ASSERT_OK(p1);
  auto p2 = client().upload_part_copy(bucket(), key("assembled"), *upload, 2, key("source"),
                                      ByteRange{5 * kMiB, data.size() - 5 * kMiB});
  ASSERT_OK(p2);
  auto p3 = client().upload_part(bucket(), key("assembled"), *upload, 3, Body::Memory("tail"));
  ASSERT_OK(p3);
  std::vector<Part> parts = {{1, *p1, 0}, {2, *p2, 0}, {3, *p3, 0}};
  ASSERT_OK(client().complete_multipart_upload(bucket(), key("assembled"), *upload, parts));
  EXPECT_EQ(DigestOf(*ReadAll(client(), key("assembled"))), DigestOf(data + "tail"));
}

TEST_F(S3ServerTest, WrongCredentialsAreAccessDeniedWithoutTheSecret) {
  const std::string secret = "WRONG-secret-" + RandomHex(8);
  auto bad_secret = MakeClient([&](ClientOptions& o) { o.credentials.secret_access_key = secret; });
  ASSERT_NE(bad_secret, nullptr);
  auto put = bad_secret->put_object(bucket(), key("denied"), "x");
  ASSERT_CODE(put.status(), kIOError);
  const std::string msg = put.status().message();
  EXPECT_NE(msg.find("access denied"), std::string::npos) << msg;
  EXPECT_NE(msg.find("SignatureDoesNotMatch"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(secret), std::string::npos) << msg;
  EXPECT_EQ(msg.find(server_.credentials.access_key_id), std::string::npos) << msg;

  const std::string unknown_id = "AKUNKNOWN" + RandomHex(4);
  auto bad_id = MakeClient([&](ClientOptions& o) { o.credentials.access_key_id = unknown_id; });
  ASSERT_NE(bad_id, nullptr);
  auto head = bad_id->head_object(bucket(), key("denied"));
  ASSERT_CODE(head.status(), kIOError);
  EXPECT_NE(head.status().message().find("access denied"), std::string::npos)
      << head.status().ToString();
  EXPECT_EQ(head.status().message().find(unknown_id), std::string::npos)
      << head.status().ToString();
  EXPECT_EQ(head.status().message().find(server_.credentials.secret_access_key), std::string::npos);
}

TEST_F(S3ServerTest, Buckets) {
  EXPECT_OK(client().head_bucket(bucket()));
  EXPECT_CODE(client().head_bucket("no-such-bucket-" + RandomHex(4)), kNotFound);
  const std::string fresh = "cs-test-" + RandomHex(6);
  ASSERT_OK(client().create_bucket(fresh));
  EXPECT_OK(client().head_bucket(fresh));
  EXPECT_OK(client().create_bucket(fresh));  // ours already: RGW answers 200
  EXPECT_OK(client().put_object(fresh, "k", "v"));
  auto missing = client().put_object("no-such-bucket-" + RandomHex(4), "k", "v");
  ASSERT_CODE(missing.status(), kNotFound);
  EXPECT_NE(missing.status().message().find("NoSuchBucket"), std::string::npos)
      << missing.status().ToString();
}

// A relay loses the answer to the first CompleteMultipartUpload after RGW
// has completed it; the retry finds NoSuchUpload and the client recognizes
// its own object.
TEST_F(S3ServerTest, CompleteWhoseAnswerWasLostSucceeds) {
  FaultProxy proxy(server_.port, LossRule{"POST", "uploadId=", 0, 1});
  auto via = MakeClient([&](ClientOptions& o) { o.endpoint = proxy.endpoint(); });
  ASSERT_NE(via, nullptr);
  const std::string data = MakeContent(5 * kMiB + 3, 8);
  auto upload = via->create_multipart_upload(bucket(), key("lost-complete"));
  ASSERT_OK(upload);
  auto p1 = via->upload_part(bucket(), key("lost-complete"), *upload, 1,
                             Body::Memory(std::string_view(data).substr(0, 5 * kMiB)));
  ASSERT_OK(p1);
  auto p2 = via->upload_part(bucket(), key("lost-complete"), *upload, 2,
                             Body::Memory(std::string_view(data).substr(5 * kMiB)));
  ASSERT_OK(p2);
  std::vector<Part> parts = {{1, *p1, 0}, {2, *p2, 0}};
  auto etag = via->complete_multipart_upload(bucket(), key("lost-complete"), *upload, parts);
  ASSERT_OK(etag);
  EXPECT_EQ(proxy.fired(), 1) << proxy.seen();  // the fault really happened
  EXPECT_EQ(*etag, MultipartETag(parts));
  EXPECT_EQ(DigestOf(*ReadAll(client(), key("lost-complete"))), DigestOf(data));
}

TEST_F(S3ServerTest, PutIfNoneMatchWhoseAnswerWasLostSucceeds) {
  FaultProxy proxy(server_.port, LossRule{"PUT", "lost-put", 0, 1});
  auto via = MakeClient([&](ClientOptions& o) { o.endpoint = proxy.endpoint(); });
  ASSERT_NE(via, nullptr);
  PutOptions once;
  once.if_none_match = true;
  ASSERT_OK(via->put_object(bucket(), key("lost-put"), "mine", once));
  EXPECT_EQ(proxy.fired(), 1) << proxy.seen();
  // Someone else's bytes under the key are still refused.
  ASSERT_OK(client().put_object(bucket(), key("lost-put2"), "theirs"));
  EXPECT_CODE(via->put_object(bucket(), key("lost-put2"), "mine", once).status(), kAlreadyExists);
}

TEST_F(S3ServerTest, AbortWhoseAnswerWasLostSucceeds) {
  FaultProxy proxy(server_.port, LossRule{"DELETE", "uploadId=", 0, 1});
  auto via = MakeClient([&](ClientOptions& o) { o.endpoint = proxy.endpoint(); });
  ASSERT_NE(via, nullptr);
  auto upload = via->create_multipart_upload(bucket(), key("lost-abort"));
  ASSERT_OK(upload);
  ASSERT_OK(via->abort_multipart_upload(bucket(), key("lost-abort"), *upload));
  EXPECT_EQ(proxy.fired(), 1) << proxy.seen();
  EXPECT_CODE(client().list_parts(bucket(), key("lost-abort"), *upload).status(), kNotFound);
}

// The relay cuts a GET's answer after 1 MiB; the client asks for the rest
// (Range from where it stopped, If-Match on the ETag) and the bytes match.
TEST_F(S3ServerTest, ReadResumesAfterTheAnswerIsCut) {
  const std::string data = MakeContent(4 * kMiB + 77, 12);
  ASSERT_OK(client().put_object(bucket(), key("cut"), data));
  FaultProxy proxy(server_.port, LossRule{"GET", "/cut", kMiB, 1});
  auto via = MakeClient([&](ClientOptions& o) { o.endpoint = proxy.endpoint(); });
  ASSERT_NE(via, nullptr);
  auto all = ReadAll(*via, key("cut"));
  ASSERT_OK(all);
  EXPECT_EQ(proxy.fired(), 1) << proxy.seen();
  EXPECT_EQ(DigestOf(*all), DigestOf(data));

  // The same into a caller's buffer, from an offset.
  FaultProxy proxy2(server_.port, LossRule{"GET", "/cut", kMiB / 2, 1});
  auto via2 = MakeClient([&](ClientOptions& o) { o.endpoint = proxy2.endpoint(); });
  ASSERT_NE(via2, nullptr);
  std::string buf(3 * kMiB, '\0');
  auto n = via2->get_object(bucket(), key("cut"), 1000, buf);
  ASSERT_OK(n);
  EXPECT_EQ(proxy2.fired(), 1) << proxy2.seen();
  ASSERT_EQ(*n, buf.size());
  EXPECT_EQ(DigestOf(buf), DigestOf(data.substr(1000, 3 * kMiB)));
}

TEST_F(S3ServerTest, OneClientManyThreads) {
  constexpr int kThreads = 8, kEach = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string k = key("mt/" + std::to_string(t) + "/" + std::to_string(i));
        std::string v =
            MakeContent(1000 + static_cast<size_t>(t * 100 + i), static_cast<uint64_t>(t * 10 + i));
        if (!client().put_object(bucket(), k, v).ok()) ++failures;
        std::string buf(v.size(), '\0');
        auto n = client().get_object(bucket(), k, 0, buf);
        if (!n.ok() || *n != v.size() || buf != v) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ListObjectsRequest req;
  req.prefix = key("mt/");
  auto page = client().list_objects(bucket(), req);
  ASSERT_OK(page);
  EXPECT_EQ(page->objects.size(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace contentstore::s3
