// `import` and `export`: OCI image layouts and archives in and out of the
// store (src/oci/). Each prints one line an image ("NAME  DIGEST") and a
// summary; warnings (skipped non-distributable layers, unnamed entries) go
// to standard error.

#include <fmt/format.h>

#include <string>
#include <vector>

#include "common.h"
#include "oci/export.h"
#include "oci/import.h"
#include "oci/location.h"
#include "output.h"
#include "streams.h"

namespace contentstore::cli {
namespace {

struct ImportArgs {
  std::string source;
  std::string name;
  CLI::Option* name_option = nullptr;
};

struct ExportArgs {
  std::vector<std::string> args;  // NAME... DEST
  bool link = false;
};

void Warn(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) WriteErr(fmt::format("contentstore: warning: {}\n", w));
}

std::string ImageLines(const std::vector<oci::NamedImage>& images) {
  size_t width = 0;
  for (const auto& image : images) width = std::max(width, Escaped(image.name).size());
  std::string out;
  for (const auto& image : images) {
    out += fmt::format("{:<{}}  {}\n", Escaped(image.name), width, image.target.digest.str());
  }
  return out;
}

int RunImport(const ImportArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "import";
  auto source = oci::ParseLocation(args.source);
  if (!source.ok()) return Report(kWhat, source.status());
  oci::ImportOptions options;
  if (args.name_option->count() > 0) options.name = args.name;
  auto store = OpenStore(globals);
  if (!store.ok()) return Report(kWhat, store.status());
  auto report = oci::Import(**store, *source, options);
  if (!report.ok()) return Report(fmt::format("import {}", args.source), report.status());
  Warn(report->warnings);
  std::string out = ImageLines(report->images);
  out += fmt::format("imported {}: {}, {} copied ({})\n",
                     CountText(static_cast<int64_t>(report->images.size()), "image"),
                     CountText(report->blobs, "blob"), report->blobs_copied,
                     HumanSize(report->bytes_copied));
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

int RunExport(const ExportArgs& args, const GlobalOptions& globals) {
  constexpr std::string_view kWhat = "export";
  if (args.args.size() < 2) {
    return Report(kWhat, Status::InvalidArgument("give at least one NAME and a DEST"));
  }
  const std::vector<std::string> names(args.args.begin(), args.args.end() - 1);
  auto destination = oci::ParseLocation(args.args.back());
  if (!destination.ok()) return Report(kWhat, destination.status());
  oci::ExportOptions options;
  options.link = args.link ? oci::LinkMode::kLink : oci::LinkMode::kCopy;
  // Export only reads the store.
  auto store = OpenStore(globals, Access::kRead);
  if (!store.ok()) return Report(kWhat, store.status());
  auto report = oci::Export(**store, names, *destination, options);
  if (!report.ok()) return Report(fmt::format("export to {}", args.args.back()), report.status());
  Warn(report->warnings);
  std::string out = ImageLines(report->images);
  std::string how;
  if (report->present > 0) how += fmt::format(", {} already there", report->present);
  if (report->cloned > 0) how += fmt::format(", {} reflinked", report->cloned);
  if (report->linked > 0) how += fmt::format(", {} hard-linked", report->linked);
  if (args.link && report->copied > 0) how += fmt::format(", {} copied", report->copied);
  out += fmt::format("exported {}: {} ({}){}\n",
                     CountText(static_cast<int64_t>(report->images.size()), "image"),
                     CountText(report->blobs, "blob"), HumanSize(report->bytes), how);
  if (Status s = WriteOut(out); !s.ok()) return Report(kWhat, s);
  return 0;
}

}  // namespace

void AddOciCommands(CLI::App& app, const GlobalOptions& globals, Commands& commands) {
  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* import_cmd = app.add_subcommand(
      "import",
      "Imports OCI images from a layout directory or archive, with names.\n"
      "SOURCE is oci:DIR[:TAG] or oci-archive:FILE[:TAG]. Without TAG, every image\n"
      "index.json names (org.opencontainers.image.ref.name) is imported under that\n"
      "name; with TAG, that one, named TAG or --name. Blobs are checked against\n"
      "their descriptors; nothing is named unless the whole image is there. An\n"
      "interrupted import resumes when run again.");
  import_cmd->add_option("SOURCE", import_args->source, "oci:DIR[:TAG] or oci-archive:FILE[:TAG]")
      ->required();
  import_args->name_option =
      import_cmd->add_option("--name", import_args->name, "Name for the imported image")
          ->type_name("NAME");
  commands.push_back(
      {import_cmd, [import_args, &globals] { return RunImport(*import_args, globals); }});

  auto export_args = std::make_shared<ExportArgs>();
  CLI::App* export_cmd = app.add_subcommand(
      "export",
      "Writes named images as an OCI layout directory or archive.\n"
      "DEST is oci:DIR or oci-archive:FILE. A directory that is an OCI layout\n"
      "already is added to (entries of other names stay); an archive is replaced\n"
      "once complete. Blobs are byte for byte the store's; index.json goes last.");
  export_cmd->add_option("NAME... DEST", export_args->args, "Image names, then the destination")
      ->required()
      ->expected(2, -1);
  export_cmd->add_flag("--link", export_args->link,
                       "oci:DIR on the store's file system: reflink each blob where the file "
                       "system can, else hard-link it (store blobs are read-only: do not make "
                       "them writable in DEST), else copy it");
  commands.push_back(
      {export_cmd, [export_args, &globals] { return RunExport(*export_args, globals); }});
}

}  // namespace contentstore::cli
