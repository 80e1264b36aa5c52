// tlab export refuses what it cannot export, naming it, and writes nothing then: a TorchScript
// backbone, an operation without an ONNX rule, an adaptive pool without an exact ONNX form, a bad
// --format or --opset, an --out that cannot be created. (The families' parity: families_test.cpp.)
#include <gtest/gtest.h>

#include <filesystem>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/export/bundle.h"
#include "tlab/models/model.h"

namespace tlab {
namespace {

namespace fs = std::filesystem;

// A model with one layer the ONNX rules lack (erf, in a layer named "odd") or an adaptive pool
// from 8x8 to 3x3 (windows that do not tile).
class OddModel : public models::Model {
 public:
  explicit OddModel(bool erf) : erf_(erf) {
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)));
    pool_ = register_module("pool", torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(3)));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = conv_(x);
    if (erf_) x = torch::erf(x);
    return pool_(x).flatten(1).narrow(1, 0, 2);
  }
  torch::Tensor forward_observed(torch::Tensor x, const models::LayerObserver&) override { return forward(x); }
  int64_t feature_dim() const override { return 2; }

 private:
  bool erf_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::AdaptiveAvgPool2d pool_{nullptr};
};

infer::LoadedModel loaded(models::ModelPtr model, const std::string& arch, int side) {
  infer::LoadedModel m;
  m.model = std::move(model);
  m.model->eval();
  m.architecture = arch;
  m.input = transforms::imagenet_spec(0, side);
  m.input.resize = 0;
  m.classes = {"a", "b"};
  m.source = "test";
  return m;
}

// The message of the exception export_bundle throws (of type E); "" when it throws none.
template <typename E>
std::string export_error(const infer::LoadedModel& m, const exporting::BundleOptions& o) {
  try {
    exporting::export_bundle(m, o);
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

TEST(Export, NamesTheArchitectureItCannotTrace) {
  infer::LoadedModel m = loaded(std::make_shared<OddModel>(false), "simple_cnn", 8);
  m.architecture = "torchscript:/x/model.pt";
  try {
    exporting::trace_model(m);
    FAIL() << "expected an error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("torchscript:/x/model.pt"), std::string::npos) << e.what();
  }
}

TEST(Export, AnOperationWithoutARuleIsNamedWithItsLayerAndNothingIsWritten) {
  test::TempDir dir;
  const auto m = loaded(std::make_shared<OddModel>(true), "odd_erf", 8);
  const std::string out = dir.str("bundle");
  const std::string e = export_error<UsageError>(m, {exporting::Format::kOnnx, out});
  EXPECT_NE(e.find("aten::erf"), std::string::npos) << e;
  EXPECT_NE(e.find("odd_erf"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(out)) << "a failed export must leave nothing";
  // TorchScript has no such limit: the same model exports there.
  EXPECT_NO_THROW(exporting::export_bundle(m, {exporting::Format::kTorchScript, out}));
  EXPECT_TRUE(fs::exists(out + "/model.pt"));
}

TEST(Export, AnAdaptivePoolWithoutAnExactOnnxFormSaysWhichSizesWouldDo) {
  test::TempDir dir;
  const auto m = loaded(std::make_shared<OddModel>(false), "odd_pool", 8);
  const std::string e = export_error<UsageError>(m, {exporting::Format::kOnnx, dir.str("bundle")});
  EXPECT_NE(e.find("adaptive"), std::string::npos) << e;
  EXPECT_NE(e.find("8x8 to 3x3"), std::string::npos) << e;
  EXPECT_NE(e.find("pool"), std::string::npos) << e;  // the layer
  EXPECT_FALSE(fs::exists(dir.str("bundle")));
}

TEST(Export, BadFormatAndOpsetAreUsageErrorsNamingTheFlag) {
  test::TempDir dir;
  try {
    exporting::parse_format("tflite");
    FAIL() << "expected an error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--format"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tflite"), std::string::npos) << e.what();
  }
  const auto m = loaded(std::make_shared<OddModel>(false), "odd", 9);
  for (int opset : {12, 18}) {
    const std::string e = export_error<UsageError>(m, {exporting::Format::kOnnx, dir.str("b"), opset});
    EXPECT_NE(e.find("--opset"), std::string::npos) << opset << ": " << e;
    EXPECT_NE(e.find(std::to_string(opset)), std::string::npos) << e;
  }
  EXPECT_FALSE(fs::exists(dir.str("b")));
}

TEST(Export, AnOutThatCannotBeCreatedIsAnIoErrorNamingIt) {
  test::TempDir dir;
  test::write_bytes(dir.str("file.txt"), "not a directory");
  const auto m = loaded(std::make_shared<OddModel>(false), "odd", 9);  // 9x9 -> 3x3 tiles: exportable
  const std::string out = dir.str("file.txt/bundle");
  for (auto format : {exporting::Format::kTorchScript, exporting::Format::kOnnx}) {
    const std::string e = export_error<IoError>(m, {format, out});
    EXPECT_NE(e.find(out), std::string::npos) << e;
  }
  EXPECT_EQ(test::read_text(dir.str("file.txt")), "not a directory");
}

}  // namespace
}  // namespace tlab
