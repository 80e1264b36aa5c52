#include "tlab/export/readme.h"

#include <sstream>

#include "tlab/export/bundle.h"

namespace tlab::exporting {
namespace {

std::string floats(const std::vector<float>& v, float fallback, int channels) {
  std::ostringstream s;
  s << "[";
  for (int c = 0; c < channels; ++c) s << (c ? ", " : "") << (v.empty() ? fallback : v[size_t(c)]);
  s << "]";
  return s.str();
}

// The preprocessing in words, in the order it is applied.
std::string preprocessing(const transforms::InputSpec& in) {
  std::ostringstream s;
  s << "1. Decode to " << (in.channels == 1 ? "grey" : in.bgr ? "B, G, R channel order" : "RGB") << ", 8 bits per channel.\n";
  if (in.resize > 0)
    s << "2. Resize the shorter side to " << in.resize << " (" << in.interpolation << "), then centre-crop " << in.height
      << " x " << in.width << " (torchvision `Resize(" << in.resize << ")` + `CenterCrop(" << in.height << ")`).\n";
  else
    s << "2. Resize to exactly " << in.height << " x " << in.width << " (" << in.interpolation << ").\n";
  s << "3. To float, channels first, times " << in.scale << "; subtract mean " << floats(in.mean, 0, in.channels)
    << ", divide by std " << floats(in.std, 1, in.channels) << ".\n";
  s << "4. Stack images as [N, " << in.channels << ", " << in.height << ", " << in.width << "] float32.\n";
  return s.str();
}

}  // namespace

std::string bundle_readme(const infer::LoadedModel& m, Format format, int opset) {
  const auto& in = m.input;
  std::ostringstream s;
  s << "# " << m.architecture << ", exported by TransferLab " << TLAB_VERSION << "\n\n"
    << "From `" << m.source << "`: " << m.classes.size() << " classes (`classes.txt`, in output order). "
    << "Input `[N, " << in.channels << ", " << in.height << ", " << in.width
    << "]` float32, any N; output: logits `[N, " << m.classes.size() << "]` (softmax gives probabilities).\n\n";
  if (m.temperature != 1.0)
    s << "Calibrated probabilities: softmax(logits / " << m.temperature
      << ") (temperature scaling fitted on the run's validation split; `temperature` in `preprocess.json`).\n\n";
  s
    << "## Preprocessing (`preprocess.json`)\n\n" << preprocessing(in) << "\n";
  if (format == Format::kTorchScript) {
    s << "## Load `model.pt` (TorchScript, traced by LibTorch's C++ tracer)\n\n"
      << "Python:\n\n```python\nimport torch\nfiles = {\"classes.txt\": \"\", \"preprocess.json\": \"\"}\n"
      << "model = torch.jit.load(\"model.pt\", map_location=\"cpu\", _extra_files=files).eval()\n"
      << "classes = files[\"classes.txt\"].decode().splitlines()\n"
      << "with torch.no_grad():\n    probabilities = model(batch).softmax(1)\n```\n\n"
      << "C++ (LibTorch):\n\n```cpp\nauto model = torch::jit::load(\"model.pt\");\nmodel.eval();\n"
      << "torch::Tensor logits = model.forward({batch}).toTensor();\n```\n\n"
      << "TransferLab: `tlab predict --model torchscript:model.pt IMAGE...` or `tlab serve --bundle .` "
      << "(both read the preprocessing and classes stored with the file).\n";
  } else {
    s << "## Load `model.onnx` (ONNX opset " << opset << ", input `input`, output `logits`, dynamic batch axis)\n\n"
      << "ONNX Runtime (Python):\n\n```python\nimport onnxruntime as ort\n"
      << "session = ort.InferenceSession(\"model.onnx\")\n"
      << "logits = session.run([\"logits\"], {\"input\": batch.numpy()})[0]\n```\n\n"
      << "ONNX Runtime (Node.js): `new ort.Tensor(\"float32\", data, [n, " << in.channels << ", " << in.height << ", "
      << in.width << "])`, `session.run({input: tensor})`.\n\n"
      << "OpenCV DNN (C++):\n\n```cpp\ncv::dnn::Net net = cv::dnn::readNetFromONNX(\"model.onnx\");\n"
      << "net.setInput(blob);  // the preprocessed [N, C, H, W] float32 blob\ncv::Mat logits = net.forward();\n```\n\n"
      << "The class names and preprocessing are also in the model's metadata (`classes`, `preprocess`).\n";
  }
  return s.str();
}

}  // namespace tlab::exporting
