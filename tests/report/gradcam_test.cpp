// Grad-CAM against the same computation in PyTorch: torchvision's resnet18 with random weights
// (seed 0) and perturbed BatchNorm statistics, a forward hook with retain_grad at layer4,
// F.interpolate(bilinear, align_corners=False), normalised by the max. Our resnet18 loads that
// very .pth; coarse map, heatmap and score must agree to 1e-5.
#include "tlab/report/gradcam.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>

#include "../float_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/models/pretrained.h"
#include "tlab/models/transfer.h"

namespace tlab::test {
namespace {

constexpr int64_t kOther = 7;  // the fixed second class: its map is partly zero, so the ReLU counts
constexpr double kTol = 1e-5;

// argv: DIR (holding input.f32, [1, 3, 64, 64]) and the other class. Writes resnet18.pth,
// {coarse,heat}_{predicted,other}.f32 and meta.txt ("case target score" per line).
constexpr const char* kReference = R"PY(import sys
import numpy as np
import torch
import torch.nn.functional as F
import torchvision

d, other = sys.argv[1], int(sys.argv[2])
torch.manual_seed(0)
m = torchvision.models.resnet18(weights=None)
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):  # so eval-mode BatchNorm is not the identity
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.uniform_(0.5, 1.5)
            mod.bias.uniform_(-0.2, 0.2)
m.eval()
torch.save(m.state_dict(), d + "/resnet18.pth")
x = torch.from_numpy(np.fromfile(d + "/input.f32", dtype=np.float32).reshape(1, 3, 64, 64))

store = {}
def keep(module, inputs, output):
    output.retain_grad()
    store["a"] = output
m.layer4.register_forward_hook(keep)

with open(d + "/meta.txt", "w") as meta:
    for case, target in (("predicted", -1), ("other", other)):
        m.zero_grad()
        logits = m(x)
        if target < 0:
            target = int(logits.argmax(1))
        logits[0, target].backward()
        a = store["a"]
        alpha = a.grad.mean(dim=(2, 3), keepdim=True)
        coarse = F.relu((alpha * a).sum(1))[0].detach()
        heat = F.interpolate(coarse[None, None], size=(64, 64), mode="bilinear", align_corners=False)[0, 0]
        if heat.max() > 0:
            heat = heat / heat.max()
        coarse.numpy().astype(np.float32).tofile(d + "/coarse_" + case + ".f32")
        heat.numpy().astype(np.float32).tofile(d + "/heat_" + case + ".f32")
        meta.write("%s %d %.9g\n" % (case, target, float(logits[0, target])))
)PY";

torch::Tensor read_floats(const std::string& path, std::vector<int64_t> shape) {
  auto t = torch::zeros(shape, torch::kFloat);
  const std::string bytes = read_text(path);
  EXPECT_EQ(bytes.size(), size_t(t.numel()) * 4) << path;
  std::memcpy(t.data_ptr(), bytes.data(), std::min(bytes.size(), size_t(t.numel()) * 4));
  return t;
}

struct Expected {
  int64_t target = 0;
  double score = 0;
  torch::Tensor coarse, heat;  // [2, 2], [64, 64]
};

// The reference, run once: the weights file, the input and both cases. `error` is set (and every
// test using it fails) when Python fails.
struct Reference {
  TempDir dir;
  torch::Tensor x;
  Expected predicted, other;
  std::string error;

  Reference() {
    torch::manual_seed(1);
    x = torch::randn({1, 3, 64, 64});
    write_floats(dir.str("input.f32"), x);
    std::ofstream(dir.str("gradcam_reference.py")) << kReference;
    const int rc = run_command("/usr/bin/python3 " + dir.str("gradcam_reference.py") + " " + dir.str() + " " +
                               std::to_string(kOther) + " > " + dir.str("log.txt") + " 2>&1");
    if (rc != 0) {
      error = "the PyTorch reference (/usr/bin/python3 with torch, torchvision) exited with " + std::to_string(rc) +
              ":\n" + read_text(dir.str("log.txt"));
      return;
    }
    std::ifstream meta(dir.str("meta.txt"));
    std::string name;
    for (Expected* e : {&predicted, &other}) {
      meta >> name >> e->target >> e->score;
      e->coarse = read_floats(dir.str("coarse_" + name + ".f32"), {2, 2});
      e->heat = read_floats(dir.str("heat_" + name + ".f32"), {64, 64});
    }
    if (!meta) error = "meta.txt from the reference is incomplete: " + read_text(dir.str("meta.txt"));
  }
  std::string weights() const { return dir.str("resnet18.pth"); }
};

const Reference& reference() {
  static const Reference r;
  return r;
}

models::ModelPtr load_resnet18(bool include_top = true) {
  models::PretrainedOptions o;
  o.include_top = include_top;
  return models::load_pretrained("resnet18", reference().weights(), o).model;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

void expect_matches(const report::GradCam& cam, const Expected& e, const std::string& what) {
  EXPECT_EQ(cam.stage, "layer4") << what;
  EXPECT_EQ(cam.target, e.target) << what;
  EXPECT_NEAR(cam.score, e.score, kTol * std::max(1.0, std::abs(e.score))) << what;
  ASSERT_EQ(cam.coarse.sizes(), e.coarse.sizes()) << what;
  ASSERT_EQ(cam.heatmap.sizes(), e.heat.sizes()) << what;
  EXPECT_TRUE(torch::allclose(cam.coarse, e.coarse, kTol, kTol))
      << what << ": coarse max |ours - PyTorch| " << max_diff(cam.coarse, e.coarse) << "\nours\n"
      << cam.coarse << "\nPyTorch\n" << e.coarse;
  EXPECT_TRUE(torch::allclose(cam.heatmap, e.heat, kTol, kTol))
      << what << ": heatmap max |ours - PyTorch| " << max_diff(cam.heatmap, e.heat);
}

TEST(GradCam, MatchesPyTorchAtLayer4) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  ASSERT_NE(ref.predicted.target, kOther) << "pick another fixed class: " << kOther << " is the predicted one";
  auto model = load_resnet18();
  const auto predicted = report::grad_cam(*model, ref.x);  // default stage: the last conv stage
  const auto other = report::grad_cam(*model, ref.x, kOther, "layer4");
  expect_matches(predicted, ref.predicted, "predicted class");
  expect_matches(other, ref.other, "class " + std::to_string(kOther));
  for (const auto& [cam, e] : {std::pair{&predicted, &ref.predicted}, std::pair{&other, &ref.other}}) {
    std::cout << "class " << cam->target << ": max |coarse - PyTorch| " << max_diff(cam->coarse, e->coarse)
              << ", max |heatmap - PyTorch| " << max_diff(cam->heatmap, e->heat) << ", |score - PyTorch| "
              << std::abs(cam->score - e->score) << "\n";
    EXPECT_FLOAT_EQ(cam->heatmap.max().item<float>(), 1.0f);
    EXPECT_GE(cam->heatmap.min().item<float>(), 0.0f);
  }
  EXPECT_GT((ref.other.coarse == 0).sum().item<int64_t>(), 0) << "the second case no longer tests the ReLU";
}

TEST(GradCam, FrozenParametersUnderNoGradStillWork) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  auto model = load_resnet18();
  for (auto& p : model->parameters()) p.set_requires_grad(false);  // as a model prepared for inference
  torch::NoGradGuard caller_has_no_grad;
  expect_matches(report::grad_cam(*model, ref.x), ref.predicted, "frozen, under NoGradGuard");
  for (const auto& p : model->named_parameters()) {
    EXPECT_FALSE(p.value().requires_grad()) << p.key();
    EXPECT_FALSE(p.value().grad().defined()) << p.key();
  }
}

TEST(GradCam, EvalModeInsideModeAndGradsUntouchedAfter) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  auto model = load_resnet18();
  model->train();  // training-mode BatchNorm would use the batch's statistics and differ
  expect_matches(report::grad_cam(*model, ref.x, kOther), ref.other, "from train mode");
  for (const auto& m : model->modules()) EXPECT_TRUE(m->is_training()) << m->name();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(p.value().requires_grad()) << p.key();
    EXPECT_FALSE(p.value().grad().defined()) << p.key() << ": grad_cam accumulated into .grad";
  }
}

void expect_usage_error(models::Model& model, const torch::Tensor& x, int64_t target, const std::string& stage,
                        const std::vector<std::string>& needles) {
  try {
    report::grad_cam(model, x, target, stage);
    ADD_FAILURE() << "no UsageError for stage '" << stage << "', target " << target;
  } catch (const UsageError& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

TEST(GradCam, BadStagesAndTargetsSayWhatExists) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  auto model = load_resnet18();
  const std::string maps = "conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4";
  expect_usage_error(*model, ref.x, -1, "layer9", {"'layer9'", maps});
  expect_usage_error(*model, ref.x, -1, "avgpool", {"'avgpool'", "[1, 512]", maps});
  expect_usage_error(*model, ref.x, 1000, "", {"1000", "classes"});
  expect_usage_error(*model, torch::zeros({2, 3, 64, 64}), -1, "", {"[2, 3, 64, 64]"});
  model->train();
  expect_usage_error(*model, ref.x, -1, "fc", {"'fc'"});
  EXPECT_TRUE(model->is_training()) << "the mode is restored after an error too";
  EXPECT_EQ(report::grad_cam(*model, ref.x, -1, "layer3").coarse.sizes(), (std::vector<int64_t>{4, 4}));
}

TEST(GradCam, TransferModelUsesTheBackbonesLastConvStage) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  models::ModelOptions o;  // as train/run_data.cpp fills them
  o.num_classes = 3;
  o.height = o.width = 64;
  o.head = models::HeadOptions{};
  torch::manual_seed(0);
  auto model = std::make_shared<models::TransferModel>(load_resnet18(/*include_top=*/false), o);

  // Behind GAP + one Linear, Grad-CAM is CAM (Zhou et al. 2016): alpha_k = W[c, k] / (h * w).
  model->eval();
  torch::Tensor logits, map;
  {
    torch::NoGradGuard no_grad;
    logits = model->forward(ref.x);
    map = models::extract_features(*model, ref.x, {"backbone.layer4"}).at("backbone.layer4");  // [1, 512, 2, 2]
  }
  const int64_t c = logits.argmax(1).item<int64_t>();
  const auto w = model->head_parameters().at(0);  // [3, 512]
  const auto expected = torch::relu((w[c].view({1, 512, 1, 1}) * map).sum(1))[0] / 4;

  model->set_trainable_from(model->stages().size());  // feature extraction: backbone frozen and in eval
  model->train();
  const auto cam = report::grad_cam(*model, ref.x);
  EXPECT_EQ(cam.stage, "backbone.layer4");
  EXPECT_EQ(cam.target, c);
  EXPECT_NEAR(cam.score, logits[0][c].item<double>(), kTol);
  EXPECT_TRUE(torch::allclose(cam.coarse, expected.detach(), kTol, kTol))
      << "max difference " << max_diff(cam.coarse, expected.detach()) << "\n" << cam.coarse << "\n" << expected;
  EXPECT_EQ(cam.heatmap.sizes(), (std::vector<int64_t>{64, 64}));
  EXPECT_TRUE(model->is_training());
  EXPECT_FALSE(model->backbone().is_training()) << "a frozen backbone stays in eval mode";
  for (const auto& p : model->backbone().parameters()) EXPECT_FALSE(p.requires_grad());
  for (const auto& p : model->head_parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(GradCam, OverlayIsJetOverTheImage) {
  const auto& ref = reference();
  ASSERT_TRUE(ref.error.empty()) << ref.error;
  const auto& heat = ref.other.heat;  // has zeros and a peak of 1
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(128, 128, 128));
  const cv::Mat shown = report::overlay(image, heat);
  ASSERT_EQ(shown.type(), CV_8UC3);
  ASSERT_EQ(shown.size(), image.size());
  const int64_t hot = heat.argmax().item<int64_t>(), cold = heat.argmin().item<int64_t>();
  const auto hot_px = shown.at<cv::Vec3b>(int(hot / 64), int(hot % 64));
  const auto cold_px = shown.at<cv::Vec3b>(int(cold / 64), int(cold % 64));
  const auto grey = image.at<cv::Vec3b>(0, 0);
  EXPECT_GT(cv::norm(cv::Vec3d(hot_px) - cv::Vec3d(grey), cv::NORM_L1), 30) << hot_px << " vs " << grey;
  EXPECT_GT(hot_px[2], hot_px[0]) << "high is red in jet: " << hot_px;
  EXPECT_GT(cold_px[0], cold_px[2]) << "low is blue in jet: " << cold_px;

  // A grey image, a coarse map of another size: resized to the image, three channels back.
  const cv::Mat small = report::overlay(cv::Mat(32, 48, CV_8UC1, cv::Scalar(50)), ref.other.coarse, 0.5);
  EXPECT_EQ(small.type(), CV_8UC3);
  EXPECT_EQ(small.size(), cv::Size(48, 32));
  EXPECT_THROW(report::overlay(image, heat, 1.5), UsageError);
}

}  // namespace
}  // namespace tlab::test
