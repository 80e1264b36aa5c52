#include "tlab/data/image_folder.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>

#include "tlab/core/error.h"

namespace fs = std::filesystem;

namespace tlab::data {

ImageFolder::ImageFolder(const std::string& root, ImageFolderOptions options) : root_(root) {
  decode_.channels = 3;
  decode_.min_side = options.decode_min_side;
  decode_.max_pixels = options.max_image_pixels;
  TLAB_CHECK(options.decode_min_side >= 0, "image folder '", root, "': decode_min_side must be >= 0, got ",
             options.decode_min_side);
  TLAB_CHECK(options.max_image_pixels >= 0, "image folder '", root, "': max_image_pixels must be >= 0 (0: no limit), got ",
             options.max_image_pixels);
  TLAB_CHECK_DATA(fs::is_directory(root), "image folder '", root, "' does not exist or is not a directory");
  auto skip = [&](const fs::path& p, const std::string& why) {
    const std::string entry = str_cat(p.string(), ": ", why);
    if (options.strict) throw DataError(str_cat("image folder '", root, "': ", entry, " (--strict-data)"));
    skipped_.push_back(entry);
  };

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
  for (const auto& f : top_files) skip(f, "a file beside the class folders, not inside one");
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
    for (const auto& f : files) {
      // haveImageReader looks at the file's signature, so a GIF named .jpg is caught too.
      if (!cv::haveImageReader(f.string())) {
        skip(f, "not an image OpenCV can decode");
        continue;
      }
      files_.push_back(f.string());
      labels_.push_back(static_cast<int64_t>(c));
      ++kept;
    }
    TLAB_CHECK_DATA(kept > 0, "class folder '", class_dirs[c].string(), "' holds no decodable images",
                    files.empty() ? "" : str_cat(" (", files.size(), " other files skipped)"));
  }
}

Example ImageFolder::get(size_t i) const {
  TLAB_CHECK(i < files_.size(), description(), ": sample ", i, " out of range (size ", files_.size(), ")");
  return {decode_image(files_[i], decode_), labels_[i]};
}

}  // namespace tlab::data
