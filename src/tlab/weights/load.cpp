#include "tlab/weights/load.h"

#include <fstream>
#include <map>
#include <sstream>

#include "tlab/core/error.h"
#include "tlab/weights/safetensors.h"

namespace tlab::weights {
namespace {

bool in_head(const std::string& name, const std::vector<std::string>& head_prefixes) {
  for (const auto& p : head_prefixes)
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

std::string join(const std::vector<std::string>& items, size_t max_items = 12) {
  std::ostringstream os;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) os << (i ? ", " : "") << items[i];
  if (items.size() > max_items) os << ", ... (" << items.size() - max_items << " more)";
  return os.str();
}

}  // namespace

std::string LoadReport::summary() const {
  std::ostringstream os;
  os << "loaded " << loaded.size() << " tensors";
  if (!reinitialized.empty()) os << "; re-initialised the head (" << join(reinitialized) << ")";
  if (!ignored.empty()) os << "; ignored the file's head (" << join(ignored) << ")";
  return os.str();
}

StateDict read_weights(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw WeightsError(str_cat("weights file '", path, "' does not exist or cannot be read"));
  char head[8] = {};
  in.read(head, 8);
  const auto got = in.gcount();
  // safetensors starts with a little-endian u64 header length followed by '{'; torch.save files
  // start with "PK" (zip) or the pickle protocol byte 0x80.
  if (got >= 2 && (std::string(head, 2) == "PK" || uint8_t(head[0]) == 0x80)) return read_pth(path);
  if (got == 8) {
    char brace = 0;
    in.read(&brace, 1);
    if (brace == '{') return read_safetensors(path);
  }
  return read_pth(path);  // gives the precise "not a weights file" / "empty" error
}

LoadReport load_state_dict(torch::nn::Module& model, const StateDict& state, const std::string& what,
                           const std::vector<std::string>& head_prefixes) {
  std::map<std::string, torch::Tensor> file;
  for (const auto& [k, v] : state) file[k] = v;
  LoadReport report;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (model tensor, file tensor)
  std::map<std::string, bool> used;

  auto visit = [&](const std::string& name, torch::Tensor& target) {
    auto it = file.find(name);
    if (it == file.end()) {
      (in_head(name, head_prefixes) ? report.reinitialized : report.missing).push_back(name);
      return;
    }
    used[name] = true;
    if (it->second.sizes() != target.sizes()) {
      if (in_head(name, head_prefixes))
        report.reinitialized.push_back(name);
      else
        report.mismatched.push_back(str_cat(name, ": file ", it->second.sizes(), " vs model ", target.sizes()));
      return;
    }
    copies.emplace_back(target, it->second);
    report.loaded.push_back(name);
  };
  for (auto& p : model.named_parameters()) visit(p.key(), p.value());
  for (auto& b : model.named_buffers()) visit(b.key(), b.value());
  for (const auto& [k, v] : state)
    if (!used.count(k)) (in_head(k, head_prefixes) ? report.ignored : report.unexpected).push_back(k);

  if (!report.missing.empty() || !report.unexpected.empty() || !report.mismatched.empty()) {
    std::ostringstream os;
    os << "weights file '" << what << "' does not fit the model:";
    if (!report.missing.empty()) os << "\n  missing in the file (" << report.missing.size() << "): " << join(report.missing);
    if (!report.unexpected.empty())
      os << "\n  unexpected in the file (" << report.unexpected.size() << "): " << join(report.unexpected);
    if (!report.mismatched.empty())
      os << "\n  shape mismatches (" << report.mismatched.size() << "): " << join(report.mismatched);
    throw WeightsError(os.str());
  }
  torch::NoGradGuard no_grad;
  for (auto& [target, source] : copies) target.copy_(source);
  return report;
}

}  // namespace tlab::weights
