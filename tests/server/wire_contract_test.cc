// The server's .proto (server/proto/.../content.proto, the project's own
// copy) against the one containerd's Debian package installs: every
// message, field (name, number, type, label, map-ness), enum value and
// method (types, streaming) must match, in both directions. protoc compiles
// the installed file at test time (with its gogoproto import); the copy is
// the descriptor compiled into the server.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "server_test_util.h"

namespace contentstore::server::testing {
namespace {

namespace pb = google::protobuf;

constexpr char kGoSource[] = "/usr/share/gocode/src";
constexpr char kContentProto[] = "github.com/containerd/containerd/api/services/content/v1/content.proto";
constexpr char kGogoRoot[] = "/usr/share/gocode/src/github.com/gogo/protobuf";

// Builds containerd's installed content.proto into `pool`; nullptr (and a
// skip reason) when the file is not installed.
const pb::FileDescriptor* InstalledContract(pb::DescriptorPool& pool, std::string* skip) {
  if (!std::filesystem::exists(std::string(kGoSource) + "/" + kContentProto)) {
    *skip = "containerd's content.proto is not installed (Debian package "
            "golang-github-containerd-containerd-dev)";
    return nullptr;
  }
  TempDir dir;
  const std::string set_path = dir / "contract.pb";
  const std::string command = std::string(CONTENTSTORE_PROTOC) + " --include_imports" +
                              " --descriptor_set_out=" + set_path + " -I" + kGoSource + " -I" +
                              kGogoRoot + " -I" + kGogoRoot + "/protobuf -I/usr/include " +
                              kContentProto;
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "protoc failed: " << command;
    return nullptr;
  }
  pb::FileDescriptorSet set;
  std::ifstream in(set_path, std::ios::binary);
  if (!set.ParseFromIstream(&in)) {
    ADD_FAILURE() << "cannot parse " << set_path;
    return nullptr;
  }
  for (const auto& file : set.file()) {
    if (pool.BuildFile(file) == nullptr) ADD_FAILURE() << "cannot build " << file.name();
  }
  return pool.FindFileByName(kContentProto);
}

std::string TypeName(const pb::FieldDescriptor& field) {
  if (field.message_type() != nullptr) return field.message_type()->full_name();
  if (field.enum_type() != nullptr) return field.enum_type()->full_name();
  return field.type_name();
}

void CompareMessages(const pb::Descriptor& theirs, const pb::Descriptor& ours) {
  SCOPED_TRACE(theirs.full_name());
  EXPECT_EQ(theirs.full_name(), ours.full_name());
  ASSERT_EQ(theirs.field_count(), ours.field_count());
  for (int i = 0; i < theirs.field_count(); ++i) {
    const pb::FieldDescriptor& t = *theirs.field(i);
    const pb::FieldDescriptor* o = ours.FindFieldByNumber(t.number());
    ASSERT_NE(o, nullptr) << "field " << t.name() << " = " << t.number() << " is missing";
    EXPECT_EQ(t.name(), o->name());
    EXPECT_EQ(t.type(), o->type()) << t.name();
    EXPECT_EQ(t.label(), o->label()) << t.name();
    EXPECT_EQ(t.is_map(), o->is_map()) << t.name();
    EXPECT_EQ(TypeName(t), TypeName(*o)) << t.name();
    if (t.is_map()) CompareMessages(*t.message_type(), *o->message_type());
  }
}

TEST(WireContractTest, MatchesContainerdsInstalledProto) {
  pb::DescriptorPool pool;
  std::string skip;
  const pb::FileDescriptor* theirs = InstalledContract(pool, &skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  ASSERT_NE(theirs, nullptr);
  const pb::FileDescriptor* ours = api::Info::descriptor()->file();

  EXPECT_EQ(theirs->package(), ours->package());
  EXPECT_EQ(theirs->syntax(), ours->syntax());
  std::set<std::string> their_messages, our_messages;
  for (int i = 0; i < theirs->message_type_count(); ++i) {
    const pb::Descriptor& t = *theirs->message_type(i);
    their_messages.insert(t.full_name());
    const pb::Descriptor* o = ours->FindMessageTypeByName(t.name());
    ASSERT_NE(o, nullptr) << "message " << t.full_name() << " is missing";
    CompareMessages(t, *o);
  }
  for (int i = 0; i < ours->message_type_count(); ++i) {
    our_messages.insert(ours->message_type(i)->full_name());
  }
  EXPECT_EQ(their_messages, our_messages);

  ASSERT_EQ(theirs->enum_type_count(), ours->enum_type_count());
  for (int i = 0; i < theirs->enum_type_count(); ++i) {
    const pb::EnumDescriptor& t = *theirs->enum_type(i);
    const pb::EnumDescriptor* o = ours->FindEnumTypeByName(t.name());
    ASSERT_NE(o, nullptr) << "enum " << t.full_name() << " is missing";
    ASSERT_EQ(t.value_count(), o->value_count()) << t.full_name();
    for (int v = 0; v < t.value_count(); ++v) {
      const pb::EnumValueDescriptor* ov = o->FindValueByName(t.value(v)->name());
      ASSERT_NE(ov, nullptr) << t.value(v)->name();
      EXPECT_EQ(t.value(v)->number(), ov->number()) << t.value(v)->name();
    }
  }

  ASSERT_EQ(theirs->service_count(), 1);
  ASSERT_EQ(ours->service_count(), 1);
  const pb::ServiceDescriptor& ts = *theirs->service(0);
  const pb::ServiceDescriptor& os = *ours->service(0);
  EXPECT_EQ(ts.full_name(), os.full_name());
  ASSERT_EQ(ts.method_count(), os.method_count());
  for (int i = 0; i < ts.method_count(); ++i) {
    const pb::MethodDescriptor& t = *ts.method(i);
    const pb::MethodDescriptor* o = os.FindMethodByName(t.name());
    ASSERT_NE(o, nullptr) << "method " << t.name() << " is missing";
    EXPECT_EQ(t.input_type()->full_name(), o->input_type()->full_name()) << t.name();
    EXPECT_EQ(t.output_type()->full_name(), o->output_type()->full_name()) << t.name();
    EXPECT_EQ(t.client_streaming(), o->client_streaming()) << t.name();
    EXPECT_EQ(t.server_streaming(), o->server_streaming()) << t.name();
  }
}

}  // namespace
}  // namespace contentstore::server::testing
