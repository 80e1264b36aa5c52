#include "tlab/features/classical_model.h"

#include <ATen/Parallel.h>

#include <cstring>

#include "tlab/core/error.h"
#include "tlab/features/color_hist.h"
#include "tlab/features/kernel_svm.h"
#include "tlab/features/knn.h"
#include "tlab/features/linear_svm.h"
#include "tlab/features/logistic.h"
#include "tlab/features/reduce.h"
#include "tlab/models/checkpoint.h"

namespace tlab::features {
namespace {

// kNN's scores: log((votes + a) / (k + K a)), Laplace-smoothed so that a class no neighbour voted
// for has a finite loss; the argmax is the vote's.
constexpr double kKnnSmoothing = 0.5;

std::vector<float> vector_of(const std::string& kind, const ClassicalSpec& s, const cv::Mat& image) {
  if (kind == "hog") return hog(image, s.hog);
  if (kind == "lbp") return lbp_histogram(image, s.lbp);
  if (kind == "color-hist") return color_histogram(image, s.color);
  throw UsageError(str_cat("descriptor '", kind, "' has no per-image vector"));
}

torch::Tensor json_bytes(const nlohmann::json& j) {
  const std::string text = j.dump();
  auto t = torch::empty({int64_t(text.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), text.data(), text.size());
  return t;
}

}  // namespace

ClassicalModel::ClassicalModel(ClassicalSpec spec, const models::ModelOptions& options,
                               const transforms::InputSpec& input, models::ModelPtr backbone, std::string backbone_name)
    : spec_(std::move(spec)),
      descriptors_(parse_descriptors(spec_.features)),
      options_(options),
      input_(input),
      backbone_(std::move(backbone)),
      backbone_name_(std::move(backbone_name)) {
  validate(spec_);
  bool deep = false;
  for (const auto& d : descriptors_) deep = deep || d.kind == "deep";
  TLAB_CHECK(deep == bool(backbone_), "--features ", spec_.features,
             deep ? ": deep features need a backbone with weights (--model and --weights)"
                  : ": a backbone was given but no deep descriptor uses it");
  TLAB_CHECK(options_.in_channels == 1 || options_.in_channels == 3, "classical pipeline: images of 1 or 3 channels, got ",
             options_.in_channels);
  if (backbone_) {
    register_module("backbone", backbone_);
    backbone_->eval();
  }
}

torch::Tensor ClassicalModel::pixels_of(const torch::Tensor& images) const {
  // The preprocessing's inverse: p = (x * std + mean) / scale, in RGB order. Exact for images that
  // were 8-bit before it: the rounding recovers each value.
  const int64_t c = images.size(1);
  auto x = images.detach().to(torch::kCPU, torch::kFloat32);
  auto per_channel = [&](const std::vector<float>& v, float fill) {
    std::vector<float> full(size_t(c), fill);
    for (size_t i = 0; i < full.size() && i < v.size(); ++i) full[i] = v[i];
    return torch::tensor(full).view({1, c, 1, 1});
  };
  x = (x * per_channel(input_.std, 1.0f) + per_channel(input_.mean, 0.0f)) / input_.scale;
  if (input_.bgr && c == 3) x = x.flip(1);
  return x.round().clamp(0, 255).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

torch::Tensor ClassicalModel::deep_part(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  const Descriptor* deep = nullptr;
  for (const auto& d : descriptors_)
    if (d.kind == "deep") deep = &d;
  const auto x = images.to(parameters().empty() ? images.device() : parameters().front().device());
  torch::Tensor y = deep->stage.empty() ? backbone_->forward(x) : models::extract_features(*backbone_, x, {deep->stage}).at(deep->stage);
  if (y.dim() == 4) y = y.mean({2, 3});  // pooled: global average over the stage's positions
  return y.reshape({y.size(0), -1}).to(torch::kCPU, torch::kFloat32);
}

ClassicalModel::Parts ClassicalModel::describe_parts(const torch::Tensor& images) {
  TLAB_CHECK(images.dim() == 4 && images.size(1) == options_.in_channels, "classical pipeline: expected images [N, ",
             options_.in_channels, ", H, W], got ", images.sizes());
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3), c = images.size(1);
  Parts out;
  out.parts.resize(descriptors_.size());
  torch::Tensor pixels;
  for (const auto& d : descriptors_)
    if (d.kind != "deep" && !pixels.defined()) pixels = pixels_of(images);
  auto image = [&](int64_t i) {
    return cv::Mat(int(h), int(w), CV_8UC(int(c)), pixels[i].data_ptr<uint8_t>());
  };
  for (size_t p = 0; p < descriptors_.size(); ++p) {
    const std::string& kind = descriptors_[p].kind;
    if (kind == "deep") {
      out.parts[p] = deep_part(images);
    } else if (kind == "sift-bow") {
      out.sift.resize(size_t(n));
      at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) out.sift[size_t(i)] = sift_descriptors(image(i), spec_.sift);
      });
    } else {
      std::vector<std::vector<float>> rows(static_cast<size_t>(n));
      at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) rows[size_t(i)] = vector_of(kind, spec_, image(i));
      });
      const int64_t len = n ? int64_t(rows[0].size()) : 0;
      auto part = torch::empty({n, len}, torch::kFloat32);
      for (int64_t i = 0; i < n; ++i) std::memcpy(part[i].data_ptr<float>(), rows[size_t(i)].data(), len * sizeof(float));
      out.parts[p] = part;
    }
  }
  return out;
}

bool ClassicalModel::needs_vocabulary() const {
  for (const auto& d : descriptors_)
    if (d.kind == "sift-bow") return !named_buffers(false).contains("sift_vocabulary");
  return false;
}

void ClassicalModel::fit_vocabulary(const std::vector<cv::Mat>& sift) {
  TLAB_CHECK(needs_vocabulary(), "classical pipeline: no sift-bow vocabulary to fit (fitted already, or no sift-bow)");
  const auto vocabulary = SiftVocabulary::fit(sift, spec_.sift);
  const cv::Mat centers = vocabulary.centers().clone();
  set_state("sift_vocabulary",
            torch::from_blob(const_cast<float*>(centers.ptr<float>()), {centers.rows, centers.cols}, torch::kFloat32).clone());
}

torch::Tensor ClassicalModel::join(const Parts& parts) const {
  std::vector<torch::Tensor> columns;
  for (size_t p = 0; p < descriptors_.size(); ++p) {
    if (parts.parts[p].defined()) {
      columns.push_back(parts.parts[p]);
      continue;
    }
    TLAB_CHECK(descriptors_[p].kind == "sift-bow" && named_buffers(false).contains("sift_vocabulary"),
               "classical pipeline: the sift-bow vocabulary is not fitted yet");
    auto c = state("sift_vocabulary").to(torch::kCPU).contiguous();
    const SiftVocabulary vocabulary(cv::Mat(int(c.size(0)), int(c.size(1)), CV_32F, c.data_ptr<float>()).clone());
    const int64_t n = int64_t(parts.sift.size());
    auto part = torch::empty({n, vocabulary.words()}, torch::kFloat32);
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const auto hist = vocabulary.histogram(parts.sift[size_t(i)]);
        std::memcpy(part[i].data_ptr<float>(), hist.data(), hist.size() * sizeof(float));
      }
    });
    columns.push_back(part);
  }
  return torch::cat(columns, 1);
}

std::vector<int64_t> ClassicalModel::part_lengths() {
  if (part_lengths_.empty()) {
    const auto probe = torch::zeros({1, options_.in_channels, options_.height, options_.width});
    torch::NoGradGuard no_grad;
    for (const auto& d : descriptors_) {
      if (d.kind == "hog") part_lengths_.push_back(hog_length(cv::Size(int(options_.width), int(options_.height)), spec_.hog));
      else if (d.kind == "lbp") part_lengths_.push_back(int64_t(lbp_histogram(cv::Mat::zeros(int(options_.height), int(options_.width), CV_8UC1), spec_.lbp).size()));
      else if (d.kind == "color-hist") part_lengths_.push_back(color_hist_length(int(options_.in_channels), spec_.color));
      else if (d.kind == "sift-bow") part_lengths_.push_back(spec_.sift.words);
      else part_lengths_.push_back(deep_part(probe).size(1));
    }
  }
  return part_lengths_;
}

torch::Tensor ClassicalModel::state(const std::string& name) const {
  const auto* t = named_buffers(false).find(name);
  TLAB_CHECK(t != nullptr, "classical pipeline: no fitted '", name, "'");
  return *t;
}

void ClassicalModel::set_state(const std::string& name, const torch::Tensor& value) {
  register_buffer(name, value.contiguous());
}

void ClassicalModel::fit(const torch::Tensor& features, const torch::Tensor& labels, const ProgressCallback& progress) {
  TLAB_CHECK(!fitted_, "classical pipeline: fitted already");
  TLAB_CHECK(!needs_vocabulary(), "classical pipeline: fit the sift-bow vocabulary first");
  TLAB_CHECK_DATA(features.dim() == 2 && features.size(0) > 0, "classical pipeline: no training samples to fit on");
  const int64_t k = options_.num_classes;
  int64_t width = 0;
  for (const int64_t len : part_lengths()) width += len;
  TLAB_CHECK(features.size(1) == width, "classical pipeline: expected descriptor vectors of ", width, " values, got ",
             features.size(1));
  auto x = features.to(torch::kCPU, torch::kFloat64);
  const auto y = labels.to(torch::kCPU, torch::kInt64);
  const int64_t dim = x.size(1);

  const SelectStep select = parse_select(spec_.select);
  if (select.kind == "kbest") {
    const auto f = f_classif(x, y);
    const int64_t varying = f.isfinite().sum().item<int64_t>();
    TLAB_CHECK(select.k <= dim, "--select kbest:", select.k, ": K exceeds the ", dim, " features of --features ",
               spec_.features);
    TLAB_CHECK(select.k <= varying, "--select kbest:", select.k, ": only ", varying, " of the ", dim,
               " features vary in the training split (the others are constant and have no F statistic); choose K <= ",
               varying);
    const auto s = select_k_best(x, y, select.k);
    set_state("select_keep", s.keep);
    x = s.transform(x);
  } else if (select.kind == "variance") {
    const auto s = variance_threshold(x, select.threshold);
    set_state("select_keep", s.keep);
    x = s.transform(x);
  }
  if (spec_.standardize) {
    const auto s = Standardizer::fit(x);
    set_state("scaler_mean", s.mean);
    set_state("scaler_scale", s.scale);
    x = s.transform(x);
  }
  const ReduceStep reduce = parse_reduce(spec_.reduce);
  if (reduce.kind == "pca") {
    const auto p = Pca::fit(x, reduce.components, reduce.whiten);
    // Components beyond the data's rank have (numerically) zero variance: meaningless directions,
    // and whitening would divide by zero.
    const auto ev = p.explained_variance;
    const int64_t spanned = ev.gt(ev[0].item<double>() * 1e-12).sum().item<int64_t>();
    TLAB_CHECK(ev[0].item<double>() > 0 && spanned == reduce.components, "--reduce ", spec_.reduce,
               ": the training features (after --select) span only ", ev[0].item<double>() > 0 ? spanned : 0,
               " directions of non-zero variance; choose N <= that");
    set_state("pca_mean", p.mean);
    set_state("pca_components", p.components);
    set_state("pca_explained_variance", p.explained_variance);
    x = p.transform(x);
  }
  if (spec_.classifier == "logistic") {
    LogisticOptions lo;
    lo.c = spec_.logistic_c;
    lo.standardize = false;  // the pipeline's own step does it (--standardize)
    lo.progress = progress;
    const auto m = LogisticRegression::fit(x.to(torch::kFloat32), y, k, lo);
    set_state("clf_weight", m.weight().to(torch::kFloat64));
    set_state("clf_bias", m.bias().to(torch::kFloat64));
  } else if (spec_.classifier == "svm-linear") {
    LinearSvmOptions lo;
    lo.c = spec_.svm_c;
    lo.dual = spec_.svm_dual;
    const auto m = LinearSvm::fit(x, y, k, lo);
    set_state("clf_weight", m.weight);
    set_state("clf_bias", m.bias);
  } else if (spec_.classifier == "svm-rbf") {
    KernelSvmOptions ko;
    ko.c = spec_.svm_c;
    ko.gamma = spec_.svm_gamma;
    const auto m = KernelSvm::fit(x, y, k, ko);
    set_state("svm_support_vectors", m.support_vectors);
    set_state("svm_dual_coef", m.dual_coef);
    set_state("svm_intercept", m.intercept);
    set_state("svm_support_per_class", m.support_per_class);
    gamma_ = m.gamma;
  } else {
    KnnOptions ko;
    ko.k = spec_.knn_k;
    const auto m = Knn::fit(x, y, k, ko);
    set_state("knn_features", m.train_features);
    set_state("knn_labels", m.train_labels);
  }
  classifier_input_ = x.size(1);
  fitted_ = true;
  set_state("pipeline", json_bytes(description()));
}

torch::Tensor ClassicalModel::steps(const torch::Tensor& features, const models::LayerObserver* observe) {
  TLAB_CHECK(fitted_, "classical pipeline: not fitted");
  auto report = [&](const char* name, const torch::Tensor& t) {
    if (observe) (*observe)(name, *this, t);
  };
  const auto& buffers = named_buffers(false);
  const auto device = state("pipeline").device();
  auto x = features.to(device, torch::kFloat64);
  int64_t width = 0;
  for (const int64_t len : part_lengths_) width += len;
  TLAB_CHECK(x.dim() == 2 && x.size(1) == width, "classical pipeline: expected descriptor vectors [N, ", width,
             "], got ", x.sizes());
  if (buffers.contains("select_keep")) {
    x = x.index_select(1, state("select_keep"));
    report("selected", x);
  }
  if (buffers.contains("scaler_mean")) {
    x = (x - state("scaler_mean")) / state("scaler_scale");
    report("standardized", x);
  }
  if (buffers.contains("pca_components")) {
    x = torch::matmul(x - state("pca_mean"), state("pca_components").t());
    if (parse_reduce(spec_.reduce).whiten) x = x / state("pca_explained_variance").sqrt();
    report("reduced", x);
  }
  TLAB_CHECK(x.size(1) == classifier_input_, "classical pipeline: the classifier reads ", classifier_input_,
             " features, got ", x.size(1));
  torch::Tensor scores;
  if (spec_.classifier == "logistic" || spec_.classifier == "svm-linear") {
    scores = torch::matmul(x, state("clf_weight").t()) + state("clf_bias");
  } else if (spec_.classifier == "svm-rbf") {
    KernelSvm m;
    m.support_vectors = state("svm_support_vectors");
    m.dual_coef = state("svm_dual_coef");
    m.intercept = state("svm_intercept");
    m.support_per_class = state("svm_support_per_class");
    m.gamma = gamma_;
    scores = m.decision_function(x);
  } else {
    Knn m;
    m.train_features = state("knn_features");
    m.train_labels = state("knn_labels");
    m.num_classes = options_.num_classes;
    m.k = spec_.knn_k;
    const double k = m.k, classes = double(options_.num_classes);
    scores = ((m.predict_proba(x) * k + kKnnSmoothing) / (k + classes * kKnnSmoothing)).log();
  }
  // A class absent from the training split scores -inf in the SVMs: make it a finite, hopeless
  // score, so that losses (and the temperature fitted on them) stay finite if it shows up later.
  scores = torch::nan_to_num(scores, 0.0, 1e4, -1e4).to(torch::kFloat32);
  report("scores", scores);
  return scores;
}

torch::Tensor ClassicalModel::classify(const torch::Tensor& features) { return steps(features, nullptr); }

torch::Tensor ClassicalModel::forward_observed(torch::Tensor images, const models::LayerObserver& observe) {
  const auto features = describe(images);
  observe("descriptors", *this, features);
  return steps(features, &observe);
}

nlohmann::json ClassicalModel::description() const {
  nlohmann::json shapes = nlohmann::json::object();
  for (const auto& b : named_buffers(false)) {
    if (b.key() == "pipeline") continue;
    shapes[b.key()] = {{"shape", b.value().sizes().vec()}, {"dtype", std::string(c10::toString(b.value().scalar_type()))}};
  }
  return {{"spec", to_json(spec_)},
          {"backbone", backbone_name_},
          {"part_lengths", part_lengths_},
          {"classifier_input", classifier_input_},
          {"gamma", gamma_},
          {"buffers", shapes}};
}

std::string ClassicalModel::describe_descriptors() const {
  std::string s;
  for (size_t i = 0; i < descriptors_.size(); ++i)
    s += (i ? " + " : "") + descriptors_[i].str() +
         (i < part_lengths_.size() ? " (" + std::to_string(part_lengths_[i]) + ")" : std::string());
  return s;
}

std::string ClassicalModel::describe_pipeline() const {
  std::string s = describe_descriptors();
  if (spec_.select != "none") s += " -> " + spec_.select;
  if (spec_.standardize) s += " -> standardize";
  if (spec_.reduce != "none") s += " -> " + spec_.reduce;
  s += " -> " + spec_.classifier;
  if (spec_.classifier.rfind("svm", 0) == 0) s += str_cat(" (C ", spec_.svm_c, ")");
  if (spec_.classifier == "logistic") s += str_cat(" (C ", spec_.logistic_c, ")");
  if (spec_.classifier == "knn") s += str_cat(" (k ", spec_.knn_k, ")");
  return s;
}

DescribedSet describe_all(ClassicalModel& model, data::BatchSource& loader, const torch::Device& device,
                          const ProgressCallback& progress) {
  PhaseProgress report(progress, "features", int64_t(loader.num_batches()));
  std::vector<ClassicalModel::Parts> batches;
  std::vector<torch::Tensor> labels;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    batches.push_back(model.describe_parts(batch->images.to(device)));
    labels.push_back(batch->labels);
    report.step(batch->labels.size(0));
  }
  TLAB_CHECK_DATA(!batches.empty(), "classical pipeline: no images to describe");
  DescribedSet out;
  out.labels = torch::cat(labels);
  // each part's batches one below the other
  for (size_t p = 0; p < batches.front().parts.size(); ++p) {
    std::vector<torch::Tensor> rows;
    for (auto& b : batches)
      if (b.parts[p].defined()) rows.push_back(b.parts[p]);
    out.parts.parts.push_back(rows.empty() ? torch::Tensor() : torch::cat(rows));
  }
  for (auto& b : batches)
    for (auto& m : b.sift) out.parts.sift.push_back(std::move(m));
  if (!model.needs_vocabulary()) out.features = model.join(out.parts);
  return out;
}

std::shared_ptr<ClassicalModel> ClassicalModel::load(const std::string& path, const torch::Device& device) {
  const nlohmann::json meta = models::read_checkpoint_meta(path);
  const torch::Tensor bytes = models::read_checkpoint_tensor(path, "pipeline");
  TLAB_CHECK_WEIGHTS(bytes.defined() && bytes.scalar_type() == torch::kUInt8 && bytes.dim() == 1,
                     "checkpoint '", path, "': a classical pipeline's checkpoint must hold its 'pipeline' record");
  const auto j = nlohmann::json::parse(std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                                                   size_t(bytes.numel())),
                                       nullptr, /*allow_exceptions=*/false);
  TLAB_CHECK_WEIGHTS(j.is_object() && j.contains("spec") && j.contains("buffers") && j.at("buffers").is_object(),
                     "checkpoint '", path, "': its 'pipeline' record is not the JSON of a classical pipeline");
  std::shared_ptr<ClassicalModel> model;
  try {
    const ClassicalSpec spec = classical_spec_from_json(j.at("spec"), path);
    const auto options = models::model_options_from_json(meta.at("model_options"), path);
    const auto input = transforms::input_spec_from_json(meta.at("input"));
    const std::string backbone_name = j.value("backbone", std::string());
    models::ModelPtr backbone;
    if (!backbone_name.empty()) {
      models::ModelOptions bo = options;
      bo.include_top = false;
      bo.head.reset();
      backbone = models::create_model(backbone_name, bo);
    }
    model = std::make_shared<ClassicalModel>(spec, options, input, backbone, backbone_name);
    for (const auto& [name, info] : j.at("buffers").items()) {
      const auto shape = info.at("shape").get<std::vector<int64_t>>();
      const std::string dtype = info.at("dtype");
      const auto type = dtype == "Long" ? torch::kInt64 : dtype == "Float" ? torch::kFloat32 : torch::kFloat64;
      TLAB_CHECK_WEIGHTS(dtype == "Long" || dtype == "Float" || dtype == "Double", "checkpoint '", path,
                         "': buffer '", name, "' has an unexpected type ", dtype);
      model->set_state(name, torch::zeros(shape, type));
    }
    model->set_state("pipeline", bytes.clone());
    model->part_lengths_ = j.value("part_lengths", std::vector<int64_t>{});
    model->classifier_input_ = j.at("classifier_input").get<int64_t>();
    model->gamma_ = j.value("gamma", 0.0);
    model->fitted_ = true;
  } catch (const nlohmann::json::exception& e) {
    throw WeightsError(str_cat("checkpoint '", path, "': its classical pipeline record is malformed (", e.what(), ")"));
  } catch (const UsageError& e) {
    throw WeightsError(str_cat("checkpoint '", path, "': its classical pipeline is invalid: ", e.what()));
  }
  models::load_checkpoint(path, *model, nullptr, device);
  model->eval();
  return model;
}

}  // namespace tlab::features
