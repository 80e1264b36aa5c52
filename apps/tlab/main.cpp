// tlab: the TransferLab command line. Parses flags into the library's option structs, prints,
// and chooses exit codes (0 ok, 1 runtime/data error, 2 usage error).
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <cstdio>
#include <sstream>
#include <filesystem>
#include <iostream>

#include "progress.h"
#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/core/log.h"
#include "tlab/data/decode.h"
#include "tlab/data/loader.h"
#include "tlab/data/spec.h"
#include "tlab/eval/metrics.h"
#include "tlab/models/flops.h"
#include "tlab/models/pretrained.h"
#include "tlab/models/summary.h"
#include "tlab/train/checkpoint.h"
#include "tlab/train/compare.h"
#include "tlab/train/run.h"
#include "tlab/transforms/preview.h"

namespace fs = std::filesystem;
using namespace tlab;

namespace {

void print_reports(const train::RunResult& r) {
  for (const char* split : {"val", "test"})
    if (auto it = r.splits.find(split); it != r.splits.end())
      std::printf("\n== %s (checkpoint of epoch %d) ==\n%s", split, r.metrics["checkpoint"]["epoch"].get<int>(),
                  eval::format_report(it->second).c_str());
  std::printf("\nrun directory: %s\n", r.dir.c_str());
}

// The options of one training run, shared by `train` and `compare`.
void add_run_options(CLI::App* c, train::RunOptions& o) {
  auto& t = o.train;
  c->add_option("--data", o.data, "training data: fashion-mnist | mnist:DIR | idx:DIR | cifar10:DIR | cifar100:DIR | folder:DIR | DIR")
      ->capture_default_str();
  c->add_option("--val", o.val, "validation data spec (default: the data's own val split, else --val-split)");
  c->add_option("--val-split", o.val_split, "stratified fraction of the training data held out for validation")
      ->capture_default_str();
  c->add_option("--test", o.test, "test data spec (default: the data's own test split, else --test-split)");
  c->add_option("--test-split", o.test_split, "without test data: stratified fraction of the data held out as test")
      ->capture_default_str();
  c->add_option("--model", o.model, "architecture (see `tlab models`)")->capture_default_str();
  c->add_option("--weights", o.weights, "start from pretrained weights: imagenet | FILE (.pth, .safetensors) | none");
  c->add_option("--strategy", o.strategy,
                "scratch | linear-probe (logistic regression on frozen pretrained features) | feature-extract "
                "(frozen pretrained backbone, new head) | fine-tune (head warm-up, then "
                "the backbone at a lower LR) | distill (a student learns from --teacher)")
      ->capture_default_str();
  c->add_option("--head", o.head, "new head: gap|flatten[,WIDTH...][,dropout=P] (default with --weights: gap)");
  c->add_option("--feature-cache", o.feature_cache,
                "feature-extract without augmentation: compute backbone features once (true) or every epoch")
      ->capture_default_str();
  c->add_option("--feature-views", o.feature_views,
                "feature-extract with --augment: cache K augmented views per image (0: backbone every epoch)")
      ->capture_default_str();
  c->add_option("--probe-c", o.probe_c, "linear-probe: inverse L2 strength (scikit-learn's C)")->capture_default_str();
  c->add_option("--unfreeze", o.unfreeze, "fine-tune: all | N (the last N backbone stages; `tlab summary` lists them)")
      ->capture_default_str();
  c->add_option("--unfreeze-from", o.unfreeze_from, "fine-tune: the first backbone stage that trains, e.g. features.14");
  c->add_option("--head-epochs", o.head_epochs, "fine-tune: first epochs that train the head alone (-1: epochs / 4)")
      ->capture_default_str();
  c->add_option("--backbone-lr-scale", o.backbone_lr_scale, "fine-tune: backbone LR = --lr * this")
      ->capture_default_str();
  c->add_option("--layer-decay", o.layer_decay, "fine-tune: each earlier backbone stage's LR = the next one's * this")
      ->capture_default_str();
  c->add_option("--bn", o.bn, "fine-tune: BatchNorm statistics frozen | train")->capture_default_str();
  c->add_option("--teacher", o.teacher, "distill: the teacher, RUN_DIR | CHECKPOINT.pt | MODEL:WEIGHTS_FILE");
  c->add_option("--temperature", o.temperature, "distill: softmax temperature")->capture_default_str();
  c->add_option("--alpha", o.alpha, "distill: weight of the teacher's term (1 - alpha: the labels')")
      ->capture_default_str();
  c->add_option("--image-size", o.image_size, "input side in pixels (0: the data's own size or the model's default; with --weights, the weights' resize + crop)")
      ->capture_default_str();
  c->add_option("--epochs", t.epochs, "full passes over the training data")->capture_default_str();
  c->add_option("--batch-size", o.batch_size, "training batch size")->capture_default_str();
  c->add_option("--eval-batch-size", o.eval_batch_size, "validation/test batch size")->capture_default_str();
  c->add_option("--optimizer", t.optimizer.name, "sgd | adam | adamw")->capture_default_str();
  c->add_option("--lr", t.optimizer.lr, "peak learning rate")->capture_default_str();
  c->add_option("--momentum", t.optimizer.momentum, "SGD momentum")->capture_default_str();
  c->add_flag("--nesterov", t.optimizer.nesterov, "Nesterov momentum (SGD)");
  c->add_option("--weight-decay", t.optimizer.weight_decay, "L2 (sgd, adam) or decoupled (adamw) weight decay")
      ->capture_default_str();
  c->add_option("--schedule", t.schedule.name, "LR schedule: constant | step | cosine")->capture_default_str();
  c->add_option("--warmup-epochs", t.schedule.warmup_epochs, "linear LR warm-up, in epochs (fractions allowed)")
      ->capture_default_str();
  c->add_option("--step-size", t.schedule.step_size, "step schedule: epochs between decays")->capture_default_str();
  c->add_option("--gamma", t.schedule.gamma, "step schedule: decay factor")->capture_default_str();
  c->add_option("--min-lr-fraction", t.schedule.min_lr_fraction, "cosine schedule: final LR / peak LR")
      ->capture_default_str();
  c->add_option("--label-smoothing", t.label_smoothing, "cross-entropy label smoothing")->capture_default_str();
  c->add_option("--seed", t.seed, "seed for initialisation, split and shuffling")->capture_default_str();
  c->add_option("--device", o.device, "auto | cpu | cuda[:N]")->capture_default_str();
  c->add_option("--threads", o.threads, "LibTorch threads (0: one per core)")->capture_default_str();
  c->add_option("--workers", o.workers, "data loader threads")->capture_default_str();
  c->add_flag("--strict-data", o.strict_data, "treat undecodable or non-image files in the data as errors");
  c->add_option("--augment", o.augment, "augmentation: none | light | keras | strong | FILE.json (docs/AUGMENTATION.md)")
      ->capture_default_str();
  c->add_option("--cache-mb", o.cache_mb, "memory for decoded images of image folders (0: decode every epoch) or cached features (beyond it: on disk), MiB")
      ->capture_default_str();
  c->add_option("--out", o.out, "run directory (default: runs/<model>-<timestamp>)");
}

void add_train_command(CLI::App& app, train::RunOptions& o, std::string& resume) {
  auto* c = app.add_subcommand("train", "train a classifier (default: simple_cnn on Fashion-MNIST)");
  add_run_options(c, o);
  c->add_option("--resume", resume, "continue the interrupted run in RUN_DIR from its last.pt");
}

void add_compare_command(CLI::App& app, train::CompareOptions& c) {
  auto* sub = app.add_subcommand("compare", "run transfer strategies on the same data and split; one table");
  add_run_options(sub, c.base);
  sub->get_option("--out")->description("directory for a run per strategy and compare.json")->required();
  sub->add_option("--strategies", c.strategies,
                  "comma-separated, in order: linear-probe, feature-extract, fine-tune, scratch, student, distill")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--scratch-model", c.scratch_model, "scratch: the architecture (default: --model)");
  sub->add_option("--student", c.student, "student and distill: the student architecture")->capture_default_str();
  sub->add_option("--student-image-size", c.student_image_size, "student and distill: the student's input side")
      ->capture_default_str();
}

int cmd_compare(train::CompareOptions& c) {
  app::Progress progress;
  train::TrainCallbacks cb{[&](const train::StepProgress& p) { progress.step(p); },
                           [&](const train::EpochRecord& r) { progress.epoch(r); }};
  const auto rows = train::run_comparison(
      c,
      [](const std::string& row, const train::RunOptions& o) {
        std::printf("\n== %s: %s%s%s, %d epochs -> %s ==\n", row.c_str(), o.model.c_str(),
                    o.weights.empty() ? "" : " + ", o.weights.c_str(), o.train.epochs, o.out.c_str());
        std::fflush(stdout);
      },
      cb);
  std::printf("\n%s\nwrote %s/compare.json\n", train::format_table(rows).c_str(), c.base.out.c_str());
  return 0;
}

int cmd_train(const CLI::App& sub, train::RunOptions& o, const std::string& resume) {
  app::Progress progress;
  train::TrainCallbacks cb{[&](const train::StepProgress& p) { progress.step(p); },
                           [&](const train::EpochRecord& r) { progress.epoch(r); }};
  train::RunResult r;
  if (!resume.empty()) {
    const bool device_set = sub.count("--device") > 0, threads_set = sub.count("--threads") > 0;
    r = train::resume_training(resume, device_set ? o.device : "", threads_set ? o.threads : 0, cb);
  } else {
    if (o.strategy == "linear-probe")
      std::printf("linear probe of %s features on %s: logistic regression (L-BFGS, C %g), seed %llu\n",
                  o.model.c_str(), o.data.c_str(), o.probe_c, (unsigned long long)o.train.seed);
    else
      std::printf("training %s on %s (%s): %d epochs, batch %d, %s lr %g, %s schedule (warm-up %g epochs), "
                  "label smoothing %g, seed %llu\n",
                  o.model.c_str(), o.data.c_str(), o.strategy.c_str(), o.train.epochs, o.batch_size,
                  o.train.optimizer.name.c_str(), o.train.optimizer.lr, o.train.schedule.name.c_str(),
                  o.train.schedule.warmup_epochs, o.train.label_smoothing, (unsigned long long)o.train.seed);
    std::fflush(stdout);
    r = train::run_training(o, cb);
  }
  print_reports(r);
  return 0;
}

struct EvalArgs {
  std::string checkpoint, data, out, device = "auto";
  int batch_size = 256, workers = 2, threads = 0;
};

int cmd_eval(const EvalArgs& a) {
  set_threads(a.threads);
  const torch::Device device = resolve_device(a.device);
  nlohmann::json meta;
  auto model = train::load_model_from_checkpoint(a.checkpoint, device, &meta);
  const transforms::InputSpec input = transforms::input_spec_from_json(meta.at("input"));
  data::DataOptions dopt;
  dopt.decode_min_side = transforms::resize_side(input);
  data::DataSource src = data::open_data(a.data, dopt);
  data::DatasetPtr ds = src.test ? src.test : src.val ? src.val : src.train;
  for (const auto& s : ds->skipped()) log_warning("skipped " + s);
  TLAB_CHECK(ds->classes() == meta.at("classes").get<std::vector<std::string>>(), "--data ", a.data,
             ": its classes differ from the checkpoint's (", meta.at("classes").size(), " classes)");
  data::DataLoader loader(ds, input, {a.batch_size, false, false, a.workers, 4, 0});
  auto m = eval::evaluate(*model, [&](torch::Tensor x) { return model->forward(x); }, loader, device);
  std::printf("evaluated %s on %s (%zu samples)\n%s", a.checkpoint.c_str(), ds->description().c_str(), ds->size(),
              eval::format_report(m).c_str());
  if (!a.out.empty()) {
    nlohmann::json j = {{"checkpoint", a.checkpoint}, {"data", a.data}, {"test", eval::to_json(m)}};
    write_json_atomic((fs::path(a.out) / "metrics.json").string(), j);
    std::printf("wrote %s\n", (fs::path(a.out) / "metrics.json").c_str());
  }
  return 0;
}

struct PredictArgs {
  std::string checkpoint, model, weights, labels, preprocess = "auto", device = "auto";
  std::vector<std::string> images;
  int topk = 5;
  bool json = false;
};

std::vector<std::string> read_labels(const std::string& path) {
  std::vector<std::string> labels;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  TLAB_CHECK(!labels.empty(), "--labels ", path, ": no labels in the file");
  return labels;
}

// A terminal progress line for downloads (stderr, so --json output stays clean).
weights::DownloadProgress download_progress() {
  return [last = std::chrono::steady_clock::time_point()](uint64_t got, uint64_t total) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(200) && got != total) return;
    last = now;
    if (total > 0)
      std::fprintf(stderr, "\rdownloading %.1f / %.1f MB (%.0f%%)", got / 1e6, total / 1e6, 100.0 * got / total);
    else
      std::fprintf(stderr, "\rdownloading %.1f MB", got / 1e6);
    if (total > 0 && got == total) std::fprintf(stderr, "\n");
  };
}

int cmd_predict(const PredictArgs& a) {
  const torch::Device device = resolve_device(a.device);
  TLAB_CHECK(a.checkpoint.empty() != a.model.empty(), "predict: give either --checkpoint FILE or --model NAME --weights FILE");
  models::ModelPtr model;
  transforms::InputSpec input;
  std::vector<std::string> classes;
  if (!a.checkpoint.empty()) {
    nlohmann::json meta;
    model = train::load_model_from_checkpoint(a.checkpoint, device, &meta);
    input = transforms::input_spec_from_json(meta.at("input"));
    classes = meta.at("classes").get<std::vector<std::string>>();
  } else if (a.model.rfind("torchscript:", 0) == 0) {
    if (!a.labels.empty()) classes = read_labels(a.labels);
    input = transforms::imagenet_spec(256, 224);
    model = models::create_model(a.model, {int64_t(classes.size()), 3, 224, 224});
  } else {
    TLAB_CHECK(!a.weights.empty(), "predict --model ", a.model, ": also give --weights imagenet|FILE");
    models::PretrainedOptions options;
    options.resolve.progress = download_progress();
    if (!a.labels.empty()) {
      classes = read_labels(a.labels);
      options.num_classes = int64_t(classes.size());
    }
    auto pretrained = models::load_pretrained(a.model, a.weights, options);
    model = pretrained.model;
    model->to(device);
    input = pretrained.input;
    if (a.preprocess == "caffe") {
      input = transforms::caffe_spec(input.resize, input.height);
    } else if (a.preprocess == "imagenet") {
      input = transforms::imagenet_spec(input.resize, input.height);
    } else {
      TLAB_CHECK(a.preprocess == "auto", "--preprocess: expected auto, imagenet or caffe, got '", a.preprocess, "'");
    }
  }
  models::prepare_for_inference(*model);
  if (classes.empty()) {  // no --labels: name classes by index
    torch::NoGradGuard no_grad;
    const auto probe = torch::zeros({1, input.channels, input.height, input.width}, torch::TensorOptions().device(device));
    for (int64_t c = 0; c < model->forward(probe).size(1); ++c) classes.push_back(std::to_string(c));
  }
  TLAB_CHECK(a.topk > 0, "--topk: expected a positive count, got ", a.topk);
  const int64_t k = std::min<int64_t>(a.topk, int64_t(classes.size()));
  torch::NoGradGuard no_grad;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& path : a.images) {
    // Full-scale decode: predictions match torchvision's on the same file.
    cv::Mat img = data::decode_image(path, data::DecodeOptions{input.channels});
    auto x = torch::empty({1, input.channels, input.height, input.width});
    transforms::to_chw_float(img, input, x.data_ptr<float>());
    auto probs = torch::softmax(model->forward(x.to(device)), 1).to(torch::kCPU)[0];
    auto [p, idx] = probs.topk(k);
    nlohmann::json top = nlohmann::json::array();
    for (int64_t i = 0; i < k; ++i)
      top.push_back({{"class", classes[idx[i].item<int64_t>()]}, {"index", idx[i].item<int64_t>()},
                     {"probability", p[i].item<double>()}});
    if (a.json) {
      out.push_back({{"image", path}, {"top", top}});
    } else {
      std::printf("%s\n", path.c_str());
      for (const auto& t : top)
        std::printf("  %-24s %.4f\n", t["class"].get<std::string>().c_str(), t["probability"].get<double>());
    }
  }
  if (a.json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

struct PreviewArgs {
  std::string data, augment = "light", out;
  int count = 4, views = 7, image_size = 0;
  uint64_t seed = 0;
};

int cmd_augment_preview(const PreviewArgs& a) {
  const auto augmentation = transforms::Augmentation::from_flag(a.augment);
  data::DataSource src = data::open_data(a.data);
  const data::Dataset& ds = *src.train;
  TLAB_CHECK(a.count > 0, "--count: expected a positive number of images, got ", a.count);
  transforms::InputSpec spec;
  spec.channels = ds.channels();
  const auto fixed = ds.image_size();
  spec.height = a.image_size > 0 ? a.image_size : fixed ? fixed->height : 224;
  spec.width = a.image_size > 0 ? a.image_size : fixed ? fixed->width : 224;
  // A seeded sample of the data, classes taken in turn so that each row shows another class.
  std::vector<size_t> order(ds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(a.seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<cv::Mat> images;
  const size_t classes = ds.classes().size();
  for (size_t c = 0; images.size() < size_t(a.count) && c < classes * size_t(a.count); ++c)
    for (size_t i : order)
      if (size_t(ds.label(i)) == c % classes) {
        images.push_back(ds.get(i).image);
        order.erase(std::find(order.begin(), order.end(), i));
        break;
      }
  cv::Mat grid = transforms::preview_grid(images, augmentation, spec, a.views, a.seed);
  if (grid.channels() == 3) cv::cvtColor(grid, grid, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  TLAB_CHECK(cv::imencode(".png", grid, png), "augment-preview: could not encode the grid as PNG");
  write_file_atomic(a.out, std::string(png.begin(), png.end()));
  std::printf("wrote %s: %zu images (rows) x (1 original + %d augmented views), augmentation %s\n", a.out.c_str(),
              images.size(), a.views, augmentation.to_json().dump().c_str());
  return 0;
}

int cmd_summary(const std::string& name, int64_t num_classes, int64_t image_size, int64_t channels) {
  const auto& info = models::model_info(name);
  const int64_t side = image_size > 0 ? image_size : info.default_image_size;
  auto model = models::create_model(name, {num_classes, channels, side, side});
  std::printf("%s", models::format_summary(models::summarize(*model, name, channels, side, side)).c_str());
  return 0;
}

int cmd_models() {
  torch::NoGradGuard no_grad;
  std::printf("%-22s %12s %9s %7s  %s\n", "model", "parameters", "GMACs", "input", "known weights");
  for (const auto& info : models::model_registry()) {
    const int64_t s = info.default_image_size;
    auto model = info.create({1000, 3, s, s});
    const auto macs = models::count_macs(*model, 3, s, s);
    std::string known = "-";
    for (const auto& w : weights::known_weights())
      if (w.arch == info.name) known = w.tag + " (" + w.file + ")";
    std::printf("%-22s %12lld %9.3f %7s  %s\n", info.name.c_str(), (long long)models::count_parameters(*model).total(),
                double(macs.total()) / 1e9, (std::to_string(s) + "px").c_str(), known.c_str());
  }
  std::printf("(1000 classes, 3 input channels, default input size; GMACs: multiply-accumulates of one image, "
              "the figure torchvision lists as GFLOPS)\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"TransferLab: train, evaluate and deploy image classifiers with deep and transfer learning"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tlab ") + TLAB_VERSION);

  train::RunOptions run;
  std::string resume;
  add_train_command(app, run, resume);
  train::CompareOptions compare;
  add_compare_command(app, compare);

  EvalArgs eval_args;
  auto* eval_cmd = app.add_subcommand("eval", "evaluate a checkpoint on a data set (its test split when it has one)");
  eval_cmd->add_option("--checkpoint", eval_args.checkpoint, "checkpoint file (RUN_DIR/checkpoints/best.pt)")->required();
  eval_cmd->add_option("--data", eval_args.data, "data spec")->required();
  eval_cmd->add_option("--out", eval_args.out, "directory for metrics.json");
  eval_cmd->add_option("--batch-size", eval_args.batch_size, "batch size")->capture_default_str();
  eval_cmd->add_option("--device", eval_args.device, "auto | cpu | cuda[:N]")->capture_default_str();
  eval_cmd->add_option("--threads", eval_args.threads, "LibTorch threads (0: one per core)");
  eval_cmd->add_option("--workers", eval_args.workers, "data loader threads")->capture_default_str();

  PredictArgs predict_args;
  auto* predict_cmd = app.add_subcommand("predict", "classify images with a checkpoint, or a zoo model and weights");
  predict_cmd->add_option("--checkpoint", predict_args.checkpoint, "checkpoint file (RUN_DIR/checkpoints/best.pt)");
  predict_cmd->add_option("--model", predict_args.model, "zoo architecture (with --weights)");
  predict_cmd->add_option("--weights", predict_args.weights, "imagenet (cached / downloaded) or a .pth / .safetensors file");
  predict_cmd->add_option("--labels", predict_args.labels, "class names, one per line, in label order");
  predict_cmd->add_option("--preprocess", predict_args.preprocess,
                          "auto (the weights' own) | imagenet | caffe (BGR, 0-255, mean-subtracted)")
      ->capture_default_str();
  predict_cmd->add_option("images", predict_args.images, "image files")->required();
  predict_cmd->add_option("--topk", predict_args.topk, "classes to show per image")->capture_default_str();
  predict_cmd->add_flag("--json", predict_args.json, "print JSON");
  predict_cmd->add_option("--device", predict_args.device, "auto | cpu | cuda[:N]")->capture_default_str();

  std::string summary_model = "simple_cnn";
  int64_t summary_classes = 10, summary_size = 0, summary_channels = 3;
  auto* summary_cmd = app.add_subcommand("summary", "print a Keras-style layer table");
  summary_cmd->add_option("--model", summary_model, "architecture")->capture_default_str();
  summary_cmd->add_option("--num-classes", summary_classes, "classifier outputs")->capture_default_str();
  summary_cmd->add_option("--image-size", summary_size, "input side (0: the model's default)")->capture_default_str();
  summary_cmd->add_option("--channels", summary_channels, "input channels")->capture_default_str();

  auto* models_cmd = app.add_subcommand("models", "list the architectures");


  PreviewArgs preview_args;
  auto* preview_cmd = app.add_subcommand("augment-preview", "write a grid of original and augmented images (PNG)");
  preview_cmd->add_option("--data", preview_args.data, "data spec (its training split is shown)")->required();
  preview_cmd->add_option("--augment", preview_args.augment, "none | light | keras | strong | FILE.json")
      ->capture_default_str();
  preview_cmd->add_option("--out", preview_args.out, "PNG file to write")->required();
  preview_cmd->add_option("--count", preview_args.count, "images (rows)")->capture_default_str();
  preview_cmd->add_option("--views", preview_args.views, "augmented views per image")->capture_default_str();
  preview_cmd->add_option("--image-size", preview_args.image_size, "input side (0: the data's own size, else 224)")
      ->capture_default_str();
  preview_cmd->add_option("--seed", preview_args.seed, "seed for the sample and the augmentation")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // Library messages go to stderr, so stdout stays machine-readable (--json) and the report clean.
  set_log_sink([](LogLevel level, const std::string& msg) {
    std::fprintf(stderr, "%s%s\n", level == LogLevel::kWarning ? "warning: " : "", msg.c_str());
  });
  try {
    if (auto* c = app.get_subcommand("train"); c->parsed()) return cmd_train(*c, run, resume);
    if (app.get_subcommand("compare")->parsed()) return cmd_compare(compare);
    if (eval_cmd->parsed()) return cmd_eval(eval_args);
    if (predict_cmd->parsed()) return cmd_predict(predict_args);
    if (summary_cmd->parsed()) return cmd_summary(summary_model, summary_classes, summary_size, summary_channels);
    if (models_cmd->parsed()) return cmd_models();
    if (preview_cmd->parsed()) return cmd_augment_preview(preview_args);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "\nerror: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nerror: %s\n", e.what());
    return 1;
  }
  return 0;
}
