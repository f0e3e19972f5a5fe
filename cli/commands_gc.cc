// `gc` and `fsck`: the store's upkeep. gc removes what nothing needs any more
// (see contentstore/gc.h for what counts as needed); fsck compares the
// catalog with the files and, when asked, repairs what needs no guessing.

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "duration.h"
#include "exit_code.h"
#include "output.h"
#include "progress.h"
#include "root.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

struct GcArgs {
  bool dry_run = false;
  bool json = false;
  bool verbose = false;
  std::string grace;
  std::string ingest_expiry;
  CLI::Option* grace_option = nullptr;
  CLI::Option* ingest_expiry_option = nullptr;
};

struct FsckArgs {
  bool verify = false;
  bool repair = false;
  bool json = false;
  bool progress = false;
  bool no_progress = false;
  bool rebuild_catalog = false;
};

int RunGc(const GcArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "gc";
  GcOptions options;
  options.dry_run = args.dry_run;
  if (args.grace_option->count() > 0) {
    auto grace = ParseDuration(args.grace);
    if (!grace.ok()) return Report(kWhat, grace.status().WithContext("--grace"));
    options.grace = *grace;
  }
  if (args.ingest_expiry_option->count() > 0) {
    auto expiry = ParseDuration(args.ingest_expiry);
    if (!expiry.ok()) return Report(kWhat, expiry.status().WithContext("--ingest-expiry"));
    options.ingest_expiry = *expiry;
  }
  // A dry run only reads: it must not create a store at a mistyped root.
  auto store = OpenStore(globals, args.dry_run ? Access::kRead : Access::kWrite);
  if (!store.ok()) return Report(kWhat, store.status());
  auto report = (*store)->collect_garbage(options);
  if (!report.ok()) return Report(kWhat, report.status());
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(report->duration).count();

  std::string out;
  if (args.json) {
    nlohmann::ordered_json json;
    json["removed_blobs"] = nlohmann::ordered_json::array();
    for (const Digest& digest : report->removed_blobs) {
      json["removed_blobs"].push_back(digest.str());
    }
    json["removed_ingests"] = report->removed_ingests;
    json["removed_leases"] = report->removed_leases;
    json["bytes_freed"] = report->bytes_freed;
    json["duration_ms"] = ms;
    json["dry_run"] = args.dry_run;
    out = JsonLine(json);
  } else {
    if (args.verbose) {
      // One line an item, kind first, so `grep '^blob '` picks the digests.
      for (const Digest& digest : report->removed_blobs) out += "blob    " + digest.str() + "\n";
      for (const std::string& ref : report->removed_ingests) {
        out += "ingest  " + Escaped(ref) + "\n";
      }
      for (const std::string& id : report->removed_leases) out += "lease   " + Escaped(id) + "\n";
    }
    out += fmt::format(
        "{} {} ({}), {}, {} in {} ms\n", args.dry_run ? "would remove" : "removed",
        CountText(static_cast<int64_t>(report->removed_blobs.size()), "blob"),
        HumanSize(report->bytes_freed),
        CountText(static_cast<int64_t>(report->removed_ingests.size()), "ingest"),
        CountText(static_cast<int64_t>(report->removed_leases.size()), "expired lease"), ms);
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

// fsck --rebuild-catalog: a new catalog from the files; exit 7 when anything
// could not come back as it was (labels lost, files that do not match).
int RunRebuild(const FsckArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "fsck --rebuild-catalog";
  auto root = ResolveRoot(globals.root_flag());
  if (!root.ok()) return Report(kWhat, root.status());
  Options options;
  options.catalog_url = globals.catalog;  // refused for now: see Options::catalog_url
  auto report = Store::RebuildCatalog(*root, options);
  if (!report.ok()) return Report(kWhat, report.status());
  const bool whole = report->salvage_error.empty() && report->blobs_unlabelled == 0 &&
                     report->problems.empty();
  std::string out;
  if (args.json) {
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    for (const FsckProblem& p : report->problems) {
      problems.push_back(
          {{"kind", FsckKindName(p.kind)}, {"subject", p.subject}, {"detail", p.detail}});
    }
    nlohmann::ordered_json json;
    json["damaged_catalog"] = report->damaged_catalog;
    json["salvage_error"] = report->salvage_error;
    json["blobs"] = report->blobs;
    json["blobs_with_labels"] = report->blobs_with_labels;
    json["blobs_unlabelled"] = report->blobs_unlabelled;
    json["rescue_lease"] = report->rescue_lease;
    json["leases"] = report->leases;
    json["images"] = report->images;
    json["set_aside"] = report->set_aside;
    json["problems"] = std::move(problems);
    out = JsonLine(json);
  } else {
    if (!report->damaged_catalog.empty()) {
      out += fmt::format("old catalog moved to {}\n", Escaped(report->damaged_catalog));
    }
    if (!report->salvage_error.empty()) {
      out += fmt::format("nothing could be read from it: {}\n", Escaped(report->salvage_error));
    }
    out += fmt::format("{} back in the catalog, {} with their labels; {}; {}\n",
                       CountText(report->blobs, "blob"),
                       CountText(report->blobs_with_labels, "blob"),
                       CountText(report->leases, "lease"),
                       CountText(report->images, "image name"));
    if (report->blobs_unlabelled > 0) {
      out += fmt::format(
          "{} lost their labels; lease {} holds them from gc until you decide (`contentstore "
          "lease rm {}` lets gc take what nothing else references)\n",
          CountText(report->blobs_unlabelled, "blob"), report->rescue_lease, report->rescue_lease);
    }
    for (const std::string& path : report->set_aside) {
      out += fmt::format("upload in progress moved to {} (start it again)\n", Escaped(path));
    }
    for (const FsckProblem& p : report->problems) {
      out += fmt::format("{} {}: {}\n", FsckKindName(p.kind), Escaped(p.subject), Escaped(p.detail));
    }
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return whole ? 0 : ExitCode(Code::kDataLoss);
}

int RunFsck(const FsckArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "fsck";
  if (args.rebuild_catalog) return RunRebuild(args, globals);
  FsckOptions options;
  options.verify = args.verify;
  options.repair = args.repair;
  // The bar needs the total, which only the first progress call brings.
  std::optional<ProgressBar> bar;
  const bool show_progress = args.progress || (!args.no_progress && ::isatty(STDERR_FILENO) == 1);
  if (args.verify && show_progress) {
    options.progress = [&bar](int64_t done, int64_t total) {
      if (!bar) bar.emplace(true, "verifying", 0, total);
      bar->Update(done);
    };
  }
  // Without --repair, fsck only reads: no store is created at a mistyped root.
  auto store = OpenStore(globals, args.repair ? Access::kWrite : Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto report = (*store)->fsck(options);
  bar.reset();  // the bar erases its line before anything else is printed
  if (!report.ok()) return Report(kWhat, report.status());

  int64_t repaired = 0;
  for (const FsckProblem& p : report->problems) repaired += p.repaired ? 1 : 0;
  std::string out;
  if (args.json) {
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    for (const FsckProblem& p : report->problems) {
      problems.push_back({{"kind", FsckKindName(p.kind)},
                          {"subject", p.subject},
                          {"detail", p.detail},
                          {"repaired", p.repaired}});
    }
    nlohmann::ordered_json json;
    json["clean"] = report->clean();
    json["blobs_checked"] = report->blobs_checked;
    json["bytes_verified"] = report->bytes_verified;
    json["problems"] = std::move(problems);
    out = JsonLine(json);
  } else {
    Table table;
    for (const FsckProblem& p : report->problems) {
      table.AddRow({std::string(FsckKindName(p.kind)), Escaped(p.subject),
                    Escaped(p.detail) + (p.repaired ? " (repaired)" : "")});
    }
    out = table.Render();
    out += fmt::format(
        "checked {}, verified {}: {} ({} repaired)\n", CountText(report->blobs_checked, "blob"),
        CountText(report->bytes_verified, "byte"),
        CountText(static_cast<int64_t>(report->problems.size()), "problem"), repaired);
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  // Problems left are what `get --verify` calls a corrupt blob: data loss.
  return report->clean() ? 0 : ExitCode(Code::kDataLoss);
}

}  // namespace

void AddGcCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  auto gc_args = std::make_shared<GcArgs>();
  CLI::App* gc_cmd =
      app.add_subcommand("gc", "Remove blobs nothing references, stale ingests and expired leases");
  gc_cmd->add_flag("--dry-run", gc_args->dry_run, "Report what would be removed; change nothing");
  gc_cmd->add_flag("--json", gc_args->json, "Print one JSON object");
  gc_cmd->add_flag("-v,--verbose", gc_args->verbose, "Also print each blob, ingest and lease");
  gc_args->grace_option =
      gc_cmd
          ->add_option("--grace", gc_args->grace,
                       "Keep blobs committed less than DURATION ago (default 1h; 0s allowed)")
          ->type_name("DURATION");
  gc_args->ingest_expiry_option =
      gc_cmd
          ->add_option("--ingest-expiry", gc_args->ingest_expiry,
                       "Abort ingests not written for DURATION (default 24h)")
          ->type_name("DURATION");
  commands.push_back({gc_cmd, [gc_args, &globals] { return RunGc(*gc_args, globals); }});

  auto fsck_args = std::make_shared<FsckArgs>();
  CLI::App* fsck_cmd = app.add_subcommand(
      "fsck", "Check that the catalog and the files agree; exit 7 if problems remain");
  fsck_cmd->add_flag("--verify", fsck_args->verify, "Also hash every blob again");
  fsck_cmd->add_flag("--repair", fsck_args->repair,
                     "Fix what needs no guessing (rows without files, files that hash to "
                     "their name, ingest directories without rows)");
  auto* rebuild = fsck_cmd->add_flag(
      "--rebuild-catalog", fsck_args->rebuild_catalog,
      "Build a new catalog from the blob files, reading labels and leases back from the old "
      "one as far as it can be read (it is kept as catalog.db.damaged-TIME); needs the store "
      "to itself");
  fsck_cmd->add_flag("--json", fsck_args->json, "Print one JSON object");
  auto* progress = fsck_cmd->add_flag(
      "--progress", fsck_args->progress,
      "With --verify, show a progress bar on standard error (the default on a terminal)");
  fsck_cmd->add_flag("--no-progress", fsck_args->no_progress, "Never show a progress bar")
      ->excludes(progress);
  rebuild->excludes(fsck_cmd->get_option("--verify"))->excludes(fsck_cmd->get_option("--repair"));
  commands.push_back({fsck_cmd, [fsck_args, &globals] { return RunFsck(*fsck_args, globals); }});
}

}  // namespace contentstore::cli
