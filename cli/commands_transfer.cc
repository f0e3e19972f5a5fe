// `ingest` and `get`: the commands that move blob bytes. Both stream through
// one 1 MiB buffer, so memory stays flat whatever the size of the blob.

#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "contentstore/validate.h"
#include "input.h"
#include "progress.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

struct IngestArgs {
  std::string ref;
  std::string file;
  std::string expected_digest;
  int64_t expected_size = 0;
  std::vector<std::string> labels;
  bool no_commit = false;
  std::string algorithm;
  std::string lease;
  bool progress = false;
  bool no_progress = false;
  CLI::Option* expected_digest_option = nullptr;
  CLI::Option* expected_size_option = nullptr;
  CLI::Option* algorithm_option = nullptr;
  CLI::Option* lease_option = nullptr;
};

struct GetArgs {
  std::string digest;
  bool verify = false;
};

// Adds `labels` to a committed blob, leaving its other labels alone.
Status AddLabels(Store& store, const Digest& digest, const Labels& labels) {
  if (labels.empty()) return Status::OK();
  Info info;
  info.digest = digest;
  info.labels = labels;
  std::vector<std::string> fieldpaths;
  for (const auto& entry : labels) fieldpaths.push_back("labels." + entry.first);
  return store.update(info, fieldpaths).status();
}


// Labels, expected digest, size, algorithm and lease from the arguments: all
// checked before anything is read or opened, so a label the store would
// refuse at commit fails before the input is streamed, not after.
Status BuildIngest(const IngestArgs& args, WriterOptions& options, Labels& labels) {
  if (Status s = ParseLabelArgs(args.labels, labels); !s.ok()) return s;
  for (const auto& [key, value] : labels) {
    if (value.empty()) {
      // On an existing blob this would delete the label: not what "ingest
      // with a label" suggests. `label DIGEST KEY=` says it plainly.
      return Status::InvalidArgument(fmt::format(
          "label \"{}\" has an empty value (to remove a label use: contentstore label DIGEST {}=)",
          key, key));
    }
  }
  options.ref = args.ref;
  if (args.expected_digest_option->count() > 0) {
    auto expected = Digest::Parse(args.expected_digest);
    if (!expected.ok()) return expected.status();
    options.expected = *expected;
  }
  if (args.algorithm_option->count() > 0) {
    auto algorithm = ParseAlgorithm(args.algorithm);
    if (!algorithm.ok()) return algorithm.status();
    if (options.expected && options.expected->algorithm() != *algorithm) {
      return Status::InvalidArgument(
          fmt::format("--algorithm {} conflicts with --expected-digest {}", args.algorithm,
                      options.expected->str()));
    }
    // Only when asked: left unset, a resumed ingest keeps its algorithm
    // instead of starting over.
    options.algorithm = *algorithm;
  }
  if (args.expected_size_option->count() > 0) options.total = args.expected_size;
  if (args.lease_option->count() > 0) {
    if (Status s = ValidateLeaseId(args.lease); !s.ok()) return s;
    options.lease = args.lease;
  }
  return Status::OK();
}

// Appends the rest of `input` to `writer`, which holds `start.offset` bytes.
// Never writes past an expected size: the ingest keeps a prefix that a
// later, correct input can still complete.
Status CopyInput(Input& input, Writer& writer, const IngestStatus& start, std::span<std::byte> buf,
                 ProgressBar& bar) {
  int64_t offset = start.offset;
  for (;;) {
    auto got = input.Read(buf);
    if (!got.ok()) return got.status();
    if (*got == 0) return Status::OK();
    int64_t n = static_cast<int64_t>(*got);
    const bool too_long = start.total && offset + n > *start.total;
    if (too_long) n = std::max<int64_t>(0, *start.total - offset);
    if (n > 0) {
      Status s = writer.write(std::span<const std::byte>(buf.data(), static_cast<size_t>(n)));
      if (!s.ok()) return s;
      offset += n;
    }
    bar.Update(offset);
    if (too_long) {
      return Status::FailedPrecondition(fmt::format(
          "{} is longer than the expected size of {} bytes", input.name(), *start.total));
    }
    if (*got < buf.size()) return Status::OK();  // Read() fills the buffer unless the input ended
  }
}

int RunIngest(const IngestArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "ingest";
  WriterOptions options;
  Labels labels;
  if (Status s = BuildIngest(args, options, labels); !s.ok()) return Report(kWhat, s);
  // The input before the store: a typo in the file name must not leave an
  // empty ingest behind.
  auto input = Input::Open(args.file);
  if (!input.ok()) return Report(kWhat, input.status());
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  if (options.lease) {
    // writer() checks the lease too, but only after making the ingest's
    // directory, which an unknown lease then leaves behind for fsck to find.
    auto held = (*store)->lease_resources(*options.lease);
    if (!held.ok()) return Report(kWhat, held.status());
  }

  auto opened = (*store)->writer(options);
  for (int attempt = 0; !opened.ok() && opened.status().IsAlreadyExists() && options.expected;
       ++attempt) {
    // --no-commit asks for an ingest left active, and there can be none for
    // content that is a blob already: that request fails (exit 4).
    if (args.no_commit) {
      return Report(kWhat, opened.status().WithContext("--no-commit has nothing to leave active"));
    }
    // Committed already, so the input need not be read at all; but a size
    // the caller expects must still hold.
    if (options.total) {
      auto info = (*store)->info(*options.expected);
      if (info.ok() && info->size != *options.total) {
        return Report(kWhat, Status::FailedPrecondition(fmt::format(
                                 "blob {} is already committed with {} bytes, not {}",
                                 options.expected->str(), info->size, *options.total)));
      }
    }
    Status labelled = AddLabels(**store, *options.expected, labels);
    if (labelled.IsNotFound() && attempt < 3) {
      // Removed between writer()'s look and ours: store the input after all.
      opened = (*store)->writer(options);
      continue;
    }
    if (!labelled.ok()) return Report(kWhat, labelled);
    if (Status s = WriteOut(options.expected->str() + "\n"); !s.ok()) return Report(kWhat, s);
    return 0;
  }
  if (!opened.ok()) return Report(kWhat, opened.status());
  // From here on, returning early destroys the writer, which closes it: what
  // it wrote stays, for a later ingest of the same ref to resume.
  Writer& writer = **opened;
  const IngestStatus start = writer.status();
  std::vector<std::byte> buf(kBufferBytes);
  if (Status s = input->Skip(start.offset, buf); !s.ok()) return Report(kWhat, s);

  const bool show_progress = args.progress || (!args.no_progress && ::isatty(STDERR_FILENO) == 1);
  Status copied;
  {
    ProgressBar bar(show_progress, args.ref, start.offset, start.total);
    copied = CopyInput(*input, writer, start, buf, bar);
  }  // the bar erases its line before any message is printed
  if (!copied.ok()) return Report(kWhat, copied);

  if (args.no_commit) {
    if (Status s = writer.close(); !s.ok()) return Report(kWhat, s);
    return 0;
  }
  // Labels go on content that is already there in the same transaction that
  // finds it: a removal racing this ingest cannot make it fail.
  CommitOptions commit;
  commit.size = options.total;
  commit.expected = options.expected;
  commit.labels = labels;
  commit.label_existing = true;
  Status committed = writer.commit(commit);
  if (committed.IsAlreadyExists()) committed = Status::OK();  // the bytes are stored
  if (!committed.ok()) return Report(kWhat, committed);
  if (Status s = WriteOut(writer.digest().str() + "\n"); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunGet(const GetArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "get";
  auto digest = Digest::Parse(args.digest);
  if (!digest.ok()) return Report(kWhat, digest.status());
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto reader = (*store)->reader(*digest);
  if (!reader.ok()) return Report(kWhat, reader.status());

  Digester digester(digest->algorithm());
  std::vector<std::byte> buf(kBufferBytes);
  const int64_t size = (*reader)->size();
  int64_t offset = 0;
  while (offset < size) {
    auto got = (*reader)->read_at(offset, buf);
    if (!got.ok()) return Report(kWhat, got.status());
    if (*got == 0) {
      return Report(kWhat, Status::DataLoss(fmt::format("blob {} ends after {} bytes of {}",
                                                        digest->str(), offset, size)));
    }
    const auto chunk = std::span<const std::byte>(buf.data(), *got);
    if (args.verify) digester.update(chunk);
    if (Status s = WriteOut(chunk); !s.ok()) return Report(kWhat, s);
    offset += static_cast<int64_t>(*got);
  }
  if (Status s = FlushOut(); !s.ok()) return Report(kWhat, s);
  if (args.verify) {
    const Digest actual = digester.digest();
    if (actual != *digest) {
      return Report(kWhat, Status::DataLoss(fmt::format("blob {} is corrupt: its bytes hash to {}",
                                                        digest->str(), actual.str())));
    }
  }
  return 0;
}

}  // namespace

void AddTransferCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  auto ingest_args = std::make_shared<IngestArgs>();
  CLI::App* ingest_cmd =
      app.add_subcommand("ingest", "Store FILE (or standard input) as a blob and print its digest");
  ingest_cmd
      ->add_option("REF", ingest_args->ref,
                   "Name of the upload; an interrupted ingest of the same REF resumes")
      ->required();
  ingest_cmd->add_option("FILE", ingest_args->file,
                         "File to read; standard input when absent or -");
  ingest_args->expected_digest_option =
      ingest_cmd
          ->add_option(
              "--expected-digest", ingest_args->expected_digest,
              "Refuse to commit unless the bytes have this digest (also picks the algorithm)")
          ->type_name("DIGEST");
  ingest_args->expected_size_option =
      ingest_cmd
          ->add_option("--expected-size", ingest_args->expected_size,
                       "Refuse to commit unless there are exactly this many bytes")
          ->type_name("BYTES")
          ->check(CLI::NonNegativeNumber);
  ingest_cmd
      ->add_option("--label", ingest_args->labels, "Label the blob with KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  ingest_cmd->add_flag("--no-commit", ingest_args->no_commit,
                       "Write everything but leave the ingest active, to resume later");
  ingest_args->algorithm_option =
      ingest_cmd
          ->add_option("--algorithm", ingest_args->algorithm,
                       "Hash algorithm of a new ingest (default sha256)")
          ->type_name("ALGORITHM")
          ->check(CLI::IsMember({"sha256", "sha384", "sha512"}));
  ingest_args->lease_option =
      ingest_cmd
          ->add_option("--lease", ingest_args->lease,
                       "Hold the ingest, and the blob once committed, under this lease")
          ->type_name("ID");
  auto* progress = ingest_cmd->add_flag(
      "--progress", ingest_args->progress,
      "Show a progress bar on standard error (the default when it is a terminal)");
  ingest_cmd->add_flag("--no-progress", ingest_args->no_progress, "Never show a progress bar")
      ->excludes(progress);
  commands.push_back(
      {ingest_cmd, [ingest_args, &globals] { return RunIngest(*ingest_args, globals); }});

  auto get_args = std::make_shared<GetArgs>();
  CLI::App* get_cmd = app.add_subcommand("get", "Write a blob to standard output");
  get_cmd->add_option("DIGEST", get_args->digest, "The blob, as ALGORITHM:HEX")->required();
  get_cmd->add_flag("--verify", get_args->verify,
                    "Hash the bytes while writing them; exit 7 if they do not match DIGEST");
  commands.push_back({get_cmd, [get_args, &globals] { return RunGet(*get_args, globals); }});
}

}  // namespace contentstore::cli
