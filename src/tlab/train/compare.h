#pragma once
// Transfer strategies side by side on the same data and split (tlab compare): one run directory
// per strategy and one table of accuracy, macro F1, wall time and images per second.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "tlab/train/run.h"

namespace tlab::train {

struct CompareOptions {
  // Shared by every run: data and split, model, weights, epochs and recipe, device, augmentation
  // (not for linear-probe and feature-extract, whose point is features computed once).
  // base.out: the comparison's directory, with a run directory per row.
  RunOptions base;
  // Rows, in order: linear-probe, feature-extract, fine-tune, scratch (base.model from random
  // initialisation, or scratch_model), student (the student from random initialisation) and
  // distill (the student taught by this comparison's fine-tune run, which must come earlier), and
  // classical:FEATURES (the base's classical pipeline, --reduce, --classifier..., on those
  // descriptors: "classical:hog", "classical:deep:mobilenet_v2:features.13"), as many as wanted.
  std::vector<std::string> strategies = {"linear-probe", "feature-extract", "fine-tune", "scratch"};
  std::string scratch_model;        // empty: base.model
  std::string student = "simple_cnn";
  int student_image_size = 64;      // the student's input side
};

struct CompareRow {
  std::string strategy, model;
  std::string split;                 // where accuracy and F1 were measured: test, else val
  double accuracy = 0, macro_f1 = 0;
  double seconds = 0;                // wall time of the whole run: data, features, training, evaluation
  double images_per_second = 0;      // training images (x epochs) / seconds
  std::string dir;                   // the run directory
};

// Throws UsageError for an unknown row or distill without an earlier fine-tune.
// `on_start` is called with each row's name and options before it runs.
std::vector<CompareRow> run_comparison(const CompareOptions& options,
                                       const std::function<void(const std::string&, const RunOptions&)>& on_start = {},
                                       const TrainCallbacks& callbacks = {});

nlohmann::json to_json(const std::vector<CompareRow>& rows);
std::string format_table(const std::vector<CompareRow>& rows);

}  // namespace tlab::train
