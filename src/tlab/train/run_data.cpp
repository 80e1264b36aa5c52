#include "tlab/train/run_data.h"

#include <algorithm>

#include "tlab/core/error.h"
#include "tlab/data/cache.h"
#include "tlab/data/spec.h"
#include "tlab/data/stats.h"
#include "tlab/features/classical.h"
#include "tlab/models/transfer.h"

namespace tlab::train {
namespace {

// The input spec of a new run: the weights' own preprocessing, else the data's size and statistics.
transforms::InputSpec new_input(const RunOptions& o, const RunData& d) {
  transforms::InputSpec input;
  const int side = o.model.image_size;
  if (d.pretrained) {
    input = d.pretrained->input;  // the weights' own preprocessing
    if (side > 0) {  // another input size: a straight resize to it (Keras's target_size), same normalisation
      input.height = input.width = side;
      input.resize = 0;
    }
    return input;
  }
  const auto fixed = d.train->image_size();
  TLAB_CHECK(fixed || side > 0 || o.model.name != features::kClassicalModelName, "--strategy classical on ",
             o.data.spec, ": its images differ in size; give the size the descriptors see with --image-size N");
  const int default_side = fixed || side > 0 ? 0 : int(models::model_info(o.model.name).default_image_size);
  input.channels = d.train->channels();
  input.height = side > 0 ? side : fixed ? fixed->height : default_side;
  input.width = side > 0 ? side : fixed ? fixed->width : default_side;
  std::tie(input.mean, input.std) = data::estimate_mean_std(*d.train, input.channels, 2000, o.recipe.seed);
  return input;
}

}  // namespace

RunData open_run_data(const RunOptions& o, const Strategy& strategy, const std::optional<transforms::InputSpec>& input) {
  RunData d;
  if (!o.model.weights.empty() && !input) {
    models::PretrainedOptions po;
    po.include_top = false;
    d.pretrained = models::load_pretrained(o.model.name, o.model.weights, po);
  }
  // Image folders may decode large JPEGs at reduced scale, down to no less than the side that
  // preprocessing (the model's, and another model's of the strategy: a teacher) resizes to.
  const int model_side = input ? transforms::resize_side(*input)
                         : d.pretrained && o.model.image_size == 0 ? transforms::resize_side(d.pretrained->input)
                         : o.model.image_size > 0 ? o.model.image_size
                         : o.model.name == features::kClassicalModelName ? 0  // the data's own size (checked below)
                                                  : int(models::model_info(o.model.name).default_image_size);
  const int other_side = strategy.extra_input_side(o);  // a teacher's (reads its checkpoint's meta)
  data::DataOptions dopt;
  dopt.strict = o.data.strict;
  dopt.decode_min_side = std::max(model_side, other_side);
  data::Splits splits = data::open_splits(o.data.spec, o.data.val, o.data.val_split, o.data.test, o.data.test_split,
                                          o.recipe.seed, dopt);
  d.train = splits.train;
  d.val = splits.val;
  d.test = splits.test;
  d.skipped = std::move(splits.skipped);
  d.input = input ? *input : new_input(o, d);
  d.model_options.num_classes = int64_t(d.train->classes().size());
  d.model_options.in_channels = d.input.channels;
  d.model_options.height = d.input.height;
  d.model_options.width = d.input.width;
  d.model_options.head = o.model.head;

  // Image folders decode files at every access: keep decoded images (shrunk to what preprocessing
  // and cropping need) in memory. IDX / CIFAR data are in memory already (fixed image size).
  // Not with denoising: it must see the full-resolution image, as without the cache.
  // Not when the strategy reads each image once (a feature cache).
  if (o.system.cache_mb > 0 && !d.train->image_size() && d.input.denoise == "none" && !strategy.reads_images_once(o)) {
    auto budget = std::make_shared<data::CacheBudget>(size_t(o.system.cache_mb) << 20);
    const int side = std::max(transforms::resize_side(d.input), other_side);
    auto shrink = [side, interpolation = d.input.interpolation](const cv::Mat& img) {
      return std::min(img.rows, img.cols) > side ? transforms::resize_shorter_side(img, side, interpolation) : img;
    };
    for (data::DatasetPtr* split : {&d.train, &d.val, &d.test})
      if (*split) *split = std::make_shared<data::CachedDataset>(*split, budget, shrink);
  }
  return d;
}

models::ModelPtr build_model(const RunOptions& o, const RunData& d) {
  torch::manual_seed(o.recipe.seed);  // model initialisation
  if (d.pretrained) return std::make_shared<models::TransferModel>(d.pretrained->model, d.model_options);
  if (o.model.name == features::kClassicalModelName) return nullptr;  // the strategy builds and fits its pipeline
  return models::create_model(o.model.name, d.model_options);
}

nlohmann::json data_info(const RunData& d) {
  auto split = [](const data::DatasetPtr& ds) {
    return ds ? nlohmann::json{{"source", ds->description()}, {"samples", ds->size()}} : nlohmann::json();
  };
  return {{"train", split(d.train)},
          {"val", split(d.val)},
          {"test", split(d.test)},
          {"classes", d.train->classes()},
          {"skipped_files", d.skipped.size()},
          {"skipped", d.skipped}};
}

}  // namespace tlab::train
