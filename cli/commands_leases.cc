// `lease` and its commands: create, ls, rm, add, drop and show. A lease keeps
// what it holds from the garbage collector (see contentstore/lease.h): a
// client creates one, ingests under it (`ingest --lease`) or adds what it
// needs, labels what must stay for good, then removes the lease.

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "contentstore/validate.h"
#include "duration.h"
#include "output.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

struct CreateArgs {
  std::string id;
  std::string expire;
  std::vector<std::string> labels;
  CLI::Option* id_option = nullptr;
  CLI::Option* expire_option = nullptr;
};

struct ListArgs {
  std::vector<std::string> filters;
  bool quiet = false;
  bool json = false;
};

struct RemoveArgs {
  std::vector<std::string> ids;
  bool sync = false;
};

// `lease add` and `lease drop`.
struct ResourceArgs {
  std::string id;
  std::vector<std::string> digests;
  std::vector<std::string> ingests;
};

struct ShowArgs {
  std::string id;
  bool json = false;
};

std::string_view TypeName(LeaseResource::Type type) {
  return type == LeaseResource::Type::kContent ? "content" : "ingest";
}

int RunCreate(const CreateArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "lease create";
  // Everything is checked before the store is opened.
  LeaseOptions options;
  if (args.id_option->count() > 0) {
    if (Status s = ValidateLeaseId(args.id); !s.ok()) return Report(kWhat, s);
    options.id = args.id;
  }
  if (args.expire_option->count() > 0) {
    auto expire = ParseDuration(args.expire);
    if (!expire.ok()) return Report(kWhat, expire.status().WithContext("--expire"));
    // Refused here too, so the message can name the flag.
    if (*expire > std::chrono::nanoseconds::max() - Now().time_since_epoch()) {
      return Report(kWhat, Status::InvalidArgument(
                               fmt::format("--expire {}: too far in the future", args.expire)));
    }
    options.expire = *expire;
  }
  if (Status s = ParseLabelArgs(args.labels, options.labels); !s.ok()) return Report(kWhat, s);
  for (const auto& [key, value] : options.labels) {
    // The store would drop it silently; there is nothing to remove yet.
    if (value.empty()) {
      return Report(kWhat, Status::InvalidArgument(
                               fmt::format("label \"{}\" has an empty value", Escaped(key))));
    }
  }
  if (options.expire && options.labels.count(kLeaseExpireLabel) > 0) {
    // The store lets --expire win; say so instead of dropping one silently.
    return Report(kWhat, Status::InvalidArgument(fmt::format(
                             "--expire and --label {}=... both set the expiry: give one",
                             kLeaseExpireLabel)));
  }
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  auto lease = (*store)->create_lease(options);
  if (!lease.ok()) return Report(kWhat, lease.status());
  if (Status s = WriteOut(Escaped(lease->id) + "\n"); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunList(const ListArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "lease ls";
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto leases = (*store)->list_leases(args.filters);
  if (!leases.ok()) return Report(kWhat, leases.status());
  std::string out;
  if (args.quiet) {
    for (const Lease& lease : *leases) out += Escaped(lease.id) + "\n";
  } else if (args.json) {
    for (const Lease& lease : *leases) out += JsonLine(LeaseJson(lease));
  } else {
    const Timestamp now = Now();
    Table table({"ID", "CREATED", "EXPIRES", "LABELS"});
    for (const Lease& lease : *leases) {
      table.AddRow({Escaped(lease.id), HumanAge(lease.created_at, now), ExpiresText(lease, now),
                    LabelsText(lease.labels)});
    }
    out = table.Render();
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunRemove(const RemoveArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "lease rm";
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  // Every id is tried; the first failure decides the exit code.
  int exit_code = 0;
  bool removed = false;
  for (const std::string& id : args.ids) {
    int code = 0;
    if (Status s = (*store)->delete_lease(id); !s.ok()) {
      code = Report(kWhat, s);
    } else {
      removed = true;
      if (Status w = WriteOut(Escaped(id) + "\n"); !w.ok()) code = Report(kWhat, w);
    }
    if (exit_code == 0) exit_code = code;
  }
  // One collection after all the deletions, where delete_lease(id, {.sync = true})
  // would run one per lease: it is the same collection (default options).
  if (args.sync && removed) {
    if (auto report = (*store)->collect_garbage(); !report.ok()) {
      const int code = Report(kWhat, report.status());
      if (exit_code == 0) exit_code = code;
    }
  }
  return exit_code;
}

int RunResources(const ResourceArgs& args, const GlobalOptions& globals, bool add) {
  const std::string_view what = add ? "lease add" : "lease drop";
  // Every argument is checked before the lease changes.
  if (Status s = ValidateLeaseId(args.id); !s.ok()) return Report(what, s);
  std::vector<LeaseResource> resources;
  for (const std::string& arg : args.digests) {
    auto digest = Digest::Parse(arg);
    if (!digest.ok()) return Report(what, digest.status());
    resources.push_back({LeaseResource::Type::kContent, digest->str()});
  }
  for (const std::string& ref : args.ingests) {
    if (Status s = ValidateRef(ref); !s.ok()) return Report(what, s);
    resources.push_back({LeaseResource::Type::kIngest, ref});
  }
  if (resources.empty()) {
    return Report(what, Status::InvalidArgument("name a DIGEST or an --ingest REF"));
  }
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(what, store.status());
  int exit_code = 0;
  for (const LeaseResource& resource : resources) {
    Status s = add ? (*store)->add_lease_resource(args.id, resource)
                   : (*store)->remove_lease_resource(args.id, resource);
    int code = 0;
    if (!s.ok()) {
      code = Report(what, s);
      // Only the lease can be missing (a resource need not exist): every
      // other resource would fail the same way.
      if (s.IsNotFound()) return code;
    } else if (Status w = WriteOut(Escaped(resource.id) + "\n"); !w.ok()) {
      code = Report(what, w);
    }
    if (exit_code == 0) exit_code = code;
  }
  return exit_code;
}

int RunShow(const ShowArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "lease show";
  if (Status s = ValidateLeaseId(args.id); !s.ok()) return Report(kWhat, s);
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto lease = (*store)->get_lease(args.id);
  if (!lease.ok()) return Report(kWhat, lease.status());
  auto resources = (*store)->lease_resources(args.id);
  if (!resources.ok()) return Report(kWhat, resources.status());
  std::string out;
  if (args.json) {
    nlohmann::ordered_json json = LeaseJson(*lease);
    json["resources"] = nlohmann::ordered_json::array();
    for (const LeaseResource& r : *resources) {
      json["resources"].push_back({{"type", TypeName(r.type)}, {"id", r.id}});
    }
    out = JsonLine(json);
  } else {
    const Timestamp now = Now();
    out = fmt::format("{:<11}{}\n", "id:", Escaped(lease->id));
    out += fmt::format("{:<11}{}\n", "created:", TimeText(lease->created_at, now));
    out += fmt::format("{:<11}{}\n", "expires:", ExpiresText(*lease, now));
    out += fmt::format("{:<11}{}\n", "labels:", LabelsText(lease->labels));
    out += fmt::format("{:<11}{}\n", "resources:", resources->size());
    for (const LeaseResource& r : *resources) {
      out += fmt::format("  {:<9}{}\n", TypeName(r.type), Escaped(r.id));
    }
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

}  // namespace

void AddLeaseCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  CLI::App* lease_cmd =
      app.add_subcommand("lease", "Manage leases, which keep blobs and ingests from gc");
  lease_cmd->require_subcommand(1);

  auto create_args = std::make_shared<CreateArgs>();
  CLI::App* create_cmd = lease_cmd->add_subcommand("create", "Create a lease and print its id");
  create_args->id_option =
      create_cmd
          ->add_option("--id", create_args->id,
                       "The lease's id (default: a random one, \"<unix ns>-<random>\")")
          ->type_name("ID");
  create_args->expire_option =
      create_cmd
          ->add_option("--expire", create_args->expire,
                       "Expire after DURATION (e.g. 30s, 15m, 1h30m, 2d); default never")
          ->type_name("DURATION");
  create_cmd
      ->add_option("--label", create_args->labels, "Label the lease with KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  commands.push_back(
      {create_cmd, [create_args, &globals] { return RunCreate(*create_args, globals); }});

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list_cmd =
      lease_cmd->add_subcommand("ls", "List leases, all or those matching a filter");
  list_cmd->alias("list");
  list_cmd->add_option("FILTER", list_args->filters,
                       "containerd filter on id, labels.<key>, e.g. 'labels.team==ci'; "
                       "several mean OR");
  auto* quiet = list_cmd->add_flag("-q,--quiet", list_args->quiet, "Print only ids, one a line");
  list_cmd->add_flag("--json", list_args->json, "Print one JSON object a line")->excludes(quiet);
  commands.push_back({list_cmd, [list_args, &globals] { return RunList(*list_args, globals); }});

  auto remove_args = std::make_shared<RemoveArgs>();
  CLI::App* remove_cmd = lease_cmd->add_subcommand(
      "rm", "Delete leases, printing each id deleted; what they held is left to gc");
  remove_cmd->alias("delete");
  remove_cmd->alias("del");
  remove_cmd->alias("remove");
  remove_cmd->add_option("ID", remove_args->ids, "The leases' ids")->required();
  remove_cmd->add_flag("--sync", remove_args->sync,
                       "Collect garbage before returning (default grace and ingest expiry)");
  commands.push_back(
      {remove_cmd, [remove_args, &globals] { return RunRemove(*remove_args, globals); }});

  for (const bool add : {true, false}) {
    auto resource_args = std::make_shared<ResourceArgs>();
    CLI::App* resource_cmd =
        add ? lease_cmd->add_subcommand(
                  "add", "Hold blobs (and ingests) under a lease, printing each one added")
            : lease_cmd->add_subcommand(
                  "drop", "Stop holding blobs (and ingests) under a lease, printing each one");
    resource_cmd->add_option("ID", resource_args->id, "The lease's id")->required();
    resource_cmd->add_option("DIGEST", resource_args->digests,
                             "Blobs, as ALGORITHM:HEX (need not be committed yet)");
    resource_cmd->add_option("--ingest", resource_args->ingests, "An ingest's ref (repeatable)")
        ->type_name("REF")
        ->allow_extra_args(false);
    commands.push_back({resource_cmd, [resource_args, &globals, add] {
                          return RunResources(*resource_args, globals, add);
                        }});
  }

  auto show_args = std::make_shared<ShowArgs>();
  CLI::App* show_cmd =
      lease_cmd->add_subcommand("show", "Show a lease: times, labels and what it holds");
  show_cmd->add_option("ID", show_args->id, "The lease's id")->required();
  show_cmd->add_flag("--json", show_args->json, "Print one JSON object");
  commands.push_back({show_cmd, [show_args, &globals] { return RunShow(*show_args, globals); }});
}

}  // namespace contentstore::cli
