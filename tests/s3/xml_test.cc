// Parsing S3's XML documents (samples as RGW 16 sends them) and writing the
// CompleteMultipartUpload request. No server.

#include "s3/xml.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace contentstore::s3 {
namespace {

constexpr std::string_view kNs = R"( xmlns="http://s3.amazonaws.com/doc/2006-03-01/")";

std::string Doc(std::string_view root, std::string_view inner) {
  return R"(<?xml version="1.0" encoding="UTF-8"?><)" + std::string(root) + std::string(kNs) + ">" +
         std::string(inner) + "</" + std::string(root) + ">";
}

TEST(S3XmlTest, ErrorDocument) {
  auto e = ParseError(404, R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>)"
                           R"(<Message></Message><RequestId>tx0001</RequestId></Error>)");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->http_status, 404);
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->request_id, "tx0001");
}

TEST(S3XmlTest, ErrorWithoutBodyOrXml) {
  auto head = ParseError(404, "");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->code, "");
  auto html = ParseError(502, "<html><body>Bad Gateway</body></html>");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->http_status, 502);
  auto junk = ParseError(500, "not xml at all");
  ASSERT_TRUE(junk);
}

TEST(S3XmlTest, A200WithAResultIsNoError) {
  EXPECT_FALSE(ParseError(200, Doc("CopyObjectResult", "<ETag>abc</ETag>")));
  EXPECT_FALSE(ParseError(200, ""));
  EXPECT_FALSE(ParseError(204, "not xml"));
  auto e = ParseError(200, "<Error><Code>InternalError</Code></Error>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "InternalError");
}

TEST(S3XmlTest, ListObjectsWithUrlEncodedKeys) {
  auto page = ParseListObjects(
      Doc("ListBucketResult",
          "<EncodingType>url</EncodingType><Name>b</Name><Prefix></Prefix><MaxKeys>2</MaxKeys>"
          "<IsTruncated>true</IsTruncated><NextContinuationToken>tok%2F1</NextContinuationToken>"
          "<Contents><Key>a%20b%2Bc%3D%E2%82%AC</Key><LastModified>2026-11-30T18:48:18.979Z"
          "</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size>"
          "</Contents><Contents><Key>k1</Key><LastModified>2026-11-30T18:48:18.579Z</LastModified>"
          "<ETag>&quot;x-2&quot;</ETag><Size>10485760</Size></Contents>"
          "<CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes><KeyCount>2</KeyCount>"));
  ASSERT_OK(page);
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a b+c=\xE2\x82\xAC");
  EXPECT_EQ(page->objects[0].size, 5u);
  EXPECT_EQ(page->objects[0].etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(page->objects[0].last_modified.time_since_epoch(),
            std::chrono::seconds(1796064498) + std::chrono::milliseconds(979));
  EXPECT_EQ(page->objects[1].etag, "x-2");
  EXPECT_EQ(page->objects[1].size, 10485760u);
  EXPECT_TRUE(page->truncated);
  // The token is opaque: passed back as it came.
  EXPECT_EQ(page->next_continuation_token, "tok%2F1");
  ASSERT_EQ(page->common_prefixes.size(), 1u);
  EXPECT_EQ(page->common_prefixes[0], "dir/");
}

TEST(S3XmlTest, ListObjectsKeysTakenLiterallyWithoutEncodingType) {
  auto page = ParseListObjects(Doc("ListBucketResult",
                                   "<IsTruncated>false</IsTruncated><Contents><Key>a%20b</Key>"
                                   "<Size>1</Size></Contents>"));
  ASSERT_OK(page);
  EXPECT_EQ(page->objects.at(0).key, "a%20b");
  EXPECT_FALSE(page->truncated);
}

TEST(S3XmlTest, MalformedDocumentsAreIOError) {
  EXPECT_CODE(ParseListObjects("<ListBucketResult>").status(), kIOError);
  EXPECT_CODE(ParseListObjects(Doc("Other", "")).status(), kIOError);
  EXPECT_CODE(
      ParseListObjects(Doc("ListBucketResult", "<Contents><Key>k</Key></Contents>")).status(),
      kIOError);
  EXPECT_CODE(ParseListObjects(Doc("ListBucketResult", "<IsTruncated>true</IsTruncated>")).status(),
              kIOError);
  EXPECT_CODE(ParseUploadId(Doc("InitiateMultipartUploadResult", "")).status(), kIOError);
  EXPECT_CODE(
      ParseListParts(Doc("ListPartsResult", "<Part><PartNumber>x</PartNumber></Part>")).status(),
      kIOError);
  auto wrong_root = ParseETag(Doc("CopyPartResult", "<ETag>a</ETag>"), "CopyObjectResult");
  ASSERT_CODE(wrong_root.status(), kIOError);
  EXPECT_NE(wrong_root.status().message().find("CopyPartResult"), std::string::npos);
}

TEST(S3XmlTest, UploadIdPartsAndUploads) {
  auto id = ParseUploadId(Doc("InitiateMultipartUploadResult",
                              "<Bucket>b</Bucket><Key>k</Key><UploadId>2~abc</UploadId>"));
  ASSERT_OK(id);
  EXPECT_EQ(*id, "2~abc");

  auto parts = ParseListParts(
      Doc("ListPartsResult",
          "<Bucket>b</Bucket><Key>k</Key><UploadId>2~abc</UploadId><NextPartNumberMarker>2"
          "</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>"
          "<Part><LastModified>2026-11-30T18:48:18.579Z</LastModified><PartNumber>1</PartNumber>"
          "<ETag>&quot;aa&quot;</ETag><Size>5242880</Size></Part>"
          "<Part><PartNumber>2</PartNumber><ETag>&quot;bb&quot;</ETag><Size>7</Size></Part>"));
  ASSERT_OK(parts);
  ASSERT_EQ(parts->parts.size(), 2u);
  EXPECT_EQ(parts->parts[0].number, 1);
  EXPECT_EQ(parts->parts[0].etag, "aa");
  EXPECT_EQ(parts->parts[0].size, 5242880u);
  EXPECT_EQ(parts->parts[1].size, 7u);
  EXPECT_TRUE(parts->truncated);
  EXPECT_EQ(parts->next_part_number_marker, 2);

  auto uploads = ParseListUploads(
      Doc("ListMultipartUploadsResult",
          "<Bucket>b</Bucket><NextKeyMarker>ingests/r2</NextKeyMarker><NextUploadIdMarker>2~y"
          "</NextUploadIdMarker><IsTruncated>true</IsTruncated>"
          "<Upload><Key>ingests/r1</Key><UploadId>2~x</UploadId><Initiated>2026-11-30T18:48:18Z"
          "</Initiated></Upload><Upload><Key>ingests/r2</Key><UploadId>2~y</UploadId></Upload>"));
  ASSERT_OK(uploads);
  ASSERT_EQ(uploads->uploads.size(), 2u);
  EXPECT_EQ(uploads->uploads[0].key, "ingests/r1");
  EXPECT_EQ(uploads->uploads[0].upload_id, "2~x");
  EXPECT_EQ(uploads->uploads[0].initiated.time_since_epoch(), std::chrono::seconds(1796064498));
  EXPECT_EQ(uploads->next_key_marker, "ingests/r2");
  EXPECT_EQ(uploads->next_upload_id_marker, "2~y");
}

TEST(S3XmlTest, ETagMayBeEmpty) {
  // RGW 16 answers the first CompleteMultipartUpload with <ETag></ETag>.
  auto empty = ParseETag(Doc("CompleteMultipartUploadResult", "<Key>k</Key><ETag></ETag>"),
                         "CompleteMultipartUploadResult");
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, "");
}

TEST(S3XmlTest, ETagResultsLoseTheirQuotes) {
  auto copy = ParseETag(Doc("CopyObjectResult", "<ETag>5d41</ETag>"), "CopyObjectResult");
  ASSERT_OK(copy);
  EXPECT_EQ(*copy, "5d41");
  auto done = ParseETag(Doc("CompleteMultipartUploadResult", "<ETag>&quot;ab-3&quot;</ETag>"),
                        "CompleteMultipartUploadResult");
  ASSERT_OK(done);
  EXPECT_EQ(*done, "ab-3");
}

TEST(S3XmlTest, CompleteBodyNamesEachPartWithQuotedETag) {
  std::vector<Part> parts = {{1, "aa", 0}, {3, "\"bb\"", 0}};
  EXPECT_EQ(
      CompleteMultipartBody(parts),
      R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Part><PartNumber>1</PartNumber><ETag>"aa"</ETag></Part>)"
      R"(<Part><PartNumber>3</PartNumber><ETag>"bb"</ETag></Part></CompleteMultipartUpload>)");
}

}  // namespace
}  // namespace contentstore::s3
