#pragma once
// Known pretrained weights: per architecture, the official torchvision file, where it comes from,
// its hash, and the preprocessing it was trained with. `--weights imagenet` resolves through here.
#include <string>
#include <vector>

#include "tlab/transforms/preprocess.h"
#include "tlab/weights/download.h"
#include "tlab/weights/pth.h"

namespace tlab::weights {

struct KnownWeights {
  std::string arch;            // model registry name, e.g. "resnet50"
  std::string tag;             // what --weights names, e.g. "imagenet"
  std::string url;             // official download address
  std::string file;            // file name in the cache
  std::string sha256_prefix;   // the SHA-256 prefix torchvision publishes in the file name
                               // (torch.hub checks the same prefix); a full hash is checked in full
  transforms::InputSpec input; // preprocessing the weights were trained with
  int64_t num_classes = 1000;  // classes of the file's head
};

// Every known weight set.
const std::vector<KnownWeights>& known_weights();
// The entry for (arch, tag), or nullptr.
const KnownWeights* find_known_weights(const std::string& arch, const std::string& tag = "imagenet");

// $TLAB_HOME, else $HOME/.cache/tlab.
std::string weights_cache_dir();

struct ResolveOptions {
  std::string cache_dir;         // empty: weights_cache_dir()
  std::string url_override;      // non-empty: download from here instead of the official URL (mirrors, tests)
  bool allow_download = true;    // false: only the cache
  DownloadProgress progress;     // download progress callback
};

// Turns --weights into a file path: "imagenet" (or another tag) -> the cached official file,
// downloaded and hash-checked when missing; anything else is taken as a file path and must exist.
// Throws IoError (WeightsError for a wrong hash) saying which file to download, from where, and where to put it, when
// the file is missing and cannot be downloaded, or when its hash is wrong.
std::string resolve_weights(const std::string& arch, const std::string& weights, const ResolveOptions& options = {});

// The cached file of `known`, downloaded (from options.url_override or known.url) and hash-checked
// when missing. resolve_weights uses it for tags; exposed for mirrors and tests.
std::string resolve_known(const KnownWeights& known, const ResolveOptions& options = {});

// Renames keys of older official files to the current torchvision names (DenseNet's
// "denselayer1.norm.1" -> "denselayer1.norm1"), as torchvision does when it loads them.
StateDict upgrade_legacy_keys(const std::string& arch, StateDict state);

}  // namespace tlab::weights
