// tlab export: the TorchScript and ONNX files compute what the model computes. TorchScript reloaded
// in C++ within 1e-5; ONNX run in ONNX Runtime (the pinned npm package, from node) within 1e-4,
// batch 1 and 3. More families and the Python / OpenCV DNN checks are issue 11's open part.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cstdlib>
#include <fstream>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/export/bundle.h"
#include "tlab/models/model.h"

namespace tlab {
namespace {

infer::LoadedModel small_model(const std::string& arch, int side) {
  torch::manual_seed(7);
  models::ModelOptions o;
  o.num_classes = 5;
  o.height = o.width = side;
  infer::LoadedModel m;
  m.model = models::create_model(arch, o);
  m.model->eval();
  m.architecture = arch;
  m.input = transforms::imagenet_spec(0, side);
  m.input.resize = 0;
  m.classes = {"a", "b", "c", "d", "e"};
  m.source = "test";
  return m;
}

void write_floats(const std::string& path, const torch::Tensor& t) {
  auto c = t.contiguous().to(torch::kFloat);
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(c.data_ptr()), c.numel() * 4);
}

TEST(Export, TorchScriptAndOnnxMatchTheModel) {
  test::TempDir dir;  // removed after the test
  for (const auto& arch : {std::string("simple_cnn"), std::string("mobilenet_v2")}) {
    auto m = small_model(arch, 64);
    const auto x = torch::randn({3, 3, 64, 64});
    const auto expected = m.model->forward(x).detach();
    exporting::BundleOptions ts{exporting::Format::kTorchScript, dir.str(arch + "_ts")};
    const auto b = exporting::export_bundle(m, ts);
    auto loaded = torch::jit::load(b.model_file);
    const auto got = loaded.forward({x}).toTensor();
    EXPECT_LT((got - expected).abs().max().item<float>(), 1e-5) << arch;

    exporting::BundleOptions onnx{exporting::Format::kOnnx, dir.str(arch + "_onnx")};
    const auto o = exporting::export_bundle(m, onnx);
    write_floats(dir.str(arch + "_x.bin"), x);
    write_floats(dir.str(arch + "_y.bin"), expected);
    const std::string cmd = "node " TLAB_SOURCE_DIR "/tests/js/onnx_check.js " + o.model_file + " " +
                            dir.str(arch + "_x.bin") + " " + dir.str(arch + "_y.bin") + " 3 64 64 5";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
}

TEST(Export, NamesTheArchitectureItCannotTrace) {
  infer::LoadedModel m = small_model("simple_cnn", 32);
  m.architecture = "torchscript:/x/model.pt";
  try {
    exporting::trace_model(m);
    FAIL() << "expected an error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("torchscript:/x/model.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlab
