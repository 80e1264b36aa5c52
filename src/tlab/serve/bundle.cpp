#include "tlab/serve/bundle.h"

#include <filesystem>

#include "tlab/core/error.h"

namespace fs = std::filesystem;

namespace tlab::serve {

std::string bundle_model_file(const std::string& dir) {
  const std::string expected = "expected a directory written by `tlab export --format torchscript` (model.pt, "
                               "preprocess.json, classes.txt)";
  TLAB_CHECK(fs::is_directory(dir), "--bundle ", dir, ": not a directory; ", expected);
  const fs::path script = fs::path(dir) / "model.pt";
  if (fs::is_regular_file(script)) return script.string();
  TLAB_CHECK(!fs::is_regular_file(fs::path(dir) / "model.onnx"), "--bundle ", dir,
             ": it holds model.onnx only; tlab serve runs TorchScript: export the TorchScript bundle "
             "(tlab export --format torchscript) and serve that");
  throw UsageError(str_cat("--bundle ", dir, ": no model.pt in it; ", expected));
}

std::string default_model_name(const infer::LoadedModel& model) {
  const std::string prefix = "torchscript:";
  if (model.architecture.rfind(prefix, 0) != 0) return model.architecture;
  const fs::path file = fs::absolute(model.architecture.substr(prefix.size())).lexically_normal();
  if (file.filename() == "model.pt" && !file.parent_path().filename().empty()) return file.parent_path().filename().string();
  return file.stem().string();
}

}  // namespace tlab::serve
