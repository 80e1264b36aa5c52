#include "tlab/data/decode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tlab/core/error.h"

namespace tlab::data {
namespace {

// Bounds-checked reads: every accessor answers false / nullopt instead of reading past the end.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t size() const { return size_; }
  bool has(size_t offset, size_t count) const { return offset <= size_ && count <= size_ - offset; }
  bool equals(size_t offset, const char* text, size_t count) const {
    return has(offset, count) && std::memcmp(data_ + offset, text, count) == 0;
  }
  std::optional<uint32_t> u8(size_t o) const { return has(o, 1) ? std::optional<uint32_t>(data_[o]) : std::nullopt; }
  std::optional<uint32_t> be16(size_t o) const {
    if (!has(o, 2)) return std::nullopt;
    return uint32_t(data_[o]) << 8 | data_[o + 1];
  }
  std::optional<uint32_t> le16(size_t o) const {
    if (!has(o, 2)) return std::nullopt;
    return uint32_t(data_[o + 1]) << 8 | data_[o];
  }
  std::optional<uint32_t> le24(size_t o) const {
    if (!has(o, 3)) return std::nullopt;
    return uint32_t(data_[o + 2]) << 16 | uint32_t(data_[o + 1]) << 8 | data_[o];
  }
  std::optional<uint32_t> be32(size_t o) const {
    if (!has(o, 4)) return std::nullopt;
    return uint32_t(data_[o]) << 24 | uint32_t(data_[o + 1]) << 16 | uint32_t(data_[o + 2]) << 8 | data_[o + 3];
  }
  std::optional<uint32_t> le32(size_t o) const {
    if (!has(o, 4)) return std::nullopt;
    return uint32_t(data_[o + 3]) << 24 | uint32_t(data_[o + 2]) << 16 | uint32_t(data_[o + 1]) << 8 | data_[o];
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

std::optional<ImageHeader> header(ImageFormat format, int64_t width, int64_t height) {
  return ImageHeader{format, width, height};
}

// JPEG: SOI, then marker segments (FF xx, big-endian length that counts itself) up to the frame
// header SOFn: precision (1 byte), height (2), width (2). Fill bytes (FF FF ...) and parameterless
// markers are skipped; stray bytes between segments are skipped the way libjpeg does (to the next FF).
std::optional<ImageHeader> read_jpeg(const Bytes& b) {
  size_t pos = 2;
  while (true) {
    while (b.has(pos, 1) && *b.u8(pos) != 0xFF) ++pos;  // libjpeg: "extraneous bytes before marker"
    while (b.has(pos, 1) && *b.u8(pos) == 0xFF) ++pos;  // the marker's FF and any fill bytes
    const auto marker = b.u8(pos);
    if (!marker) return std::nullopt;
    ++pos;
    const uint32_t m = *marker;
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // stuffed zero, TEM, RSTn, SOI
    if (m == 0xD9 || m == 0xDA) return std::nullopt;  // EOI or start of scan before any frame header
    const auto length = b.be16(pos);
    if (!length || *length < 2) return std::nullopt;
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;  // not DHT, JPG, DAC
    if (sof) {
      const auto height = b.be16(pos + 3), width = b.be16(pos + 5);
      if (*length < 8 || !height || !width) return std::nullopt;
      return header(ImageFormat::kJpeg, *width, *height);
    }
    pos += *length;
  }
}

// PNG: signature, then the IHDR chunk first: length, "IHDR", width, height (big-endian).
std::optional<ImageHeader> read_png(const Bytes& b) {
  if (!b.equals(12, "IHDR", 4)) return std::nullopt;
  const auto width = b.be32(16), height = b.be32(20);
  if (!width || !height) return std::nullopt;
  return header(ImageFormat::kPng, *width, *height);
}

// GIF: "GIF87a" / "GIF89a", then the logical screen width and height (little-endian 16-bit).
std::optional<ImageHeader> read_gif(const Bytes& b) {
  const auto width = b.le16(6), height = b.le16(8);
  if (!width || !height) return std::nullopt;
  return header(ImageFormat::kGif, *width, *height);
}

// BMP: "BM", 12-byte file header, then the DIB header: its size, then width and height (16-bit for
// the OS/2 core header, signed 32-bit otherwise; a negative height means top-down rows).
std::optional<ImageHeader> read_bmp(const Bytes& b) {
  const auto dib = b.le32(14);
  if (!dib) return std::nullopt;
  if (*dib == 12) {
    const auto width = b.le16(18), height = b.le16(20);
    if (!width || !height) return std::nullopt;
    return header(ImageFormat::kBmp, *width, *height);
  }
  if (*dib < 16) return std::nullopt;
  const auto width = b.le32(18), height = b.le32(22);
  if (!width || !height) return std::nullopt;
  const int64_t w = int32_t(*width), h = int32_t(*height);
  if (w < 0) return std::nullopt;
  return header(ImageFormat::kBmp, w, h < 0 ? -h : h);
}

// WebP: "RIFF", size, "WEBP", then the first chunk: "VP8 " (lossy: frame tag, start code 9D 01 2A,
// 14-bit width and height), "VP8L" (lossless: signature 2F, 14-bit width-1 and height-1) or "VP8X"
// (extended: flags, reserved, 24-bit canvas width-1 and height-1).
std::optional<ImageHeader> read_webp(const Bytes& b) {
  constexpr size_t kData = 20;  // after the chunk's fourcc (12) and size (16)
  if (b.equals(12, "VP8 ", 4)) {
    if (!b.equals(kData + 3, "\x9D\x01\x2A", 3)) return std::nullopt;
    const auto width = b.le16(kData + 6), height = b.le16(kData + 8);
    if (!width || !height) return std::nullopt;
    return header(ImageFormat::kWebp, *width & 0x3FFF, *height & 0x3FFF);
  }
  if (b.equals(12, "VP8L", 4)) {
    const auto signature = b.u8(kData);
    const auto bits = b.le32(kData + 1);
    if (!signature || *signature != 0x2F || !bits) return std::nullopt;
    return header(ImageFormat::kWebp, (*bits & 0x3FFF) + 1, ((*bits >> 14) & 0x3FFF) + 1);
  }
  if (b.equals(12, "VP8X", 4)) {
    const auto width = b.le24(kData + 4), height = b.le24(kData + 7);
    if (!width || !height) return std::nullopt;
    return header(ImageFormat::kWebp, int64_t(*width) + 1, int64_t(*height) + 1);
  }
  return std::nullopt;
}

// Classic TIFF ("II*\0" little-endian, "MM\0*" big-endian): the first IFD's ImageWidth (256) and
// ImageLength (257) entries, each SHORT or LONG. BigTIFF is left to OpenCV.
std::optional<ImageHeader> read_tiff(const Bytes& b) {
  const bool le = b.equals(0, "II", 2);
  auto u16 = [&](size_t o) { return le ? b.le16(o) : b.be16(o); };
  auto u32 = [&](size_t o) { return le ? b.le32(o) : b.be32(o); };
  const auto ifd = u32(4);
  if (!ifd) return std::nullopt;
  const auto count = u16(*ifd);
  if (!count) return std::nullopt;
  std::optional<uint32_t> width, height;
  for (uint32_t i = 0; i < *count && !(width && height); ++i) {
    const size_t entry = size_t(*ifd) + 2 + size_t(i) * 12;
    const auto tag = u16(entry), type = u16(entry + 2);
    if (!tag || !type) return std::nullopt;
    if (*tag != 256 && *tag != 257) continue;
    std::optional<uint32_t> value;
    if (*type == 3) value = u16(entry + 8);       // SHORT, left-justified in the value field
    else if (*type == 4) value = u32(entry + 8);  // LONG
    if (!value) return std::nullopt;
    (*tag == 256 ? width : height) = value;
  }
  if (!width || !height) return std::nullopt;
  return header(ImageFormat::kTiff, *width, *height);
}

// PNM: "P1".."P6", whitespace, then width and height as decimal text; '#' starts a comment line.
std::optional<ImageHeader> read_pnm(const Bytes& b) {
  size_t pos = 2;
  auto number = [&]() -> std::optional<int64_t> {
    while (true) {  // whitespace and comments
      const auto c = b.u8(pos);
      if (!c) return std::nullopt;
      if (*c == '#') {
        while (b.has(pos, 1) && *b.u8(pos) != '\n' && *b.u8(pos) != '\r') ++pos;
      } else if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r' || *c == '\v' || *c == '\f') {
        ++pos;
      } else {
        break;
      }
    }
    int64_t v = 0;
    size_t digits = 0;
    for (auto c = b.u8(pos); c && *c >= '0' && *c <= '9'; c = b.u8(++pos)) {
      if (++digits > 12) return std::nullopt;  // no real image is a trillion pixels wide
      v = v * 10 + int64_t(*c - '0');
    }
    if (digits == 0 || !b.has(pos, 1)) return std::nullopt;  // a number ends at a separator, not the data's end
    return v;
  };
  const auto first = b.u8(2);
  if (!first || !(*first == ' ' || *first == '\t' || *first == '\n' || *first == '\r' || *first == '#'))
    return std::nullopt;
  const auto width = number();
  if (!width) return std::nullopt;
  const auto height = number();
  if (!height) return std::nullopt;
  return header(ImageFormat::kPnm, *width, *height);
}

void validate(const DecodeOptions& o) {
  TLAB_CHECK(o.channels == 1 || o.channels == 3, "decode options: channels must be 1 (grey) or 3 (RGB), got ",
             o.channels);
  TLAB_CHECK(o.min_side >= 0, "decode options: min_side must be >= 0 (0: full size), got ", o.min_side);
  TLAB_CHECK(o.max_pixels >= 0, "decode options: max_pixels must be >= 0 (0: no limit), got ", o.max_pixels);
}

// The largest f in {8, 4, 2} with floor(shorter / f) >= min_side; 1 when none (or min_side is 0).
int reduction_factor(int64_t shorter, int min_side) {
  if (min_side <= 0) return 1;
  for (int f : {8, 4, 2})
    if (shorter / f >= min_side) return f;
  return 1;
}

std::string describe(const ImageHeader& h) {
  return str_cat(h.width, " x ", h.height, " = ", uint64_t(h.width) * uint64_t(h.height), " pixels (",
                 format_name(h.format), " header)");
}

[[noreturn]] void throw_too_large(const std::string& name, const std::string& size, int64_t limit) {
  throw DataError(str_cat("image '", name, "' is ", size, ", over the limit of ", limit,
                          " pixels that guards against decompression bombs; if the file is trusted, raise "
                          "DecodeOptions::max_pixels (DataOptions::max_image_pixels), or set it to 0 for no limit"));
}

}  // namespace

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kTiff: return "tiff";
    case ImageFormat::kPnm: return "pnm";
  }
  return "unknown";
}

std::optional<ImageHeader> read_image_header(const uint8_t* data, size_t size) {
  if (data == nullptr) return std::nullopt;
  const Bytes b(data, size);
  if (b.equals(0, "\xFF\xD8\xFF", 3)) return read_jpeg(b);
  if (b.equals(0, "\x89PNG\r\n\x1A\n", 8)) return read_png(b);
  if (b.equals(0, "GIF87a", 6) || b.equals(0, "GIF89a", 6)) return read_gif(b);
  if (b.equals(0, "BM", 2)) return read_bmp(b);
  if (b.equals(0, "RIFF", 4) && b.equals(8, "WEBP", 4)) return read_webp(b);
  if (b.equals(0, "II*\0", 4) || b.equals(0, "MM\0*", 4)) return read_tiff(b);
  if (b.equals(0, "P", 1) && b.u8(1) && *b.u8(1) >= '1' && *b.u8(1) <= '6') return read_pnm(b);
  return std::nullopt;
}

cv::Mat decode_image(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options) {
  validate(options);
  TLAB_CHECK_DATA(size > 0, "image '", name, "' is empty (0 bytes)");
  TLAB_CHECK_DATA(size <= size_t(INT_MAX), "image '", name, "' is ", size, " bytes; files over 2 GiB are not supported");
  const auto head = read_image_header(data, size);
  if (head && options.max_pixels > 0) {
    // width * height > max_pixels, by division: the product of two 32-bit sides may not fit an int64.
    if (head->width > 0 && head->height > options.max_pixels / head->width)
      throw_too_large(name, describe(*head), options.max_pixels);
  }

  // A JPEG decodes at reduced scale in the DCT domain; OpenCV would decode any other format in full
  // and then shrink it with INTER_LINEAR_EXACT, which aliases at 1/4 and 1/8, so those are shrunk
  // below with INTER_AREA instead. EXIF orientation: OpenCV 4.6's imdecode applies it to JPEGs, with
  // the reduced flags too (tests/data/decode_test.cpp checks it).
  const bool jpeg = head && head->format == ImageFormat::kJpeg;
  const int factor = jpeg ? reduction_factor(std::min(head->width, head->height), options.min_side) : 1;
  const bool grey = options.channels == 1;
  int flags = grey ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
  if (factor == 2) flags = grey ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
  if (factor == 4) flags = grey ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
  if (factor == 8) flags = grey ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;

  cv::Mat img;
  try {
    const cv::Mat buffer(1, int(size), CV_8U, const_cast<uint8_t*>(data));  // imdecode only reads it
    img = cv::imdecode(buffer, flags);
  } catch (const cv::Exception& e) {
    throw DataError(str_cat("cannot decode image '", name, "': ", e.what()));
  }
  TLAB_CHECK_DATA(!img.empty(), "cannot decode image '", name, "' (",
                  head ? str_cat(format_name(head->format), ", ") : std::string(),
                  "corrupt, truncated, or a format OpenCV does not read); remove or replace it");
  if (!head && options.max_pixels > 0 && int64_t(img.total()) > options.max_pixels)
    throw_too_large(name, str_cat(img.cols, " x ", img.rows, " = ", img.total(), " pixels (decoded)"), options.max_pixels);

  // IMREAD_COLOR / IMREAD_GRAYSCALE already give 8-bit samples without alpha; stay safe all the same.
  if (img.depth() != CV_8U) img.convertTo(img, CV_8U, img.depth() == CV_16U ? 1.0 / 257 : 1.0);
  if (img.channels() == 4) cv::cvtColor(img, img, grey ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGRA2BGR);
  if (img.channels() == 3 && grey) cv::cvtColor(img, img, cv::COLOR_BGR2GRAY);
  if (img.channels() == 1 && !grey) cv::cvtColor(img, img, cv::COLOR_GRAY2BGR);
  if (!grey) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);

  if (!jpeg && options.min_side > 0) {
    const int f = reduction_factor(std::min(img.rows, img.cols), options.min_side);
    if (f > 1) {
      cv::Mat reduced;
      cv::resize(img, reduced, cv::Size(img.cols / f, img.rows / f), 0, 0, cv::INTER_AREA);
      img = reduced;
    }
  }
  return img;
}

cv::Mat decode_image(const std::string& path, const DecodeOptions& options) {
  validate(options);
  std::error_code ec;
  TLAB_CHECK_DATA(!std::filesystem::is_directory(path, ec), "image file '", path, "' is a directory");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TLAB_CHECK_DATA(in, "cannot open image file '", path, "': ", std::strerror(errno));
  const std::streamoff size = in.tellg();
  TLAB_CHECK_DATA(size >= 0 && size <= INT_MAX, "cannot read image file '", path, "': ",
                  size < 0 ? std::string("its size is unknown") : str_cat(size, " bytes; files over 2 GiB are not supported"));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  TLAB_CHECK_DATA(in.read(reinterpret_cast<char*>(bytes.data()), size), "cannot read image file '", path,
                  "' (a directory, or a read error)");
  return decode_image(bytes.data(), bytes.size(), path, options);
}

}  // namespace tlab::data
