#pragma once
// The data side of a run, opened once options are resolved: the splits, the model's input spec,
// the model options, and the pretrained backbone when a new run starts from weights.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "tlab/data/dataset.h"
#include "tlab/models/pretrained.h"
#include "tlab/train/options.h"
#include "tlab/train/strategy.h"

namespace tlab::train {

struct RunData {
  std::optional<models::Pretrained> pretrained;  // the backbone with its weights (new runs with --weights)
  data::DatasetPtr train, val, test;             // val / test null when there are none
  transforms::InputSpec input;                   // the model's preprocessing
  models::ModelOptions model_options;            // what the model is built with
  std::vector<std::string> skipped;              // files skipped in any split, with the reason
};

// Loads the pretrained backbone (unless `input` is given), opens and splits the data, and
// resolves the input spec: `input` when resuming (the checkpoint's), the weights' own, or the
// data's size and statistics. Image folders keep decoded images in memory up to --cache-mb, unless
// `strategy` reads each image once.
RunData open_run_data(const RunOptions& options, const Strategy& strategy,
                      const std::optional<transforms::InputSpec>& input);

// The model to train: the pretrained backbone with a new head, or the architecture freshly
// initialised from the recipe's seed; null for a classical pipeline without deep features (its
// strategy builds it).
models::ModelPtr build_model(const RunOptions& options, const RunData& data);

// The run config's "data_info": each split's source and size, the classes, the skipped files.
nlohmann::json data_info(const RunData& data);

}  // namespace tlab::train
