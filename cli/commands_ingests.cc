// Commands on ingests (uploads in progress): `active`, `status` and `abort`.

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "output.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

struct ActiveArgs {
  std::vector<std::string> filters;
  bool json = false;
};

struct StatusArgs {
  std::string ref;
  bool json = false;
};

struct AbortArgs {
  std::vector<std::string> refs;
};

int RunActive(const ActiveArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "active";
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto statuses = (*store)->list_ingests(args.filters);
  if (!statuses.ok()) return Report(kWhat, statuses.status());
  std::string out;
  if (args.json) {
    for (const IngestStatus& status : *statuses) out += JsonLine(IngestJson(status));
  } else {
    const Timestamp now = Now();
    Table table({"REF", "OFFSET", "TOTAL", "AGE"});
    table.AlignRight(1);
    table.AlignRight(2);
    for (const IngestStatus& status : *statuses) {
      table.AddRow({Escaped(status.ref), HumanSize(status.offset),
                    status.total ? HumanSize(*status.total) : "-",
                    HumanAge(status.started_at, now)});
    }
    out = table.Render();
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunStatus(const StatusArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "status";
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto status = (*store)->get_ingest(args.ref);
  if (!status.ok()) return Report(kWhat, status.status());
  std::string out;
  if (args.json) {
    out = JsonLine(IngestJson(*status));
  } else {
    const Timestamp now = Now();
    out = fmt::format("{:<10}{}\n", "ref:", Escaped(status->ref));
    out += fmt::format("{:<10}{}\n", "offset:", SizeText(status->offset));
    out += fmt::format("{:<10}{}\n", "total:", status->total ? SizeText(*status->total) : "-");
    out += fmt::format("{:<10}{}\n", "expected:", status->expected ? status->expected->str() : "-");
    out += fmt::format("{:<10}{}\n", "started:", TimeText(status->started_at, now));
    out += fmt::format("{:<10}{}\n", "updated:", TimeText(status->updated_at, now));
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunAbort(const AbortArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "abort";
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  // Every ref is tried; the first failure decides the exit code.
  int exit_code = 0;
  for (const std::string& ref : args.refs) {
    int code = 0;
    if (Status s = (*store)->abort(ref); !s.ok()) {
      code = Report(kWhat, s);
    } else if (Status w = WriteOut(Escaped(ref) + "\n"); !w.ok()) {
      code = Report(kWhat, w);
    }
    if (exit_code == 0) exit_code = code;
  }
  return exit_code;
}

}  // namespace

void AddIngestCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  auto active_args = std::make_shared<ActiveArgs>();
  CLI::App* active_cmd = app.add_subcommand("active", "List ingests in progress");
  active_cmd->add_option("FILTER", active_args->filters,
                         "containerd filter on ref, e.g. 'ref~=^layer-'; several mean OR");
  active_cmd->add_flag("--json", active_args->json, "Print one JSON object a line");
  commands.push_back(
      {active_cmd, [active_args, &globals] { return RunActive(*active_args, globals); }});

  auto status_args = std::make_shared<StatusArgs>();
  CLI::App* status_cmd = app.add_subcommand("status", "Show one ingest in progress");
  status_cmd->add_option("REF", status_args->ref, "The ingest's ref")->required();
  status_cmd->add_flag("--json", status_args->json, "Print one JSON object");
  commands.push_back(
      {status_cmd, [status_args, &globals] { return RunStatus(*status_args, globals); }});

  auto abort_args = std::make_shared<AbortArgs>();
  CLI::App* abort_cmd = app.add_subcommand(
      "abort", "Cancel ingests in progress and delete their bytes, printing each ref aborted");
  abort_cmd->add_option("REF", abort_args->refs, "The ingests' refs")->required();
  commands.push_back(
      {abort_cmd, [abort_args, &globals] { return RunAbort(*abort_args, globals); }});
}

}  // namespace contentstore::cli
