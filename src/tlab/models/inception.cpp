#include "tlab/models/inception.h"

#include <cmath>

#include "tlab/core/error.h"

namespace tlab::models {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace detail {
namespace {

// Shorthand for the convolution shapes below: Conv2dOptions(in, out, kernel).
nn::Conv2dOptions conv(int64_t in, int64_t out, torch::ExpandingArray<2> kernel) {
  return nn::Conv2dOptions(in, out, kernel);
}

// F.avg_pool2d(x, kernel_size=3, stride=1, padding=1) (count_include_pad=True, as PyTorch's default).
torch::Tensor avg_pool_3x3(const torch::Tensor& x) {
  return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1));
}

// F.max_pool2d(x, kernel_size=3, stride=2).
torch::Tensor max_pool_3x3_s2(const torch::Tensor& x) {
  return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
}

// torch.nn.init.trunc_normal_(w, mean=0, std=std, a, b): the same distribution, drawn by
// rejection (normal_, then redraw whatever falls outside [a, b]) rather than PyTorch's inverse-CDF
// method, whose erfinv_ costs ~5 s for Inception's 27M weights on one core. Meant for bounds many
// standard deviations wide (torchvision's +-2 with std <= 0.1: +-20 std), where redraws are rare.
void trunc_normal_(torch::Tensor w, double std, double a, double b) {
  w.normal_(0.0, std);
  for (;;) {
    const auto outside = (w < a) | (w > b);
    const int64_t n = outside.sum().item<int64_t>();
    if (n == 0) return;
    w.masked_scatter_(outside, torch::empty({n}, w.options()).normal_(0.0, std));
  }
}

}  // namespace

BasicConv2dImpl::BasicConv2dImpl(nn::Conv2dOptions options) {
  const int64_t out = options.out_channels();
  conv = register_module("conv", nn::Conv2d(options.bias(false)));
  bn = register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(0.001)));
}

torch::Tensor BasicConv2dImpl::forward(torch::Tensor x) {
  auto y = bn(conv(x));
  return torch::relu_(y);  // F.relu(x, inplace=True)
}

InceptionAImpl::InceptionAImpl(int64_t in, int64_t pool_features) {
  branch1x1_ = register_module("branch1x1", BasicConv2d(conv(in, 64, 1)));
  branch5x5_1_ = register_module("branch5x5_1", BasicConv2d(conv(in, 48, 1)));
  branch5x5_2_ = register_module("branch5x5_2", BasicConv2d(conv(48, 64, 5).padding(2)));
  branch3x3dbl_1_ = register_module("branch3x3dbl_1", BasicConv2d(conv(in, 64, 1)));
  branch3x3dbl_2_ = register_module("branch3x3dbl_2", BasicConv2d(conv(64, 96, 3).padding(1)));
  branch3x3dbl_3_ = register_module("branch3x3dbl_3", BasicConv2d(conv(96, 96, 3).padding(1)));
  branch_pool_ = register_module("branch_pool", BasicConv2d(conv(in, pool_features, 1)));
}

torch::Tensor InceptionAImpl::forward(torch::Tensor x) {
  auto b1 = branch1x1_(x);                                          // [N, 64, H, W]
  auto b5 = branch5x5_2_(branch5x5_1_(x));                          // [N, 64, H, W]
  auto b3 = branch3x3dbl_3_(branch3x3dbl_2_(branch3x3dbl_1_(x)));  // [N, 96, H, W]
  auto bp = branch_pool_(avg_pool_3x3(x));                          // [N, pool_features, H, W]
  return torch::cat({b1, b5, b3, bp}, 1);
}

InceptionBImpl::InceptionBImpl(int64_t in) {
  branch3x3_ = register_module("branch3x3", BasicConv2d(conv(in, 384, 3).stride(2)));
  branch3x3dbl_1_ = register_module("branch3x3dbl_1", BasicConv2d(conv(in, 64, 1)));
  branch3x3dbl_2_ = register_module("branch3x3dbl_2", BasicConv2d(conv(64, 96, 3).padding(1)));
  branch3x3dbl_3_ = register_module("branch3x3dbl_3", BasicConv2d(conv(96, 96, 3).stride(2)));
}

torch::Tensor InceptionBImpl::forward(torch::Tensor x) {
  auto b3 = branch3x3_(x);                                          // [N, 384, (H-3)/2+1, ..]
  auto bd = branch3x3dbl_3_(branch3x3dbl_2_(branch3x3dbl_1_(x)));  // [N, 96, (H-3)/2+1, ..]
  auto bp = max_pool_3x3_s2(x);                                     // [N, in, (H-3)/2+1, ..]
  return torch::cat({b3, bd, bp}, 1);
}

InceptionCImpl::InceptionCImpl(int64_t in, int64_t c7) {
  branch1x1_ = register_module("branch1x1", BasicConv2d(conv(in, 192, 1)));
  branch7x7_1_ = register_module("branch7x7_1", BasicConv2d(conv(in, c7, 1)));
  branch7x7_2_ = register_module("branch7x7_2", BasicConv2d(conv(c7, c7, {1, 7}).padding({0, 3})));
  branch7x7_3_ = register_module("branch7x7_3", BasicConv2d(conv(c7, 192, {7, 1}).padding({3, 0})));
  branch7x7dbl_1_ = register_module("branch7x7dbl_1", BasicConv2d(conv(in, c7, 1)));
  branch7x7dbl_2_ = register_module("branch7x7dbl_2", BasicConv2d(conv(c7, c7, {7, 1}).padding({3, 0})));
  branch7x7dbl_3_ = register_module("branch7x7dbl_3", BasicConv2d(conv(c7, c7, {1, 7}).padding({0, 3})));
  branch7x7dbl_4_ = register_module("branch7x7dbl_4", BasicConv2d(conv(c7, c7, {7, 1}).padding({3, 0})));
  branch7x7dbl_5_ = register_module("branch7x7dbl_5", BasicConv2d(conv(c7, 192, {1, 7}).padding({0, 3})));
  branch_pool_ = register_module("branch_pool", BasicConv2d(conv(in, 192, 1)));
}

torch::Tensor InceptionCImpl::forward(torch::Tensor x) {
  auto b1 = branch1x1_(x);                                   // [N, 192, H, W]
  auto b7 = branch7x7_3_(branch7x7_2_(branch7x7_1_(x)));     // [N, 192, H, W]
  auto bd = branch7x7dbl_5_(branch7x7dbl_4_(branch7x7dbl_3_(branch7x7dbl_2_(branch7x7dbl_1_(x)))));  // [N, 192, H, W]
  auto bp = branch_pool_(avg_pool_3x3(x));                   // [N, 192, H, W]
  return torch::cat({b1, b7, bd, bp}, 1);
}

InceptionDImpl::InceptionDImpl(int64_t in) {
  branch3x3_1_ = register_module("branch3x3_1", BasicConv2d(conv(in, 192, 1)));
  branch3x3_2_ = register_module("branch3x3_2", BasicConv2d(conv(192, 320, 3).stride(2)));
  branch7x7x3_1_ = register_module("branch7x7x3_1", BasicConv2d(conv(in, 192, 1)));
  branch7x7x3_2_ = register_module("branch7x7x3_2", BasicConv2d(conv(192, 192, {1, 7}).padding({0, 3})));
  branch7x7x3_3_ = register_module("branch7x7x3_3", BasicConv2d(conv(192, 192, {7, 1}).padding({3, 0})));
  branch7x7x3_4_ = register_module("branch7x7x3_4", BasicConv2d(conv(192, 192, 3).stride(2)));
}

torch::Tensor InceptionDImpl::forward(torch::Tensor x) {
  auto b3 = branch3x3_2_(branch3x3_1_(x));                                        // [N, 320, (H-3)/2+1, ..]
  auto b7 = branch7x7x3_4_(branch7x7x3_3_(branch7x7x3_2_(branch7x7x3_1_(x))));  // [N, 192, (H-3)/2+1, ..]
  auto bp = max_pool_3x3_s2(x);                                                   // [N, in, (H-3)/2+1, ..]
  return torch::cat({b3, b7, bp}, 1);
}

InceptionEImpl::InceptionEImpl(int64_t in) {
  branch1x1_ = register_module("branch1x1", BasicConv2d(conv(in, 320, 1)));
  branch3x3_1_ = register_module("branch3x3_1", BasicConv2d(conv(in, 384, 1)));
  branch3x3_2a_ = register_module("branch3x3_2a", BasicConv2d(conv(384, 384, {1, 3}).padding({0, 1})));
  branch3x3_2b_ = register_module("branch3x3_2b", BasicConv2d(conv(384, 384, {3, 1}).padding({1, 0})));
  branch3x3dbl_1_ = register_module("branch3x3dbl_1", BasicConv2d(conv(in, 448, 1)));
  branch3x3dbl_2_ = register_module("branch3x3dbl_2", BasicConv2d(conv(448, 384, 3).padding(1)));
  branch3x3dbl_3a_ = register_module("branch3x3dbl_3a", BasicConv2d(conv(384, 384, {1, 3}).padding({0, 1})));
  branch3x3dbl_3b_ = register_module("branch3x3dbl_3b", BasicConv2d(conv(384, 384, {3, 1}).padding({1, 0})));
  branch_pool_ = register_module("branch_pool", BasicConv2d(conv(in, 192, 1)));
}

torch::Tensor InceptionEImpl::forward(torch::Tensor x) {
  auto b1 = branch1x1_(x);  // [N, 320, H, W]
  auto b3 = branch3x3_1_(x);
  b3 = torch::cat({branch3x3_2a_(b3), branch3x3_2b_(b3)}, 1);  // [N, 768, H, W]
  auto bd = branch3x3dbl_2_(branch3x3dbl_1_(x));
  bd = torch::cat({branch3x3dbl_3a_(bd), branch3x3dbl_3b_(bd)}, 1);  // [N, 768, H, W]
  auto bp = branch_pool_(avg_pool_3x3(x));                            // [N, 192, H, W]
  return torch::cat({b1, b3, bd, bp}, 1);
}

InceptionAuxImpl::InceptionAuxImpl(int64_t in, int64_t num_classes) {
  conv0_ = register_module("conv0", BasicConv2d(conv(in, 128, 1)));
  conv1_ = register_module("conv1", BasicConv2d(conv(128, 768, 5)));
  if (num_classes > 0) fc_ = register_module("fc", nn::Linear(768, num_classes));
}

torch::Tensor InceptionAuxImpl::forward(torch::Tensor x) {
  TLAB_CHECK(x.size(2) >= 17 && x.size(3) >= 17,
             "inception_v3: the auxiliary head (AuxLogits) needs Mixed_6e maps of at least 17x17, i.e. inputs of "
             "at least 299x299; got maps of ",
             x.size(2), "x", x.size(3));
  x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(5).stride(3));  // [N, 768, 17, 17] -> [N, 768, 5, 5]
  x = conv0_(x);                                                // -> [N, 128, 5, 5]
  x = conv1_(x);                                                // -> [N, 768, 1, 1]
  x = torch::flatten(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)), 1);  // -> [N, 768]
  return fc_ ? fc_(x) : x;                                      // -> [N, num_classes]
}

}  // namespace detail

InceptionV3::InceptionV3(const ModelOptions& o, const InceptionOptions& inception)
    : transform_input_(inception.transform_input) {
  TLAB_CHECK(o.height >= 75 && o.width >= 75, "inception_v3: inputs must be at least 75x75 pixels, got ", o.height,
             "x", o.width);
  TLAB_CHECK(!inception.transform_input || o.in_channels == 3,
             "inception_v3: transform_input re-normalises RGB and needs 3 input channels, got ", o.in_channels);
  TLAB_CHECK(inception.dropout >= 0 && inception.dropout <= 1, "inception_v3: dropout must be in [0, 1], got ",
             inception.dropout);
  using detail::BasicConv2d;
  using detail::conv;
  // Registered in torchvision's order, so named_parameters() lists tensors as its state_dict does.
  Conv2d_1a_3x3_ = register_module("Conv2d_1a_3x3", BasicConv2d(conv(o.in_channels, 32, 3).stride(2)));
  Conv2d_2a_3x3_ = register_module("Conv2d_2a_3x3", BasicConv2d(conv(32, 32, 3)));
  Conv2d_2b_3x3_ = register_module("Conv2d_2b_3x3", BasicConv2d(conv(32, 64, 3).padding(1)));
  maxpool1_ = register_module("maxpool1", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2)));
  Conv2d_3b_1x1_ = register_module("Conv2d_3b_1x1", BasicConv2d(conv(64, 80, 1)));
  Conv2d_4a_3x3_ = register_module("Conv2d_4a_3x3", BasicConv2d(conv(80, 192, 3)));
  maxpool2_ = register_module("maxpool2", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2)));
  Mixed_5b_ = register_module("Mixed_5b", detail::InceptionA(192, 32));
  Mixed_5c_ = register_module("Mixed_5c", detail::InceptionA(256, 64));
  Mixed_5d_ = register_module("Mixed_5d", detail::InceptionA(288, 64));
  Mixed_6a_ = register_module("Mixed_6a", detail::InceptionB(288));
  Mixed_6b_ = register_module("Mixed_6b", detail::InceptionC(768, 128));
  Mixed_6c_ = register_module("Mixed_6c", detail::InceptionC(768, 160));
  Mixed_6d_ = register_module("Mixed_6d", detail::InceptionC(768, 160));
  Mixed_6e_ = register_module("Mixed_6e", detail::InceptionC(768, 192));
  if (inception.aux_logits)
    AuxLogits_ = register_module("AuxLogits", detail::InceptionAux(768, o.include_top ? o.num_classes : 0));
  Mixed_7a_ = register_module("Mixed_7a", detail::InceptionD(768));
  Mixed_7b_ = register_module("Mixed_7b", detail::InceptionE(1280));
  Mixed_7c_ = register_module("Mixed_7c", detail::InceptionE(2048));
  avgpool_ = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
  if (o.include_top) {
    dropout_ = register_module("dropout", nn::Dropout(nn::DropoutOptions(inception.dropout)));
    fc_ = register_module("fc", nn::Linear(2048, o.num_classes));
  }

  // torchvision's initialisation (init_weights=True): every Conv2d and Linear weight
  // trunc_normal_(std 0.1, a=-2, b=2), except AuxLogits.fc (std 0.001). torchvision also sets
  // stddev 0.01 on AuxLogits.conv1, but on the BasicConv2d, not its Conv2d, so the loop never sees
  // it and that conv gets 0.1 like the others: we do the same. BatchNorm weight 1, bias 0; Linear
  // biases keep their default U(+-1/sqrt(fan_in)).
  torch::NoGradGuard no_grad;
  for (auto& m : named_modules("", /*include_self=*/false)) {
    if (auto* c = m.value()->as<nn::Conv2d>()) {
      detail::trunc_normal_(c->weight, 0.1, -2, 2);
    } else if (auto* l = m.value()->as<nn::Linear>()) {
      detail::trunc_normal_(l->weight, m.key() == "AuxLogits.fc" ? 0.001 : 0.1, -2, 2);
    } else if (auto* bn = m.value()->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
}

torch::Tensor InceptionV3::run(torch::Tensor x, const LayerObserver* observe, Aux aux, torch::Tensor* aux_out) {
  auto stage = [&](const char* name, const nn::Module& m, const torch::Tensor& y) {
    if (observe) (*observe)(name, m, y);
  };
  if (transform_input_) {
    // torchvision's _transform_input: undo ImageNet mean/std normalisation, redo it with 0.5/0.5.
    x = torch::cat({x.select(1, 0).unsqueeze(1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5,
                    x.select(1, 1).unsqueeze(1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5,
                    x.select(1, 2).unsqueeze(1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5},
                   1);
  }
  // Shapes for [N, C, 299, 299].
  x = Conv2d_1a_3x3_(x);  // Conv2d_1a_3x3 -> [N, 32, 149, 149]
  stage("Conv2d_1a_3x3", *Conv2d_1a_3x3_, x);
  x = Conv2d_2a_3x3_(x);  // Conv2d_2a_3x3 -> [N, 32, 147, 147]
  stage("Conv2d_2a_3x3", *Conv2d_2a_3x3_, x);
  x = Conv2d_2b_3x3_(x);  // Conv2d_2b_3x3 -> [N, 64, 147, 147]
  stage("Conv2d_2b_3x3", *Conv2d_2b_3x3_, x);
  x = maxpool1_(x);  // maxpool1 -> [N, 64, 73, 73]
  stage("maxpool1", *maxpool1_, x);
  x = Conv2d_3b_1x1_(x);  // Conv2d_3b_1x1 -> [N, 80, 73, 73]
  stage("Conv2d_3b_1x1", *Conv2d_3b_1x1_, x);
  x = Conv2d_4a_3x3_(x);  // Conv2d_4a_3x3 -> [N, 192, 71, 71]
  stage("Conv2d_4a_3x3", *Conv2d_4a_3x3_, x);
  x = maxpool2_(x);  // maxpool2 -> [N, 192, 35, 35]
  stage("maxpool2", *maxpool2_, x);
  x = Mixed_5b_(x);  // Mixed_5b -> [N, 256, 35, 35]
  stage("Mixed_5b", *Mixed_5b_, x);
  x = Mixed_5c_(x);  // Mixed_5c -> [N, 288, 35, 35]
  stage("Mixed_5c", *Mixed_5c_, x);
  x = Mixed_5d_(x);  // Mixed_5d -> [N, 288, 35, 35]
  stage("Mixed_5d", *Mixed_5d_, x);
  x = Mixed_6a_(x);  // Mixed_6a -> [N, 768, 17, 17]
  stage("Mixed_6a", *Mixed_6a_, x);
  x = Mixed_6b_(x);  // Mixed_6b -> [N, 768, 17, 17]
  stage("Mixed_6b", *Mixed_6b_, x);
  x = Mixed_6c_(x);  // Mixed_6c -> [N, 768, 17, 17]
  stage("Mixed_6c", *Mixed_6c_, x);
  x = Mixed_6d_(x);  // Mixed_6d -> [N, 768, 17, 17]
  stage("Mixed_6d", *Mixed_6d_, x);
  x = Mixed_6e_(x);  // Mixed_6e -> [N, 768, 17, 17]
  stage("Mixed_6e", *Mixed_6e_, x);
  if (AuxLogits_) {
    // The side branch: in kIfFits mode (observed forward) only when it can run, i.e. a large enough
    // map and, in training mode, more than one sample for its 1x1 BatchNorm.
    const bool fits = x.size(2) >= 17 && x.size(3) >= 17 && (!is_training() || x.size(0) > 1);
    if (aux == Aux::kRequire || (aux == Aux::kIfFits && fits)) {
      auto a = AuxLogits_(x);  // AuxLogits -> [N, num_classes]
      stage("AuxLogits", *AuxLogits_, a);
      if (aux_out) *aux_out = a;
    }
  }
  x = Mixed_7a_(x);  // Mixed_7a -> [N, 1280, 8, 8]
  stage("Mixed_7a", *Mixed_7a_, x);
  x = Mixed_7b_(x);  // Mixed_7b -> [N, 2048, 8, 8]
  stage("Mixed_7b", *Mixed_7b_, x);
  x = Mixed_7c_(x);  // Mixed_7c -> [N, 2048, 8, 8]
  stage("Mixed_7c", *Mixed_7c_, x);
  x = torch::flatten(avgpool_(x), 1);  // avgpool + flatten -> [N, 2048]
  stage("avgpool", *avgpool_, x);
  if (!fc_) return x;
  x = dropout_(x);  // dropout -> [N, 2048] (torchvision drops before flattening: the same elements)
  stage("dropout", *dropout_, x);
  x = fc_(x);  // fc -> [N, num_classes]
  stage("fc", *fc_, x);
  return x;
}

torch::Tensor InceptionV3::forward(torch::Tensor x) { return run(std::move(x), nullptr, Aux::kSkip, nullptr); }

InceptionOutputs InceptionV3::forward_with_aux(torch::Tensor x) {
  InceptionOutputs out;
  out.logits = run(std::move(x), nullptr, Aux::kRequire, &out.aux_logits);
  return out;
}

torch::Tensor InceptionV3::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  return run(std::move(x), &observe, Aux::kIfFits, nullptr);
}

std::shared_ptr<InceptionV3> inception_v3(const ModelOptions& o, const InceptionOptions& inception) {
  return std::make_shared<InceptionV3>(o, inception);
}

void register_inception(std::vector<ModelInfo>& registry) {
  registry.push_back({"inception_v3",
                      "Inception v3 (torchvision Inception3): 299x299 input, auxiliary head, 2048-d features",
                      299, [](const ModelOptions& o) -> ModelPtr { return inception_v3(o); }});
}

}  // namespace tlab::models
