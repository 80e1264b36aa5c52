#include "tlab/data/image_folder.h"

#include <algorithm>
#include <filesystem>

#include "tlab/core/error.h"

namespace fs = std::filesystem;

namespace tlab::data {

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options)
    : ImageFileDataset(str_cat("image folder '", root, "'"), options), root_(root) {
  TLAB_CHECK_DATA(fs::is_directory(root), "image folder '", root, "' does not exist or is not a directory");

  std::vector<fs::path> class_dirs;
  std::vector<fs::path> top_files;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) {
      if (e.path().filename().string().rfind('.', 0) != 0) class_dirs.push_back(e.path());
    } else {
      top_files.push_back(e.path());
    }
  }
  std::sort(top_files.begin(), top_files.end());
  for (const auto& f : top_files) skip(str_cat(f.string(), ": a file beside the class folders, not inside one"));
  std::sort(class_dirs.begin(), class_dirs.end());
  TLAB_CHECK_DATA(!class_dirs.empty(), "image folder '", root,
                  "' has no class subfolders (expected DIR/<class>/<image>)");

  for (size_t c = 0; c < class_dirs.size(); ++c) {
    classes_.push_back(class_dirs[c].filename().string());
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(class_dirs[c]))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    size_t kept = 0;
    for (const auto& f : files) kept += add_if_decodable(f.string(), static_cast<int64_t>(c));
    TLAB_CHECK_DATA(kept > 0, "class folder '", class_dirs[c].string(), "' holds no decodable images",
                    files.empty() ? "" : str_cat(" (", files.size(), " other files skipped)"));
  }
}

}  // namespace tlab::data
