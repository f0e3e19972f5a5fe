// `image` and its commands: ls, rm and tag. A name points at a manifest or
// an index and keeps it, and what its gc.ref labels reach, from the garbage
// collector (see contentstore/image.h). Names are made by importers (the
// library's put_image; OCI import); these commands list, copy and drop them.

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "contentstore/validate.h"
#include "output.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

struct ListArgs {
  std::vector<std::string> filters;
  bool quiet = false;
  bool json = false;
};

struct RemoveArgs {
  std::vector<std::string> names;
};

struct TagArgs {
  std::string source;
  std::string destination;
};

int RunList(const ListArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "image ls";
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto images = (*store)->list_images(args.filters);
  if (!images.ok()) return Report(kWhat, images.status());
  std::string out;
  if (args.quiet) {
    for (const Image& image : *images) out += Escaped(image.name) + "\n";
  } else if (args.json) {
    for (const Image& image : *images) out += JsonLine(ImageJson(image));
  } else {
    const Timestamp now = Now();
    Table table({"NAME", "TYPE", "DIGEST", "SIZE", "UPDATED", "LABELS"});
    table.AlignRight(3);
    for (const Image& image : *images) {
      table.AddRow({Escaped(image.name), Escaped(image.target.media_type),
                    image.target.digest.str(), HumanSize(image.target.size),
                    HumanAge(image.updated_at, now), LabelsText(image.labels)});
    }
    out = table.Render();
  }
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunRemove(const RemoveArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "image rm";
  for (const std::string& name : args.names) {
    if (Status s = ValidateImageName(name); !s.ok()) return Report(kWhat, s);
  }
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  // Every name is tried; the first failure decides the exit code.
  int exit_code = 0;
  for (const std::string& name : args.names) {
    int code = 0;
    if (Status s = (*store)->delete_image(name); !s.ok()) {
      code = Report(kWhat, s);
    } else if (Status w = WriteOut(Escaped(name) + "\n"); !w.ok()) {
      code = Report(kWhat, w);
    }
    if (exit_code == 0) exit_code = code;
  }
  return exit_code;
}

int RunTag(const TagArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "image tag";
  if (Status s = ValidateImageName(args.source); !s.ok()) return Report(kWhat, s);
  if (Status s = ValidateImageName(args.destination); !s.ok()) return Report(kWhat, s);
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  auto image = (*store)->tag_image(args.source, args.destination);
  if (!image.ok()) return Report(kWhat, image.status());
  if (Status w = WriteOut(Escaped(image->name) + "\n"); !w.ok()) return Report(kWhat, w);
  return 0;
}

}  // namespace

void AddImageCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  CLI::App* image_cmd = app.add_subcommand(
      "image", "Manage image names, which keep an image's blobs from gc and are listed in "
               "ROOT/index.json");
  image_cmd->alias("images");
  image_cmd->require_subcommand(1);

  auto list_args = std::make_shared<ListArgs>();
  CLI::App* list_cmd =
      image_cmd->add_subcommand("ls", "List image names, all or those matching a filter");
  list_cmd->alias("list");
  list_cmd->add_option("FILTER", list_args->filters,
                       "containerd filter on name, target.digest, target.mediatype, "
                       "labels.<key>, e.g. 'name~=^docker.io/'; several mean OR");
  auto* quiet = list_cmd->add_flag("-q,--quiet", list_args->quiet, "Print only names, one a line");
  list_cmd->add_flag("--json", list_args->json, "Print one JSON object a line")->excludes(quiet);
  commands.push_back({list_cmd, [list_args, &globals] { return RunList(*list_args, globals); }});

  auto remove_args = std::make_shared<RemoveArgs>();
  CLI::App* remove_cmd = image_cmd->add_subcommand(
      "rm", "Delete image names, printing each one deleted; their blobs are left to gc");
  remove_cmd->alias("delete");
  remove_cmd->alias("del");
  remove_cmd->alias("remove");
  remove_cmd->add_option("NAME", remove_args->names, "The names")->required();
  commands.push_back(
      {remove_cmd, [remove_args, &globals] { return RunRemove(*remove_args, globals); }});

  auto tag_args = std::make_shared<TagArgs>();
  CLI::App* tag_cmd = image_cmd->add_subcommand(
      "tag", "Give DST the target and labels of SRC (replacing what DST named), printing DST");
  tag_cmd->add_option("SRC", tag_args->source, "An existing name")->required();
  tag_cmd->add_option("DST", tag_args->destination, "The new (or repointed) name")->required();
  commands.push_back({tag_cmd, [tag_args, &globals] { return RunTag(*tag_args, globals); }});
}

}  // namespace contentstore::cli
