// tlab export, one representative per architecture family: the exported files compute the model's
// logits. TorchScript reloaded in C++ (torch::jit::load) and in Python (Debian's python3-torch)
// within 1e-5; ONNX passes onnx.checker (python3-onnx, full check) and matches within 1e-4 in ONNX
// Runtime (the pinned onnxruntime-node) and in OpenCV DNN (cv::dnn::readNetFromONNX), at batch 1
// and batch 3. The Python and node checks run once over a manifest of every family.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <torch/script.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include "../test_util.h"
#include "../float_file.h"
#include "tlab/export/bundle.h"
#include "tlab/models/head.h"
#include "tlab/models/model.h"

namespace tlab {
namespace {

constexpr int kBatch = 3;

// What OpenCV DNN 4.6 (Debian 12) cannot import or run, found by this test; the ONNX Runtime check
// covers these families. A family listed here that OpenCV does run must still match.
const std::map<std::string, std::string> kOpenCvLacks = {
    {"mobilenet_v2", "Clip with min/max as inputs (the only Clip of opset >= 11; ReLU6)"},
    {"mobilenet_v3", "Mul broadcasting [N, C, 1, 1] over [N, C, H, W] (squeeze-and-excitation)"},
    {"efficientnet", "Mul broadcasting [N, C, 1, 1] over [N, C, H, W] (squeeze-and-excitation)"},
};
constexpr int kClasses = 5;

struct Family {
  std::string name;
  std::string arch;
  int side;                   // input height = width
  std::string head;           // a transfer head spec ("gap,32"), or empty
  std::string real_weights;   // a file under ../shared/weights: ImageNet weights instead of random ones
};

const std::vector<Family>& families() {
  static const std::vector<Family> f = {
      {"simple_cnn", "simple_cnn", 32, "", ""},
      {"vgg", "vgg11_bn", 224, "", ""},  // 224: the classifier reads 7x7 maps (adaptive pool = identity)
      {"resnet", "resnet18", 64, "", ""},
      {"inception_v3", "inception_v3", 75, "", ""},
      {"mobilenet_v2", "mobilenet_v2", 224, "", "mobilenet_v2-imagenet-folded.pth"},
      {"mobilenet_v3", "mobilenet_v3_small", 64, "", ""},
      {"efficientnet", "efficientnet_b0", 64, "", ""},
      {"densenet", "densenet121", 64, "", ""},
      {"squeezenet", "squeezenet1_0", 224, "", "squeezenet1_0-imagenet-deepcompression.pth"},
      {"transfer_head", "resnet18", 64, "gap,32", ""},  // GAP -> Dense(32) -> ReLU -> Dropout -> Dense(5)
  };
  return f;
}

// Random-init weights made to give logits worth comparing: BatchNorm affine terms drawn at random
// and running statistics set from one batch of noise (fresh BatchNorms are the identity, and
// without normalisation Inception's activations reach 1e8), then the last Linear layer scaled so
// the largest logit is about 1 (the tolerances are absolute; float32 rounding grows with depth). A wrong eps, a swapped mean/var or a dropped affine term shows.
void make_logits_comparable(models::Model& model, int side) {
  torch::NoGradGuard no_grad;
  torch::nn::Linear last{nullptr};
  for (auto& m : model.modules(/*include_self=*/false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      bn->options.momentum(1.0);  // the running statistics become the batch's
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0, 0.2);
    }
    if (auto* linear = m->as<torch::nn::LinearImpl>()) last = torch::nn::Linear(std::dynamic_pointer_cast<torch::nn::LinearImpl>(m));
  }
  model.train();
  model.forward(torch::randn({8, 3, side, side}));
  model.eval();
  const float largest = model.forward(torch::randn({2, 3, side, side})).abs().max().item<float>();
  if (last && largest > 0) {
    last->weight.mul_(1 / largest);
    if (last->bias.defined()) last->bias.mul_(1 / largest);
  }
}

infer::LoadedModel family_model(const Family& f) {
  torch::manual_seed(11);
  if (!f.real_weights.empty()) {
    infer::ModelSource s;
    s.model = f.arch;
    s.weights = test::shared_dir() + "/weights/" + f.real_weights;
    return infer::load(s, torch::kCPU);  // 1,000 ImageNet logits
  }
  models::ModelOptions o;
  o.num_classes = kClasses;
  o.height = o.width = f.side;
  if (!f.head.empty()) o.head = models::HeadOptions::parse(f.head);
  infer::LoadedModel m;
  m.model = models::create_model(f.arch, o);
  make_logits_comparable(*m.model, f.side);
  models::prepare_for_inference(*m.model);
  m.architecture = f.arch;
  m.input = transforms::imagenet_spec(0, f.side);
  m.input.resize = 0;
  for (int i = 0; i < kClasses; ++i) m.classes.push_back("class" + std::to_string(i));
  m.source = "test";
  return m;
}

float max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<float>(); }

// OpenCV DNN's logits of `x` through the ONNX file, or the exception's message.
std::optional<torch::Tensor> opencv_logits(const std::string& onnx, const torch::Tensor& x, std::string& error) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    const auto xc = x.contiguous();
    const int sizes[4] = {int(xc.size(0)), int(xc.size(1)), int(xc.size(2)), int(xc.size(3))};
    const cv::Mat blob(4, sizes, CV_32F, xc.data_ptr<float>());
    net.setInput(blob, "input");
    const cv::Mat out = net.forward();
    return torch::from_blob(const_cast<float*>(out.ptr<float>()), {xc.size(0), int64_t(out.total()) / xc.size(0)})
        .clone();
  } catch (const cv::Exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

std::map<std::string, nlohmann::json> by_name(const std::string& json_text) {
  std::map<std::string, nlohmann::json> out;
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_array())
    for (const auto& e : j) out[e.value("name", "")] = e;
  return out;
}

TEST(ExportFamilies, TorchScriptAndOnnxGiveTheModelsLogitsInEveryRuntime) {
  test::TempDir dir;
  nlohmann::json manifest = nlohmann::json::array();
  std::map<std::string, float> torchscript_cpp, opencv;  // max |diff| per family, for the table below
  for (const auto& f : families()) {
    SCOPED_TRACE(f.name);
    const infer::LoadedModel m = family_model(f);
    // tlab's logits at batch 1 and at batch 3 (LibTorch's kernels differ with the batch size, so
    // each batch is compared with tlab's own answer at that size).
    const auto x = torch::randn({kBatch, 3, f.side, f.side});
    torch::Tensor y1, y;
    {
      torch::NoGradGuard no_grad;
      y1 = m.model->forward(x.slice(0, 0, 1));
      y = m.model->forward(x);
    }
    ASSERT_GT(y.abs().max().item<float>(), 0.1f) << "logits too small to compare: " << y.abs().max().item<float>();
    const auto ts = exporting::export_bundle(m, {exporting::Format::kTorchScript, dir.str(f.name + "/ts")});
    const auto onnx = exporting::export_bundle(m, {exporting::Format::kOnnx, dir.str(f.name + "/onnx")});

    auto loaded = torch::jit::load(ts.model_file);
    const float ts1 = max_diff(loaded.forward({x.slice(0, 0, 1)}).toTensor(), y1);
    const float ts3 = max_diff(loaded.forward({x}).toTensor(), y);
    EXPECT_LT(ts1, 1e-5) << "TorchScript in C++, batch 1";
    EXPECT_LT(ts3, 1e-5) << "TorchScript in C++, batch 3";

    std::string cv_error;
    const auto cv1 = opencv_logits(onnx.model_file, x.slice(0, 0, 1), cv_error);
    const auto cv3 = opencv_logits(onnx.model_file, x, cv_error);
    if (cv1 && cv3) {
      opencv[f.name] = std::max(max_diff(*cv1, y1), max_diff(*cv3, y));
      EXPECT_LT(opencv[f.name], 1e-4) << "OpenCV DNN, batch 1 and 3";
    } else {
      EXPECT_TRUE(kOpenCvLacks.count(f.name)) << "OpenCV DNN could not run " << onnx.model_file << ": " << cv_error;
    }
    torchscript_cpp[f.name] = std::max(ts1, ts3);

    test::write_floats(dir.str(f.name + "/x.bin"), x);
    test::write_floats(dir.str(f.name + "/y.bin"), torch::cat({y1, y}));  // [1 + N, K]
    manifest.push_back({{"name", f.name}, {"torchscript", ts.model_file}, {"onnx", onnx.model_file},
                        {"x", dir.str(f.name + "/x.bin")}, {"y", dir.str(f.name + "/y.bin")},
                        {"shape", {kBatch, 3, f.side, f.side}}, {"classes", y.size(1)},
                        {"threads", at::get_num_threads()}});
  }
  test::write_bytes(dir.str("manifest.json"), manifest.dump());

  // Python: torch.jit.load and onnx.checker. Node: ONNX Runtime. Missing packages fail here (CI
  // installs them with scripts/setup.sh); they never skip.
  const std::string py = "/usr/bin/python3 " TLAB_SOURCE_DIR "/tests/export/check_exports.py " + dir.str("manifest.json");
  ASSERT_EQ(test::run_command(py + " > " + dir.str("python.json")), 0) << py;
  const std::string node = "node " TLAB_SOURCE_DIR "/tests/js/onnx_check.js " + dir.str("manifest.json");
  ASSERT_EQ(test::run_command(node + " > " + dir.str("ort.json")), 0) << node;
  auto python = by_name(test::read_text(dir.str("python.json")));
  auto ort = by_name(test::read_text(dir.str("ort.json")));
  for (const auto& f : families()) {
    SCOPED_TRACE(f.name);
    const auto& p = python[f.name];
    EXPECT_FALSE(p.contains("error")) << p.dump();
    EXPECT_LT(p.value("torchscript_diff", 1.0), 1e-5) << p.dump();
    EXPECT_EQ(p.value("onnx_checker", std::string("missing")), "ok") << p.dump();
    const auto& o = ort[f.name];
    EXPECT_FALSE(o.contains("error")) << o.dump();
    EXPECT_LT(o.value("diff", 1.0), 1e-4) << o.dump();
  }
  std::printf("%-14s %12s %12s %12s %12s  (max |logit diff|, batch 1 and 3)\n", "family", "TS C++",
              "TS Python", "ONNX Runtime", "OpenCV DNN");
  for (const auto& f : families()) {
    const std::string cv = opencv.count(f.name) ? std::to_string(opencv[f.name]) : "lacks op";
    std::printf("%-14s %12.3g %12.3g %12.3g %12s\n", f.name.c_str(), torchscript_cpp[f.name],
                python[f.name].value("torchscript_diff", -1.0), ort[f.name].value("diff", -1.0), cv.c_str());
  }
  // torchvision's parameter names are kept in the TorchScript file.
  EXPECT_EQ(python["mobilenet_v2"].value("first_names", nlohmann::json()),
            nlohmann::json({"features.0.0.weight", "features.0.1.weight", "features.0.1.bias"}));
}

}  // namespace
}  // namespace tlab
