#include "tlab/weights/registry.h"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "tlab/core/error.h"

namespace fs = std::filesystem;

namespace tlab::weights {
namespace {

KnownWeights torchvision(const std::string& arch, const std::string& file, transforms::InputSpec input) {
  // torchvision file names end in "-<first 8+ hex digits of the SHA-256>.pth"
  const size_t dash = file.rfind('-'), dot = file.rfind('.');
  return {arch, "imagenet", "https://download.pytorch.org/models/" + file, file, file.substr(dash + 1, dot - dash - 1),
          std::move(input), 1000};
}

}  // namespace

const std::vector<KnownWeights>& known_weights() {
  using transforms::imagenet_spec;
  static const std::vector<KnownWeights> all = [] {
    const auto std224 = imagenet_spec(256, 224, "bilinear");
    // inception_v3's Google weights expect (x - 0.5) / 0.5, which torchvision reaches with
    // transform_input=True on ImageNet-normalised input; the same numbers come straight from this mean/std.
    auto inception = imagenet_spec(342, 299, "bilinear");
    inception.mean = {0.5f, 0.5f, 0.5f};
    inception.std = {0.5f, 0.5f, 0.5f};
    return std::vector<KnownWeights>{
        torchvision("vgg11", "vgg11-8a719046.pth", std224),
        torchvision("vgg13", "vgg13-19584684.pth", std224),
        torchvision("vgg16", "vgg16-397923af.pth", std224),
        torchvision("vgg19", "vgg19-dcbb9e9d.pth", std224),
        torchvision("vgg11_bn", "vgg11_bn-6002323d.pth", std224),
        torchvision("vgg13_bn", "vgg13_bn-abd245e5.pth", std224),
        torchvision("vgg16_bn", "vgg16_bn-6c64b313.pth", std224),
        torchvision("vgg19_bn", "vgg19_bn-c79401a0.pth", std224),
        torchvision("resnet18", "resnet18-f37072fd.pth", std224),
        torchvision("resnet34", "resnet34-b627a593.pth", std224),
        torchvision("resnet50", "resnet50-0676ba61.pth", std224),
        torchvision("resnet101", "resnet101-63fe2227.pth", std224),
        torchvision("resnet152", "resnet152-394f9c45.pth", std224),
        torchvision("inception_v3", "inception_v3_google-0cc3c7bd.pth", inception),
        torchvision("mobilenet_v2", "mobilenet_v2-b0353104.pth", std224),
        torchvision("mobilenet_v3_small", "mobilenet_v3_small-047dcff4.pth", std224),
        torchvision("mobilenet_v3_large", "mobilenet_v3_large-8738ca79.pth", std224),
        torchvision("efficientnet_b0", "efficientnet_b0_rwightman-3dd342df.pth", imagenet_spec(256, 224, "bicubic")),
        torchvision("efficientnet_b1", "efficientnet_b1_rwightman-533bc792.pth", imagenet_spec(256, 240, "bicubic")),
        torchvision("efficientnet_b2", "efficientnet_b2_rwightman-bcdf34b7.pth", imagenet_spec(288, 288, "bicubic")),
        torchvision("efficientnet_b3", "efficientnet_b3_rwightman-cf984f9c.pth", imagenet_spec(320, 300, "bicubic")),
        torchvision("densenet121", "densenet121-a639ec97.pth", std224),
        torchvision("squeezenet1_0", "squeezenet1_0-b66bff10.pth", std224),
        torchvision("squeezenet1_1", "squeezenet1_1-b8a52dc0.pth", std224),
    };
  }();
  return all;
}

const KnownWeights* find_known_weights(const std::string& arch, const std::string& tag) {
  for (const auto& w : known_weights())
    if (w.arch == arch && w.tag == tag) return &w;
  return nullptr;
}

std::string weights_cache_dir() {
  if (const char* home = std::getenv("TLAB_HOME"); home && *home) return home;
  const char* user = std::getenv("HOME");
  return (fs::path(user && *user ? user : ".") / ".cache" / "tlab").string();
}

namespace {

void check_hash(const std::string& path, const KnownWeights& w) {
  const std::string actual = sha256_file(path);
  if (actual.compare(0, w.sha256_prefix.size(), w.sha256_prefix) != 0)
    throw WeightsError(str_cat("weights file '", path, "' has SHA-256 ", actual, ", expected one starting with ",
                                     w.sha256_prefix, " (", w.file, " from ", w.url,
                                     "); the file is corrupt or not the official one: delete it and try again"));
}

}  // namespace

std::string resolve_weights(const std::string& arch, const std::string& weights, const ResolveOptions& options) {
  TLAB_CHECK(!weights.empty() && weights != "none", "resolve_weights: no weights requested");
  const KnownWeights* known = find_known_weights(arch, weights);
  if (!known) {
    if (fs::is_regular_file(weights)) return weights;
    const bool looks_like_tag = weights.find('/') == std::string::npos && weights.find('.') == std::string::npos;
    if (looks_like_tag) {
      std::string tags;
      for (const auto& w : known_weights())
        if (w.arch == arch) tags += (tags.empty() ? "" : ", ") + w.tag;
      throw UsageError(str_cat("--weights ", weights, ": no such weights for ", arch, "; known: ",
                                          tags.empty() ? "none (pass a .pth or .safetensors file)" : tags));
    }
    throw WeightsError(str_cat("--weights: file '", weights, "' does not exist"));
  }
  return resolve_known(*known, options);
}

std::string resolve_known(const KnownWeights& known, const ResolveOptions& options) {
  const std::string dir = options.cache_dir.empty() ? weights_cache_dir() : options.cache_dir;
  const std::string path = (fs::path(dir) / known.file).string();
  if (fs::is_regular_file(path)) {
    check_hash(path, known);
    return path;
  }
  const std::string url = options.url_override.empty() ? known.url : options.url_override;
  std::string reason = "downloads are disabled";
  if (options.allow_download) {
    try {
      download_file(url, path, options.progress);
      check_hash(path, known);
      return path;
    } catch (const std::exception& e) {
      std::error_code ignored;
      fs::remove(path, ignored);  // it was not there before: whatever arrived failed its check
      reason = e.what();
    }
  }
  throw IoError(str_cat("the ", known.tag, " weights for ", known.arch, " are not in the cache and could not ",
                                   "be downloaded (", reason, "). Download ", known.url, " and put it at ", path,
                                   " (the cache is $TLAB_HOME or ~/.cache/tlab), or pass --weights FILE"));
}

StateDict upgrade_legacy_keys(const std::string& arch, StateDict state) {
  if (arch.rfind("densenet", 0) == 0) {
    static const std::regex legacy(R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$)");
    for (auto& [name, tensor] : state) {
      std::smatch m;
      if (std::regex_match(name, m, legacy)) name = m[1].str() + m[2].str();  // "norm.1.weight" -> "norm1.weight"
    }
  }
  return state;
}

}  // namespace tlab::weights
