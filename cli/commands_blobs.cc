// Commands on committed blobs: `info`, `ls`, `label` and `rm`. They only
// touch the catalog (through the public Store API), never blob bytes.

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "output.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

struct InfoArgs {
  std::string digest;
  bool json = false;
};

struct ListArgs {
  std::vector<std::string> filters;
  bool quiet = false;
  bool json = false;
};

struct LabelArgs {
  std::string digest;
  std::vector<std::string> labels;
};

struct RemoveArgs {
  std::vector<std::string> digests;
};

int RunInfo(const InfoArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "info";
  auto digest = Digest::Parse(args.digest);
  if (!digest.ok()) return Report(kWhat, digest.status());
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto info = (*store)->info(*digest);
  if (!info.ok()) return Report(kWhat, info.status());
  std::string out;
  if (args.json) {
    out = JsonLine(BlobJson(*info));
  } else {
    const Timestamp now = Now();
    out = fmt::format("{:<9}{}\n", "digest:", info->digest.str());
    out += fmt::format("{:<9}{}\n", "size:", SizeText(info->size));
    out += fmt::format("{:<9}{}\n", "created:", TimeText(info->created_at, now));
    out += fmt::format("{:<9}{}\n", "updated:", TimeText(info->updated_at, now));
    out += fmt::format("{:<9}{}\n", "labels:", LabelsText(info->labels));
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunList(const ListArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "ls";
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  const Timestamp now = Now();
  Table table({"DIGEST", "SIZE", "AGE", "LABELS"});
  table.AlignRight(1);
  // Quiet and JSON lines stream as the walk goes; the table must see every
  // row before it knows its column widths.
  Status s = (*store)->walk(
      [&](const Info& info) -> Status {
        if (args.quiet) return WriteOut(info.digest.str() + "\n");
        if (args.json) return WriteOut(JsonLine(BlobJson(info)));
        table.AddRow({info.digest.str(), HumanSize(info.size), HumanAge(info.created_at, now),
                      LabelsText(info.labels)});
        return Status::OK();
      },
      args.filters);
  if (!s.ok()) return Report(kWhat, s);
  if (!args.quiet && !args.json) {
    if (Status w = WriteOut(table.Render()); !w.ok()) return Report(kWhat, w);
  }
  return 0;
}

int RunLabel(const LabelArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "label";
  auto digest = Digest::Parse(args.digest);
  if (!digest.ok()) return Report(kWhat, digest.status());
  // Every argument is checked before any label changes.
  Info change;
  change.digest = *digest;
  if (Status s = ParseLabelArgs(args.labels, change.labels); !s.ok()) return Report(kWhat, s);
  std::vector<std::string> fieldpaths;
  for (const auto& entry : change.labels) fieldpaths.push_back("labels." + entry.first);

  // Only showing the labels is reading: no store is created for that.
  auto store = OpenStore(globals, fieldpaths.empty() ? Access::kRead : Access::kWrite);
  if (!store.ok()) return Report(kWhat, store.status());
  // With no KEY=VALUE this only shows the labels (as ctr's `label` does).
  // An empty value in `change` makes update() delete that key.
  auto result = fieldpaths.empty() ? (*store)->info(*digest) : (*store)->update(change, fieldpaths);
  if (!result.ok()) return Report(kWhat, result.status());
  std::string out;
  for (const auto& [key, value] : result->labels) {
    out += fmt::format("{}={}\n", Escaped(key), Escaped(value));
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunRemove(const RemoveArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "rm";
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  // Every digest is tried; the first failure decides the exit code.
  int exit_code = 0;
  for (const std::string& arg : args.digests) {
    int code = 0;
    auto digest = Digest::Parse(arg);
    if (!digest.ok()) {
      code = Report(kWhat, digest.status());
    } else if (Status s = (*store)->remove(*digest); !s.ok()) {
      code = Report(kWhat, s);
    } else if (Status w = WriteOut(digest->str() + "\n"); !w.ok()) {
      code = Report(kWhat, w);
    }
    if (exit_code == 0) exit_code = code;
  }
  return exit_code;
}

}  // namespace

void AddBlobCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  auto info_args = std::make_shared<InfoArgs>();
  CLI::App* info_cmd = app.add_subcommand("info", "Show a blob's size, times and labels");
  info_cmd->add_option("DIGEST", info_args->digest, "The blob, as ALGORITHM:HEX")->required();
  info_cmd->add_flag("--json", info_args->json, "Print one JSON object");
  commands.push_back({info_cmd, [info_args, &globals] { return RunInfo(*info_args, globals); }});

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list_cmd = app.add_subcommand("ls", "List blobs, all or those matching a filter");
  list_cmd->alias("list");
  list_cmd->add_option("FILTER", list_args->filters,
                       "containerd filter on digest, size, labels.<key>, e.g. "
                       "'labels.\"containerd.io/gc.root\"' or 'size==0'; several mean OR");
  auto* quiet =
      list_cmd->add_flag("-q,--quiet", list_args->quiet, "Print only digests, one a line");
  list_cmd->add_flag("--json", list_args->json, "Print one JSON object a line")->excludes(quiet);
  commands.push_back({list_cmd, [list_args, &globals] { return RunList(*list_args, globals); }});

  auto label_args = std::make_shared<LabelArgs>();
  CLI::App* label_cmd = app.add_subcommand(
      "label", "Set labels on a blob (KEY=VALUE) or remove them (KEY=); print the result");
  label_cmd->add_option("DIGEST", label_args->digest, "The blob, as ALGORITHM:HEX")->required();
  label_cmd->add_option("LABEL", label_args->labels, "KEY=VALUE to set, KEY= to remove");
  commands.push_back(
      {label_cmd, [label_args, &globals] { return RunLabel(*label_args, globals); }});

  auto remove_args = std::make_shared<RemoveArgs>();
  CLI::App* remove_cmd = app.add_subcommand("rm", "Delete blobs, printing each digest deleted");
  remove_cmd->alias("delete");
  remove_cmd->alias("del");
  remove_cmd->alias("remove");
  remove_cmd->add_option("DIGEST", remove_args->digests, "The blobs, as ALGORITHM:HEX")->required();
  commands.push_back(
      {remove_cmd, [remove_args, &globals] { return RunRemove(*remove_args, globals); }});
}

}  // namespace contentstore::cli
